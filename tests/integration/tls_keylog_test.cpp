// The appliance with a TLS key log (run --tls-keylog / classifiers.tls.keylog_file), on the
// shared corpus's keylog captures, read in place: SIP inside TLS 1.2 and 1.3 is confirmed
// at high confidence in the flow record and in ottscope_classifier_verdicts_total; an HTTPS
// page is not; without keys nothing is decrypted; a key log that appears or grows while the
// appliance runs is picked up. Skipped when ../shared is absent.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <regex>
#include <thread>

#include "tests/control/child_process.h"
#include "tests/test_support.h"

namespace ottscope::test {
namespace {

using namespace std::chrono_literals;

std::string keylog_dir() {
    const std::string shared = shared_root();
    return shared.empty() ? std::string() : shared + "/pcaps/keylog";
}

std::string field(const std::string& line, const std::string& name) {
    const std::regex pattern("\"" + name + "\":(\"[^\"]*\"|\\[[^\\]]*\\])");
    std::smatch match;
    return std::regex_search(line, match, pattern) ? match[1].str() : "-";
}

// The TCP flow's record (the captures also hold neighbour discovery).
std::string tcp_record(const std::string& flows) {
    for (const std::string& line : read_lines(flows))
        if (line.find("\"proto\":\"TCP\"") != std::string::npos) return line;
    return {};
}

std::string wait_for_metrics(uint16_t port, const std::function<bool(const std::string&)>& ready,
                             std::chrono::milliseconds limit = 15s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    std::string page;
    while (std::chrono::steady_clock::now() < deadline) {
        page = http_get(port, "/metrics");
        if (ready(page)) return page;
        std::this_thread::sleep_for(50ms);
    }
    return page;
}

struct RunResult {
    std::string record;   // the TCP flow's record
    std::string metrics;  // /metrics once that flow was credited
    std::string log;
};

// Runs a capture with the shipped configuration (and its rules) and the given key log,
// lingering so /metrics can be read once the capture is done.
RunResult run_capture(const std::string& name, const std::string& keys) {
    const std::string dir = keylog_dir();
    const std::string flows = temp_dir() + "/" + name + (keys.empty() ? "-nokeys" : "") + ".jsonl";
    const uint16_t port = free_port();
    std::vector<std::string> argv = {
        binary_path(), "run", "-c",        source_root() + "/config/ottscope.yaml",
        "--workers",   "1",   "--pcap",    dir + "/" + name + ".pcap",
        "--flows-out", flows, "--metrics", "127.0.0.1:" + std::to_string(port),
        "--linger"};
    if (!keys.empty()) {
        argv.push_back("--tls-keylog");
        argv.push_back(keys);
    }
    ChildProcess appliance(argv, flows + ".log");
    RunResult run;
    run.metrics = wait_for_metrics(port, [](const std::string& page) {
        // The TCP flow is credited once every classifier is done with it.
        static const std::regex credited(
            "ottscope_classifier_verdicts_total\\{classifier=\"[a-z]+\",app=\"(TLS|tume-voip|sip-"
            "tls)\"");
        return std::regex_search(page, credited);
    });
    EXPECT_EQ(appliance.stop(), 0) << appliance.log();
    run.record = tcp_record(flows);
    run.log = appliance.log();
    return run;
}

class TlsKeyLogRun : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = keylog_dir();
        if (dir_.empty()) GTEST_SKIP() << "../shared is absent";
    }
    std::string keys(const std::string& name) const { return dir_ + "/" + name + ".keys"; }
    std::string dir_;
};

TEST_F(TlsKeyLogRun, SipInsideTls12KeepsTheRuleAppAndIsBackedByDecryption) {
    const RunResult run = run_capture("sip_call_tls12", keys("sip_call_tls12"));
    ASSERT_FALSE(run.record.empty()) << run.log;
    EXPECT_EQ(field(run.record, "app"), "\"tume-voip\"") << run.record;
    EXPECT_EQ(field(run.record, "confidence"), "\"high\"");
    EXPECT_EQ(field(run.record, "classifier"), "\"tls\"");
    EXPECT_EQ(field(run.record, "decrypted"), "\"sip\"");
    EXPECT_NE(field(run.record, "evidence").find("sip inside tls (decrypted)"), std::string::npos)
        << run.record;
    EXPECT_NE(run.metrics.find("ottscope_classifier_verdicts_total{classifier=\"tls\",app=\"tume-"
                               "voip\",confidence=\"high\"} 1"),
              std::string::npos)
        << run.metrics;
    EXPECT_NE(run.metrics.find("ottscope_tls_decrypted_flows_total{result=\"sip\"} 1"),
              std::string::npos);
    EXPECT_NE(run.metrics.find("ottscope_tls_keylog_sessions 1"), std::string::npos);
}

