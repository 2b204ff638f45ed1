// `ottscope run` without -c, as an operator types it: the installed configuration first, then
// the checkout's config/ottscope.yaml, then the built-in defaults; the start line names what
// is in force and how many rule apps from how many files, and a run without rules warns.
// The suite's environment pins the built-in defaults (tests/meson.build); these tests set
// OTTSCOPE_SYSTEM_CONFIG and OTTSCOPE_CHECKOUT_CONFIG themselves, so the host's /etc is never
// read.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "tests/test_support.h"

namespace ottscope::test {
namespace {

namespace fs = std::filesystem;

constexpr const char* kNoRulesWarning = "ottscope: warning: no rules loaded";

// `ottscope run --pcap demo` with no -c, with the lookup's environment as given: "VAR=" sets
// it (empty skips that step), "-VAR" removes it (the real place is looked at).
CommandResult run_without_config(const std::vector<std::string>& environment,
                                 const std::string& flows) {
    // env takes its options (-u) before the settings.
    std::vector<std::string> argv = {"/usr/bin/env"};
    for (const std::string& setting : environment)
        if (setting.starts_with('-')) argv.insert(argv.end(), {"-u", setting.substr(1)});
    for (const std::string& setting : environment)
        if (!setting.starts_with('-')) argv.push_back(setting);
    argv.insert(argv.end(),
                {binary_path(), "run", "--pcap", demo_capture(), "--workers", "1", "--flows-out",
                 flows, "--metrics", "127.0.0.1:" + std::to_string(free_port())});
    return run_command(argv);
}

int count_app(const std::string& flows, const std::string& app) {
    int count = 0;
    for (const std::string& line : read_lines(flows))
        if (record_field(line, "app") == app) ++count;
    return count;
}

// The example: from a checkout, a TU Me call is tume-voip (certificate, high), as the
// shipped rules name it, not sip-tls (behaviour, low).
TEST(DefaultConfig, FromACheckoutTheShippedConfigurationAndRulesAreInForce) {
    const std::string flows = temp_dir() + "/checkout.jsonl";
    const CommandResult result =
        run_without_config({"OTTSCOPE_SYSTEM_CONFIG=", "-OTTSCOPE_CHECKOUT_CONFIG"}, flows);
    ASSERT_EQ(result.status, 0) << result.output;
    // The binary is build/ottscope: its checkout's configuration, as the kernel names the
    // binary (no symbolic links).
    const fs::path shipped =
        fs::canonical(binary_path()).parent_path().parent_path() / "config" / "ottscope.yaml";
    EXPECT_NE(result.output.find("ottscope: configuration " + shipped.string() +
                                 " (the checkout's): 2 rule apps from 1 rule file; "),
              std::string::npos)
        << result.output;
    EXPECT_EQ(result.output.find(kNoRulesWarning), std::string::npos) << result.output;
    EXPECT_EQ(count_app(flows, "tume-voip"), 1) << result.output;
    EXPECT_EQ(count_app(flows, "sip-tls"), 0) << result.output;
    EXPECT_EQ(
        sorted_lines(flows),
        sorted_lines(source_root() + "/tests/integration/golden/tume-demo.rules.flows.jsonl"));
}

// The installed configuration wins over the checkout's, with its own rule files.
TEST(DefaultConfig, TheInstalledConfigurationComesFirst) {
    const std::string dir = temp_dir() + "/etc-ottscope";
    fs::create_directories(dir + "/rules.d");
    fs::copy_file(source_root() + "/config/rules.d/tume.yaml", dir + "/rules.d/tume.yaml",
                  fs::copy_options::overwrite_existing);
    std::ofstream(dir + "/ottscope.yaml") << "rules:\n  files: [\"rules.d/*.yaml\"]\n";
    const std::string flows = temp_dir() + "/system.jsonl";
    const CommandResult result = run_without_config(
        {"OTTSCOPE_SYSTEM_CONFIG=" + dir + "/ottscope.yaml", "-OTTSCOPE_CHECKOUT_CONFIG"}, flows);
    ASSERT_EQ(result.status, 0) << result.output;
    EXPECT_NE(result.output.find("ottscope: configuration " + dir +
                                 "/ottscope.yaml: 2 rule apps from 1 rule file; "),
              std::string::npos)
        << result.output;
    EXPECT_EQ(result.output.find("(the checkout's)"), std::string::npos) << result.output;
    EXPECT_EQ(result.output.find(kNoRulesWarning), std::string::npos) << result.output;
    EXPECT_EQ(count_app(flows, "tume-voip"), 1) << result.output;
}

// An installed configuration whose rules.files match nothing: it is in force (it comes
// first), the run goes on, and the missing rules are a warning, not an error.
TEST(DefaultConfig, AConfigurationWithoutRulesWarnsAndRuns) {
    const std::string dir = temp_dir() + "/etc-empty";
    fs::create_directories(dir + "/rules.d");
    std::ofstream(dir + "/ottscope.yaml") << "rules:\n  files: [\"rules.d/*.yaml\"]\n";
    const std::string flows = temp_dir() + "/empty.jsonl";
    const CommandResult result = run_without_config(
        {"OTTSCOPE_SYSTEM_CONFIG=" + dir + "/ottscope.yaml", "-OTTSCOPE_CHECKOUT_CONFIG"}, flows);
    ASSERT_EQ(result.status, 0) << result.output;
    EXPECT_NE(result.output.find("ottscope: configuration " + dir +
                                 "/ottscope.yaml: 0 rule apps from 0 rule files; "),
              std::string::npos)
        << result.output;
    EXPECT_NE(result.output.find(kNoRulesWarning), std::string::npos) << result.output;
    EXPECT_EQ(count_app(flows, "tume-voip"), 0) << result.output;
}

// Nothing installed and no checkout: the built-in defaults, said on the start line, with the
// warning; the TU Me call falls to the behaviour model.
TEST(DefaultConfig, BuiltInDefaultsAreNamedAndWarnedAbout) {
    const std::string flows = temp_dir() + "/builtin.jsonl";
    const CommandResult result =
        run_without_config({"OTTSCOPE_SYSTEM_CONFIG=", "OTTSCOPE_CHECKOUT_CONFIG="}, flows);
    ASSERT_EQ(result.status, 0) << result.output;
    EXPECT_NE(result.output.find("ottscope: built-in defaults (no configuration file): 0 rule "
                                 "apps from 0 rule files; "),
              std::string::npos)
        << result.output;
    EXPECT_NE(result.output.find(kNoRulesWarning), std::string::npos) << result.output;
    EXPECT_EQ(count_app(flows, "tume-voip"), 0) << result.output;
    EXPECT_EQ(count_app(flows, "sip-tls"), 1) << result.output;
}

// -c still says exactly which file, and a configuration found by the lookup that does not
// load stops the start like one given with -c.
TEST(DefaultConfig, ABrokenInstalledConfigurationIsAnErrorNotSkipped) {
    const std::string broken = temp_dir() + "/broken.yaml";
    std::ofstream(broken) << "dataplane:\n  workers: many\n";
    const std::string flows = temp_dir() + "/broken.jsonl";
    const CommandResult result = run_without_config(
        {"OTTSCOPE_SYSTEM_CONFIG=" + broken, "-OTTSCOPE_CHECKOUT_CONFIG"}, flows);
    EXPECT_EQ(result.status, 1) << result.output;
    EXPECT_NE(result.output.find(broken + ":2:"), std::string::npos) << result.output;
}

// check-config without FILE checks what run would take, and says when there is nothing.
TEST(DefaultConfig, CheckConfigWithoutAFileChecksWhatRunWouldTake) {
    const CommandResult checkout =
        run_command({"/usr/bin/env", "-u", "OTTSCOPE_CHECKOUT_CONFIG",
                     "OTTSCOPE_SYSTEM_CONFIG=", binary_path(), "check-config"});
    EXPECT_EQ(checkout.status, 0) << checkout.output;
    EXPECT_NE(checkout.output.find("/config/ottscope.yaml: ok (1 rule file, 2 apps)"),
              std::string::npos)
        << checkout.output;
    const CommandResult nothing = run_command(
        {"/usr/bin/env", "OTTSCOPE_CHECKOUT_CONFIG=", "OTTSCOPE_SYSTEM_CONFIG=", binary_path(),
         "check-config"});
    EXPECT_EQ(nothing.status, 1) << nothing.output;
    EXPECT_NE(nothing.output.find("no configuration to check"), std::string::npos)
        << nothing.output;
}

}  // namespace
}  // namespace ottscope::test
