// Rule files as operators write them, broken ones included: every error comes back with its
// FILE:LINE:COL, and nothing compiles unless every file is clean.

#include "config/rules_loader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "classifiers/ndpi/ndpi_classifier.h"

namespace ottscope {
namespace {

class RulesLoader : public ::testing::Test {
protected:
    std::string write(const std::string& name, const std::string& text) {
        const std::string path = dir_ + "/" + name;
        std::ofstream(path) << text;
        return path;
    }
    bool has_error(const RulesResult& result, const std::string& needle) {
        for (const auto& error : result.errors)
            if (error.find(needle) != std::string::npos) return true;
        return false;
    }
    std::string dir_ = [] {
        char pattern[] = "/tmp/ottscope-rules-XXXXXX";
        return std::string(mkdtemp(pattern));
    }();
    NdpiModule ndpi_ = make_ndpi_module();
    AppCatalog catalog_{ndpi_.get()};
};

TEST_F(RulesLoader, ShippedTuMeRulesCompile) {
    const std::string shipped = std::string(OTTSCOPE_SOURCE_ROOT) + "/config/rules.d/tume.yaml";
    const RulesResult result = load_rules({shipped}, &catalog_, 1);
    ASSERT_TRUE(result.rules) << (result.errors.empty() ? "" : result.errors[0]);
    EXPECT_EQ(result.rules->size(), 2u);
    EXPECT_EQ(catalog_.app(result.rules->apps()[0].app).name, "tume-voip");
    EXPECT_EQ(catalog_.app(result.rules->apps()[0].app).category, "voip");
}

TEST_F(RulesLoader, UnknownKeyIsLocatedWithASuggestion) {
    const std::string path = write("typo.yaml",
                                   "apps:\n"
                                   "  - name: x-app\n"
                                   "    category: test\n"
                                   "    match:\n"
                                   "      any:\n"
                                   "        - tls: { snii: [a.example] }\n");
    const RulesResult result = load_rules({path}, &catalog_, 1);
    EXPECT_FALSE(result.rules);
    EXPECT_TRUE(has_error(result, path + ":6:18: unknown key 'snii' in tls (did you mean 'sni'?)"))
        << result.errors.at(0);
}

TEST_F(RulesLoader, SyntaxErrorIsLocated) {
    const std::string path = write("syntax.yaml", "apps: [\n");
    const RulesResult result = load_rules({path}, &catalog_, 1);
    EXPECT_FALSE(result.rules);
    ASSERT_EQ(result.errors.size(), 1u);
    EXPECT_EQ(result.errors[0].rfind(path + ":2:1: ", 0), 0u) << result.errors[0];
}

TEST_F(RulesLoader, BadValuesAreEachReported) {
    const std::string path = write("values.yaml",
                                   "apps:\n"
                                   "  - name: Bad Name\n"
                                   "    category: test\n"
                                   "    match:\n"
                                   "      any:\n"
                                   "        - ports: [0, 70000, http]\n"
                                   "        - cidr: [10.0.0.0/33, not-an-address]\n"
                                   "        - ndpi: [NoSuchProtocol]\n");
    const RulesResult result = load_rules({path}, &catalog_, 1);
    EXPECT_FALSE(result.rules);
    EXPECT_TRUE(has_error(result, ":2:11: app name 'Bad Name'"));
    EXPECT_TRUE(has_error(result, "port '0'"));
    EXPECT_TRUE(has_error(result, "port '70000'"));
    EXPECT_TRUE(has_error(result, "port 'http'"));
    EXPECT_TRUE(has_error(result, "cidr '10.0.0.0/33'"));
    EXPECT_TRUE(has_error(result, "cidr 'not-an-address'"));
    EXPECT_TRUE(has_error(result, "'NoSuchProtocol' is not an nDPI 4.2 protocol"));
}

TEST_F(RulesLoader, AppNamesMustBeUniqueAcrossFilesAndNotNdpiNames) {
    const std::string a = write("a.yaml",
                                "apps:\n  - name: dup\n    category: t\n    match:\n"
                                "      any: [ { ports: [1] } ]\n");
    const std::string b = write("b.yaml",
                                "apps:\n  - name: dup\n    category: t\n    match:\n"
                                "      any: [ { ports: [2] } ]\n"
                                "  - name: dns\n    category: t\n    match:\n"
                                "      any: [ { ports: [3] } ]\n");
    const RulesResult result = load_rules({a, b}, &catalog_, 1);
    EXPECT_FALSE(result.rules);
    EXPECT_TRUE(has_error(result, "app 'dup' is already defined in " + a + ":2"));
    EXPECT_TRUE(has_error(result, "'dns' is an nDPI protocol"));
}

TEST_F(RulesLoader, MissingPartsAreReported) {
    const std::string path =
        write("missing.yaml",
              "apps:\n"
              "  - name: no-match\n"
              "    category: test\n"
              "  - category: test\n"
              "    match: { any: [] }\n"
              "  - name: both\n"
              "    category: test\n"
              "    match: { any: [ { ports: [1] } ], all: [ { ports: [2] } ] }\n");
    const RulesResult result = load_rules({path}, &catalog_, 1);
    EXPECT_FALSE(result.rules);
    EXPECT_TRUE(has_error(result, "app 'no-match' needs a match"));
    EXPECT_TRUE(has_error(result, "an app needs a name"));
    EXPECT_TRUE(has_error(result, "match conditions must be a non-empty list"));
    EXPECT_TRUE(has_error(result, "takes exactly one of any or all"));
}

TEST_F(RulesLoader, CategoryOfAnAppCannotChangeWithoutRestart) {
    const std::string first = write("first.yaml",
                                    "apps:\n  - name: stable-app\n    category: voip\n"
                                    "    match: { any: [ { ports: [5061] } ] }\n");
    ASSERT_TRUE(load_rules({first}, &catalog_, 1).rules);
    const std::string second = write("second.yaml",
                                     "apps:\n  - name: stable-app\n    category: chat\n"
                                     "    match: { any: [ { ports: [5061] } ] }\n");
    const RulesResult result = load_rules({second}, &catalog_, 2);
    EXPECT_FALSE(result.rules);
    EXPECT_TRUE(has_error(result, "a category change needs a restart"));
}

TEST_F(RulesLoader, ReloadingTheSameRulesKeepsIdsAndEvidence) {
    const std::string path = write("same.yaml",
                                   "apps:\n  - name: same-app\n    category: t\n"
                                   "    match: { any: [ { tls: { sni: [a.example] } } ] }\n");
    const RulesResult one = load_rules({path}, &catalog_, 1);
    const size_t evidence = catalog_.evidence().size();
    const RulesResult two = load_rules({path}, &catalog_, 2);
    ASSERT_TRUE(one.rules && two.rules);
    EXPECT_EQ(one.rules->apps()[0].app, two.rules->apps()[0].app);
    EXPECT_FALSE(catalog_.valid(static_cast<uint16_t>(two.rules->apps()[0].app + 1)));
    EXPECT_EQ(catalog_.evidence().size(), evidence);
    EXPECT_EQ(catalog_.evidence_text(two.rules->apps()[0].evidence[0]), "tls.sni=a.example");
    EXPECT_EQ(one.rules->digest(), two.rules->digest());
}

TEST_F(RulesLoader, ConfigurationPatternsExpandRelativeToItsFolder) {
    write("r1.yaml", "apps: []\n");
    write("r2.yaml", "apps: []\n");
    Config config;
    config.directory = dir_;
    config.rule_files = {"r*.yaml", "absent.yaml", "none-*.yaml"};
    std::vector<std::string> errors;
    const auto files = rule_files_of(config, errors);
    ASSERT_EQ(files.size(), 2u);
    EXPECT_EQ(files[0], dir_ + "/r1.yaml");
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_NE(errors[0].find("absent.yaml:1:1: rule file does not exist"), std::string::npos);
}

}  // namespace
}  // namespace ottscope