TEST_F(TlsKeyLogRun, SipInsideTls13WithoutSniIsSipTls) {
    const RunResult run = run_capture("sip_call_tls13", keys("sip_call_tls13"));
    ASSERT_FALSE(run.record.empty()) << run.log;
    EXPECT_EQ(field(run.record, "app"), "\"sip-tls\"") << run.record;
    EXPECT_EQ(field(run.record, "category"), "\"voip\"");
    EXPECT_EQ(field(run.record, "confidence"), "\"high\"");
    EXPECT_EQ(field(run.record, "evidence"), "[\"sip inside tls (decrypted)\"]");
    EXPECT_EQ(field(run.record, "decrypted"), "\"sip\"");
    EXPECT_NE(run.metrics.find("ottscope_classifier_verdicts_total{classifier=\"tls\",app=\"sip-"
                               "tls\",confidence=\"high\"} 1"),
              std::string::npos)
        << run.metrics;
}

TEST_F(TlsKeyLogRun, WebPageInsideTls13IsNotSip) {
    const RunResult run = run_capture("web_tls13", keys("web_tls13"));
    ASSERT_FALSE(run.record.empty()) << run.log;
    EXPECT_EQ(field(run.record, "decrypted"), "\"not_sip\"") << run.record;
    EXPECT_EQ(field(run.record, "app"), "\"TLS\"");
    EXPECT_EQ(field(run.record, "evidence"), "-") << run.record;
    EXPECT_NE(run.metrics.find("ottscope_tls_decrypted_flows_total{result=\"not_sip\"} 1"),
              std::string::npos)
        << run.metrics;
    EXPECT_EQ(run.metrics.find("app=\"sip-tls\""), std::string::npos);
}

TEST_F(TlsKeyLogRun, WithoutKeysNothingIsDecrypted) {
    for (const std::string name : {"sip_call_tls12", "sip_call_tls13"}) {
        const RunResult run = run_capture(name, "");
        ASSERT_FALSE(run.record.empty()) << run.log;
        EXPECT_EQ(field(run.record, "decrypted"), "-") << run.record;
        EXPECT_EQ(run.record.find("decrypted"), std::string::npos) << run.record;
        // Without keys only the behavioural model can speak (TLS 1.3 without SNI): never high.
        if (field(run.record, "app") == "\"sip-tls\"") {
            EXPECT_NE(field(run.record, "confidence"), "\"high\"") << run.record;
        }
        EXPECT_EQ(run.metrics.find("ottscope_tls_decrypted"), std::string::npos);
    }
    // TLS 1.2 still names the service by its SNI and certificate (layer b).
    EXPECT_EQ(field(run_capture("sip_call_tls12", "").record, "app"), "\"tume-voip\"");
}

TEST_F(TlsKeyLogRun, SecretsNeverReachTheLogAndBrokenLinesAreLocated) {
    // The real secrets plus two broken lines, in a key log of our own.
    std::ifstream in(keys("sip_call_tls13"));
    const std::string real((std::istreambuf_iterator<char>(in)), {});
    const std::string path = temp_dir() + "/broken.keys";
    std::ofstream(path) << "CLIENT_RANDOM 00 11\n" << real << "NOT_A_LABEL a b\n";
    const RunResult run = run_capture("sip_call_tls13", path);
    EXPECT_EQ(field(run.record, "decrypted"), "\"sip\"") << run.record;
    EXPECT_NE(run.log.find(path + ":1: "), std::string::npos) << run.log;
    EXPECT_NE(run.log.find("2 malformed lines"), std::string::npos) << run.log;
    EXPECT_NE(run.metrics.find("ottscope_tls_keylog_malformed_lines 2"), std::string::npos);
    // No secret (64 or 96 hex digits) in the log, the records or /metrics.
    const std::regex secret("[0-9a-fA-F]{64}");
    EXPECT_FALSE(std::regex_search(run.log, secret)) << run.log;
    EXPECT_FALSE(std::regex_search(run.record, secret)) << run.record;
    EXPECT_FALSE(std::regex_search(run.metrics, secret));
}

