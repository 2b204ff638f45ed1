// `ottscope check-config` on what may turn up in a rules directory: each hostile input gives
// exit status 1 and a message naming the file, within seconds (timeout(1) guards against a
// hang), and never an abort.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/test_support.h"

namespace ottscope::test {
namespace {

class CheckConfigHostile : public ::testing::Test {
protected:
    CheckConfigHostile() {
        std::filesystem::create_directories(rules_);
        std::ofstream(config_) << "rules:\n  files: [\"rules.d/*.yaml\"]\n";
        std::ofstream(rules_ + "/a.yaml")
            << "apps:\n  - name: fine-app\n    category: t\n    match:\n"
               "      any:\n        - ports: [5061]\n";
    }
    ~CheckConfigHostile() override {
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    // check-config under a 20 s timeout: status 124 means it hung.
    CommandResult check(const std::string& path) const {
        return run_command({"/usr/bin/timeout", "20", binary_path(), "check-config", path});
    }
    static int lines(const std::string& output) {
        return static_cast<int>(std::count(output.begin(), output.end(), '\n'));
    }
    std::string dir_ = [] {
        char pattern[] = "/tmp/ottscope-check-hostile-XXXXXX";
        return std::string(mkdtemp(pattern));
    }();
    std::string config_ = dir_ + "/ottscope.yaml";
    std::string rules_ = dir_ + "/rules.d";
};

TEST_F(CheckConfigHostile, DirectoryNamedZzYamlInRulesD) {
    ASSERT_EQ(mkdir((rules_ + "/zz.yaml").c_str(), 0755), 0);
    const CommandResult result = check(config_);
    EXPECT_EQ(result.status, 1) << result.output;
    EXPECT_EQ(result.output, rules_ + "/zz.yaml: is a directory, not a regular file\n");
}

TEST_F(CheckConfigHostile, FifoInRulesD) {
    ASSERT_EQ(mkfifo((rules_ + "/zz.yaml").c_str(), 0644), 0);
    const CommandResult result = check(config_);
    EXPECT_EQ(result.status, 1) << result.output;
    EXPECT_EQ(result.output, rules_ + "/zz.yaml: is a FIFO, not a regular file\n");
}

TEST_F(CheckConfigHostile, DanglingSymlinkInRulesD) {
    ASSERT_EQ(symlink("/nonexistent/rules.yaml", (rules_ + "/zz.yaml").c_str()), 0);
    const CommandResult result = check(config_);
    EXPECT_EQ(result.status, 1) << result.output;
    EXPECT_NE(result.output.find(rules_ + "/zz.yaml: does not exist"), std::string::npos)
        << result.output;
}

TEST_F(CheckConfigHostile, AliasBombRuleFile) {
    std::string bomb = "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
    for (int level = 1; level < 10; ++level) {
        std::string name = "l";
        name += std::to_string(level);
        bomb += name + ": &" + name + " [";
        for (int i = 0; i < 10; ++i) {
            bomb += i == 0 ? "*l" : ", *l";
            bomb += std::to_string(level - 1);
        }
        bomb += "]\n";
    }
    bomb += "apps: *l9\n";
    ASSERT_LT(bomb.size(), 10'000u);
    std::ofstream(rules_ + "/bomb.yaml") << bomb;
    const CommandResult result = check(config_);
    EXPECT_EQ(result.status, 1) << result.output;
    EXPECT_EQ(lines(result.output), 1) << result.output;
    EXPECT_NE(result.output.find(rules_ + "/bomb.yaml: more than"), std::string::npos)
        << result.output;
}

TEST_F(CheckConfigHostile, KeyForgingALogLine) {
    std::ofstream(rules_ + "/forged.yaml")
        << "apps:\n  - name: forged\n    category: t\n"
           "    \"x\\n2026-01-01 ottscope: rules reloaded\\e[2K\": 1\n"
           "    match: { any: [ { ports: [1] } ] }\n";
    const CommandResult result = check(config_);
    EXPECT_EQ(result.status, 1) << result.output;
    EXPECT_EQ(lines(result.output), 1) << result.output;
    EXPECT_EQ(result.output.find('\x1b'), std::string::npos) << result.output;
}

TEST_F(CheckConfigHostile, AbsurdFlowTableCapacity) {
    std::ofstream(config_) << "dataplane:\n  workers: 128\nflow_table:\n  capacity: 268435456\n";
    const CommandResult result = check(config_);
    EXPECT_EQ(result.status, 1) << result.output;
    EXPECT_NE(result.output.find(config_ + ":4:13: flow_table.capacity 268435456 needs"),
              std::string::npos)
        << result.output;
}

TEST_F(CheckConfigHostile, ConfigPathThatIsADirectory) {
    const CommandResult result = check(rules_);
    EXPECT_EQ(result.status, 1) << result.output;
    EXPECT_EQ(result.output, rules_ + ": is a directory, not a regular file\n");
}

}  // namespace
}  // namespace ottscope::test
