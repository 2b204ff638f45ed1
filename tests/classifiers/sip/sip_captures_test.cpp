// Real peers (sipp, stunnel4, curl, openssl, python3) between network namespaces, captured at
// test time by make_sip_captures.sh, run through the binary with the shipped configuration.
// Each capture's distinct verdicts (protocol, app, classifier, confidence, evidence: no ports,
// no times) must equal its golden file. Also: SIP full of subscriber values leaves none of
// them in flow records, /metrics or the log.

#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <set>
#include <sstream>

#include "tests/test_support.h"

namespace ottscope::test {
namespace {

namespace fs = std::filesystem;

std::string here() {
    return source_root() + "/tests/classifiers/sip";
}

std::string shipped_config() {
    return source_root() + "/config/ottscope.yaml";
}

// The captures, made once per test program into the build directory.
struct Captures {
    std::string dir;
    std::string skipped;
};
const Captures& captures() {
    static const Captures made = [] {
        Captures c;
        c.dir = fs::path(binary_path()).parent_path().string() + "/sip-captures";
        fs::remove_all(c.dir);
        const CommandResult result =
            run_command({"/bin/bash", here() + "/make_sip_captures.sh", c.dir});
        if (result.status == 77)
            c.skipped = result.output;
        else if (result.status != 0)
            c.skipped = "FAILED " + result.output;
        return c;
    }();
    return made;
}

std::string field(const std::string& line, const std::string& name) {
    const std::regex pattern("\"" + name + "\":(\"[^\"]*\"|\\[[^\\]]*\\])");
    std::smatch match;
    return std::regex_search(line, match, pattern) ? match[1].str() : "-";
}

std::set<std::string> verdicts_of(const std::string& pcap) {
    const std::string flows = temp_dir() + "/" + fs::path(pcap).stem().string() + ".jsonl";
    const CommandResult result = run_command(
        {binary_path(), "run", "-c", shipped_config(), "--workers", "1", "--pcap", pcap,
         "--flows-out", flows, "--metrics", "127.0.0.1:" + std::to_string(free_port())});
    EXPECT_EQ(result.status, 0) << result.output;
    std::set<std::string> verdicts;
    for (const std::string& line : read_lines(flows))
        verdicts.insert(field(line, "proto") + " " + field(line, "app") + " " +
                        field(line, "classifier") + " " + field(line, "confidence") + " " +
                        field(line, "evidence"));
    return verdicts;
}

class SipCapture : public ::testing::TestWithParam<std::string> {};

TEST_P(SipCapture, VerdictsMatchGolden) {
    const Captures& made = captures();
    if (made.skipped.rfind("FAILED", 0) == 0) FAIL() << made.skipped;
    if (!made.skipped.empty()) GTEST_SKIP() << made.skipped;
    const std::string name = GetParam();
    const std::set<std::string> got = verdicts_of(made.dir + "/" + name + ".pcap");
    const std::vector<std::string> golden = read_lines(here() + "/golden/" + name + ".verdicts");
    EXPECT_EQ(got, std::set<std::string>(golden.begin(), golden.end())) << name;
    // Whatever the golden files say: web and TLS 1.3 without SNI never become TU Me.
    if (name.rfind("https-", 0) == 0 || name == "sip-tls13-nosni") {
        for (const std::string& verdict : got)
            EXPECT_EQ(verdict.find("tume-voip"), std::string::npos) << name << ": " << verdict;
    }
    // Nor does web become SIP by its record sizes and timing.
    if (name.rfind("https-", 0) == 0) {
        for (const std::string& verdict : got)
            EXPECT_EQ(verdict.find("sip-tls"), std::string::npos) << name << ": " << verdict;
    }
}

INSTANTIATE_TEST_SUITE_P(RealPeers, SipCapture,
                         ::testing::Values("sip-udp-5060", "sip-tcp-443", "sip-tls12-sni",
                                           "sip-tls12-nosni", "sip-tls13-sni", "sip-tls13-nosni",
                                           "sip-tls13-sni-long", "https-pages", "https-long",
                                           "https-h2"),
                         [](const auto& info) {
                             std::string name = info.param;
                             for (char& c : name)
                                 if (c == '-') c = '_';
                             return name;
                         });

// Subscriber values are looked at by the parser and go nowhere: not into records, not into
// metrics, not into the log.
TEST(SipPrivacy, SubscriberValuesLeaveNoTrace) {
    const std::string pcap = temp_dir() + "/subscriber-sip.pcap";
    const CommandResult made =
        run_command({"/usr/bin/python3", here() + "/make_subscriber_sip.py", pcap});
    if (made.status != 0) GTEST_SKIP() << "scapy: " << made.output;
    std::vector<std::string> secrets;
    std::istringstream lines(made.output);
    for (std::string line; std::getline(lines, line);)
        if (!line.empty()) secrets.push_back(line);
    ASSERT_GE(secrets.size(), 5u);

    const std::string flows = temp_dir() + "/subscriber.jsonl";
    const LingeringRun run = run_lingering(
        {"-c", shipped_config(), "--workers", "1", "--pcap", pcap, "--flows-out", flows},
        "app=\"SIP\"");
    const std::string& body = run.metrics;

    std::string records;
    for (const std::string& line : read_lines(flows)) records += line + "\n";
    ASSERT_NE(records.find("\"classifier\":\"sip\""), std::string::npos) << records;
    ASSERT_NE(body.find("app=\"SIP\""), std::string::npos) << body;
    for (const std::string& secret : secrets) {
        EXPECT_EQ(records.find(secret), std::string::npos) << secret << " in flow records";
        EXPECT_EQ(body.find(secret), std::string::npos) << secret << " in /metrics";
        EXPECT_EQ(run.output.find(secret), std::string::npos) << secret << " in the log";
    }
}

}  // namespace
}  // namespace ottscope::test