TEST_F(TlsKeyLogRun, AKeyLogWrittenWhileRunningIsPickedUp) {
    // The capture replays in a loop; the key log starts empty and gets the session's secrets
    // while the appliance runs: the next replay of the flow is decrypted.
    // The capture's offloaded super-segments are cut to MTU size first: --loop replays one
    // mbuf per frame.
    const std::string capture = temp_dir() + "/sip_call_tls13-mtu.pcap";
    const CommandResult cut =
        run_command({"/usr/bin/python3", source_root() + "/tests/integration/resegment_pcap.py",
                     dir_ + "/sip_call_tls13.pcap", capture});
    if (cut.status != 0) GTEST_SKIP() << "scapy: " << cut.output;
    const std::string path = temp_dir() + "/growing.keys";
    std::ofstream(path) << "# SSL/TLS secrets log file\n";
    const uint16_t port = free_port();
    ChildProcess appliance({binary_path(), "run", "--workers", "1", "--pcap", capture, "--loop",
                            "--tls-keylog", path, "--metrics", "127.0.0.1:" + std::to_string(port)},
                           temp_dir() + "/growing.log");
    const std::string before = wait_for_metrics(port, [](const std::string& page) {
        return page.find("ottscope_tls_keylog_sessions 0") != std::string::npos &&
               page.find("app=\"TLS\"") != std::string::npos;
    });
    ASSERT_NE(before.find("ottscope_tls_keylog_sessions 0"), std::string::npos) << appliance.log();
    EXPECT_NE(before.find("ottscope_tls_decrypted_flows_total{result=\"sip\"} 0"),
              std::string::npos);
    {
        std::ifstream in(keys("sip_call_tls13"));
        std::ofstream out(path, std::ios::app);
        out << in.rdbuf();
    }
    const std::string after = wait_for_metrics(port, [](const std::string& page) {
        return std::regex_search(
            page, std::regex("ottscope_tls_decrypted_flows_total\\{result=\"sip\"\\} [1-9]"));
    });
    EXPECT_NE(after.find("ottscope_tls_keylog_sessions 1"), std::string::npos) << after;
    // A growing key log is not a configuration reload: the rules stay as they were.
    EXPECT_NE(after.find("ottscope_rules_version 1\n"), std::string::npos) << after;
    EXPECT_NE(after.find("ottscope_config_reloads_total{result=\"success\"} 0"), std::string::npos);
    EXPECT_EQ(appliance.log().find("rules reloaded"), std::string::npos) << appliance.log();
    EXPECT_TRUE(std::regex_search(
        after, std::regex("ottscope_tls_decrypted_flows_total\\{result=\"sip\"\\} [1-9]")))
        << appliance.log();
    EXPECT_EQ(appliance.stop(), 0);
}

TEST_F(TlsKeyLogRun, ConfiguredKeyLogIsReadAgainOnSighup) {
    // classifiers.tls.keylog_file, relative to the configuration's folder; no file watching:
    // the grown key log is read on SIGHUP.
    const std::string capture = temp_dir() + "/sip_call_tls13-mtu-hup.pcap";
    const CommandResult cut =
        run_command({"/usr/bin/python3", source_root() + "/tests/integration/resegment_pcap.py",
                     dir_ + "/sip_call_tls13.pcap", capture});
    if (cut.status != 0) GTEST_SKIP() << "scapy: " << cut.output;
    const std::string dir = temp_dir() + "/hup";
    std::system(("mkdir -p " + dir).c_str());
    std::ofstream(dir + "/keys.log") << "";
    std::ofstream(dir + "/ottscope.yaml")
        << "classifiers:\n  tls:\n    keylog_file: keys.log\nrules:\n  files: []\n"
           "  watch_files: false\n";
    const uint16_t port = free_port();
    ChildProcess appliance(
        {binary_path(), "run", "-c", dir + "/ottscope.yaml", "--workers", "1", "--pcap", capture,
         "--loop", "--metrics", "127.0.0.1:" + std::to_string(port)},
        dir + "/appliance.log");
    const std::string before = wait_for_metrics(port, [](const std::string& page) {
        return page.find("ottscope_tls_keylog_sessions 0") != std::string::npos;
    });
    ASSERT_NE(before.find("ottscope_tls_keylog_sessions 0"), std::string::npos) << appliance.log();
    {
        std::ifstream in(keys("sip_call_tls13"));
        std::ofstream out(dir + "/keys.log", std::ios::app);
        out << in.rdbuf();
    }
    std::this_thread::sleep_for(1500ms);
    EXPECT_NE(http_get(port, "/metrics").find("ottscope_tls_keylog_sessions 0"), std::string::npos);
    appliance.signal(SIGHUP);
    const std::string after = wait_for_metrics(port, [](const std::string& page) {
        return std::regex_search(
            page, std::regex("ottscope_tls_decrypted_flows_total\\{result=\"sip\"\\} [1-9]"));
    });
    EXPECT_NE(after.find("ottscope_tls_keylog_sessions 1"), std::string::npos) << appliance.log();
    EXPECT_EQ(appliance.stop(), 0);
}

}  // namespace
}  // namespace ottscope::test
