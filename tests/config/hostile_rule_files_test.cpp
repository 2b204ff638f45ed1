// Rule files nobody should write, as they may still appear in rules.d: paths that are not
// files, files too large, alias bombs, keys that try to forge log lines, and more conditions
// than fit. Each must come back as errors naming the file, never a crash, a hang or a rule
// set that silently lost something.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>

#include "classifiers/ndpi/ndpi_classifier.h"
#include "config/error_list.h"
#include "config/file_reader.h"
#include "config/log_text.h"
#include "config/rules_loader.h"
#include "config/yaml_node_budget.h"

namespace ottscope {
namespace {

using namespace std::chrono_literals;

// apps with `count` `any:` conditions, each a distinct SNI: `tag` keeps them apart by run.
std::string many_conditions(const std::string& app, size_t count, const std::string& tag) {
    std::string text = "apps:\n  - name: " + app + "\n    category: t\n    match:\n      any:\n";
    for (size_t i = 0; i < count; ++i)
        text += "        - tls: { sni: [h" + std::to_string(i) + "." + tag + ".example] }\n";
    return text;
}

// Ten levels of ten aliases each: 10^10 nodes once expanded, in well under 10 KB.
std::string alias_bomb() {
    std::string text = "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
    for (int level = 1; level < 10; ++level) {
        std::string name = "l";
        name += std::to_string(level);
        text += name + ": &" + name + " [";
        for (int i = 0; i < 10; ++i) {
            if (i != 0) text += ", ";
            text += "*l";
            text += std::to_string(level - 1);
        }
        text += "]\n";
    }
    return text + "apps: *l9\n";
}

class HostileRuleFiles : public ::testing::Test {
protected:
    ~HostileRuleFiles() override {
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    std::string write(const std::string& name, const std::string& text) {
        const std::string path = dir_ + "/" + name;
        std::ofstream(path) << text;
        return path;
    }
    static bool has_error(const RulesResult& result, const std::string& needle) {
        for (const auto& error : result.errors)
            if (error.find(needle) != std::string::npos) return true;
        return false;
    }
    static std::string all(const RulesResult& result) {
        std::string text;
        for (const auto& error : result.errors) text += error + "\n";
        return text;
    }
    std::string dir_ = [] {
        char pattern[] = "/tmp/ottscope-hostile-XXXXXX";
        return std::string(mkdtemp(pattern));
    }();
    NdpiModule ndpi_ = make_ndpi_module();
    AppCatalog catalog_{ndpi_.get()};
};

TEST_F(HostileRuleFiles, DirectoryNamedZzYamlIsRefusedNamingIt) {
    const std::string good = write("a.yaml", many_conditions("good-app", 1, "a"));
    const std::string directory = dir_ + "/zz.yaml";
    ASSERT_EQ(mkdir(directory.c_str(), 0755), 0);
    const RulesResult result = load_rules({good, directory}, &catalog_, 1);
    EXPECT_FALSE(result.rules);
    ASSERT_EQ(result.errors.size(), 1u) << all(result);
    EXPECT_EQ(result.errors[0], directory + ": is a directory, not a regular file");
}

TEST_F(HostileRuleFiles, FifoIsRefusedWithoutWaitingForAWriter) {
    const std::string fifo = dir_ + "/zz.yaml";
    ASSERT_EQ(mkfifo(fifo.c_str(), 0644), 0);
    auto loading = std::async(std::launch::async, [&] { return load_rules({fifo}, &catalog_, 1); });
    if (loading.wait_for(5s) != std::future_status::ready) {
        // Release the blocked open so that the test ends, failed.
        const int writer = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
        if (writer >= 0) ::close(writer);
        FAIL() << "load_rules blocked on a FIFO";
    }
    const RulesResult result = loading.get();
    EXPECT_FALSE(result.rules);
    EXPECT_TRUE(has_error(result, fifo + ": is a FIFO, not a regular file")) << all(result);
}

TEST_F(HostileRuleFiles, DanglingSymlinkIsRefusedNamingIt) {
    const std::string link = dir_ + "/gone.yaml";
    ASSERT_EQ(symlink((dir_ + "/nowhere.yaml").c_str(), link.c_str()), 0);
    const RulesResult result = load_rules({link}, &catalog_, 1);
    EXPECT_FALSE(result.rules);
    EXPECT_TRUE(has_error(result, link + ": does not exist")) << all(result);
}

TEST_F(HostileRuleFiles, SymlinkToARegularFileIsFollowed) {
    const std::string target = write("target.yml", many_conditions("linked-app", 1, "l"));
    const std::string link = dir_ + "/linked.yaml";
    ASSERT_EQ(symlink(target.c_str(), link.c_str()), 0);
    const RulesResult result = load_rules({link}, &catalog_, 1);
    EXPECT_TRUE(result.rules) << all(result);
}

TEST_F(HostileRuleFiles, OversizeFileIsRefusedWithoutBeingRead) {
    const std::string path = write("huge.yaml", "apps: []\n");
    // Sparse: the size is what is checked, before any byte is read.
    ASSERT_EQ(truncate(path.c_str(), static_cast<off_t>(kMaxYamlFileBytes + 1)), 0);
    const RulesResult result = load_rules({path}, &catalog_, 1);
    EXPECT_FALSE(result.rules);
    EXPECT_TRUE(has_error(result, path + ": is " + std::to_string(kMaxYamlFileBytes + 1) +
                                      " bytes, more than the limit of " +
                                      std::to_string(kMaxYamlFileBytes)))
        << all(result);
}

TEST_F(HostileRuleFiles, AliasBombIsRefusedAtTheNodeBound) {
    const std::string bomb = alias_bomb();
    ASSERT_LT(bomb.size(), 10'000u);
    const std::string path = write("bomb.yaml", bomb);
    const auto start = std::chrono::steady_clock::now();
    const RulesResult result = load_rules({path}, &catalog_, 1);
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_FALSE(result.rules);
    ASSERT_EQ(result.errors.size(), 1u) << all(result);
    EXPECT_EQ(result.errors[0], path + ": more than " + std::to_string(kMaxYamlNodes) +
                                    " YAML nodes after alias expansion (each use of an alias "
                                    "counts its nodes again)");
    EXPECT_LT(took, 2s);
}

TEST_F(HostileRuleFiles, ManyBadValuesGiveCappedDistinctErrors) {
    // One anchor of bad ports used many times: the same mistakes, reported once each.
    std::string text = "apps:\n  - name: bad-ports\n    category: t\n    match:\n      any:\n";
    text += "        - &bad { ports: [";
    for (int i = 0; i < 50; ++i) text += (i == 0 ? "" : ", ") + std::to_string(70000 + i);
    text += "] }\n";
    for (int i = 0; i < 200; ++i) text += "        - *bad\n";
    const std::string path = write("ports.yaml", text);
    const RulesResult result = load_rules({path}, &catalog_, 1);
    EXPECT_FALSE(result.rules);
    ASSERT_EQ(result.errors.size(), kMaxErrorsShown + 1) << all(result);
    EXPECT_EQ(result.errors.back(), "... and 30 more errors");
}

TEST_F(HostileRuleFiles, KeyWithNewlineAndEscapeCannotForgeALogLine) {
    const std::string path = write("forged.yaml",
                                   "apps:\n  - name: forged\n    category: t\n"
                                   "    \"x\\nottscope: reload ok\\e[2J\": 1\n"
                                   "    match: { any: [ { ports: [1] } ] }\n");
    const RulesResult result = load_rules({path}, &catalog_, 1);
    EXPECT_FALSE(result.rules);
    ASSERT_EQ(result.errors.size(), 1u) << all(result);
    const std::string& error = result.errors[0];
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
    EXPECT_EQ(error.find('\x1b'), std::string::npos) << error;
    EXPECT_NE(error.find("unknown key 'x\\x0aottscope: reload ok\\x1b[2J'"), std::string::npos)
        << error;
}

TEST_F(HostileRuleFiles, LongValueIsCutWithAnEllipsis) {
    const std::string path = write("long.yaml",
                                   "apps:\n  - name: long-port\n    category: t\n"
                                   "    match: { any: [ { ports: [" +
                                       std::string(5000, '9') + "] } ] }\n");
    const RulesResult result = load_rules({path}, &catalog_, 1);
    ASSERT_EQ(result.errors.size(), 1u) << all(result);
    EXPECT_NE(result.errors[0].find("port '" + std::string(kMaxShownValue, '9') + "...'"),
              std::string::npos)
        << result.errors[0];
    EXPECT_LT(result.errors[0].size(), 400u);
}

TEST_F(HostileRuleFiles, MoreThan4096DistinctConditionsAcrossReloadsKeepTheirEvidence) {
    for (int reload = 0; reload < 5; ++reload) {
        const std::string tag = "r" + std::to_string(reload);
        const std::string path = write(tag + ".yaml", many_conditions("growing-app", 1000, tag));
        const RulesResult result = load_rules({path}, &catalog_, reload + 1);
        ASSERT_TRUE(result.rules) << all(result);
        const AppRule& rule = result.rules->apps()[0];
        ASSERT_EQ(rule.evidence.size(), 1000u);
        for (size_t i = 0; i < rule.evidence.size(); ++i) {
            ASSERT_NE(rule.evidence[i], 0) << "reload " << reload << ", condition " << i;
            ASSERT_EQ(catalog_.evidence_text(rule.evidence[i]),
                      "tls.sni=h" + std::to_string(i) + "." + tag + ".example");
        }
    }
    EXPECT_GT(catalog_.evidence().size(), 5000u);
}

TEST_F(HostileRuleFiles, MoreConditionsThanOneRuleSetMayHaveAreRefusedWithALocation) {
    const std::string path =
        write("huge-set.yaml", many_conditions("crowded-app", kMaxRuleEvidencePerSet + 1, "c"));
    const size_t before = catalog_.evidence().size();
    const RulesResult result = load_rules({path}, &catalog_, 1);
    EXPECT_FALSE(result.rules);
    EXPECT_TRUE(has_error(result, path + ":2:5: the rules reach more than " +
                                      std::to_string(kMaxRuleEvidencePerSet) + " conditions"))
        << all(result);
    EXPECT_EQ(catalog_.evidence().size(), before);
}

TEST_F(HostileRuleFiles, ReloadThatWouldFillTheEvidenceTableIsRefusedAndAddsNothing) {
    const std::string kept = write("kept.yaml", many_conditions("kept-app", 3, "kept"));
    ASSERT_TRUE(load_rules({kept}, &catalog_, 1).rules);
    // Earlier rule sets have taken all but two of the places rules may use.
    for (size_t i = catalog_.evidence().size(); i < kMaxEvidence - kReservedEvidence - 2; ++i)
        ASSERT_TRUE(catalog_.evidence().intern("earlier-" + std::to_string(i)));
    const size_t before = catalog_.evidence().size();
    const std::string fresh = write("fresh.yaml", many_conditions("fresh-app", 3, "fresh"));
    const RulesResult refused = load_rules({fresh}, &catalog_, 2);
    EXPECT_FALSE(refused.rules);
    EXPECT_TRUE(has_error(refused, fresh + ": the rules bring 3 new evidence texts, but only 2"))
        << all(refused);
    EXPECT_EQ(catalog_.evidence().size(), before);
    // Rules whose texts are all known still load: the table is full for new texts only.
    EXPECT_TRUE(load_rules({kept}, &catalog_, 3).rules);
    // Classifiers' fixed texts still fit in the reserve.
    EXPECT_TRUE(catalog_.evidence().intern("sip inside tls (a classifier's text)"));
}

}  // namespace
}  // namespace ottscope
