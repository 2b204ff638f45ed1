// Runs the real binary through the DPDK net_pcap path on our own captures and on hostile
// input, the way an operator would.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <regex>
#include <thread>

#include "tests/test_support.h"

namespace ottscope::test {
namespace {

int count_lines(const std::string& text) {
    return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

TEST(DemoCapture, FlowRecordsMatchGolden) {
    const std::string out = temp_dir() + "/demo.jsonl";
    const CommandResult result = run_on_captures({demo_capture()}, out, {"--workers", "1"});
    ASSERT_EQ(result.status, 0) << result.output;
    EXPECT_NE(result.output.find("conservation: received 149 = apps 149: holds"), std::string::npos)
        << result.output;
    EXPECT_EQ(sorted_lines(out),
              sorted_lines(source_root() + "/tests/integration/golden/tume-demo.flows.jsonl"));
}

// Several workers on a single-queue port, with worker 0 receiving (at several shares) or a
// dedicated fan-out lcore: the same records as one worker, every packet counted.
struct FanoutRun {
    const char* name;
    const char* workers;
    const char* dataplane;  // the configuration's dataplane section
    const char* note;       // what the summary says of the fan-out
};

void PrintTo(const FanoutRun& run, std::ostream* out) {
    *out << run.name;
}

class MultiWorker : public testing::TestWithParam<FanoutRun> {};

TEST_P(MultiWorker, SameRecordsAsOneWorkerAndConservationHolds) {
    // Both directions of every flow must meet in one worker after the fan-out.
    const FanoutRun run = GetParam();
    const std::string config = temp_dir() + "/" + run.name + ".yaml";
    std::ofstream(config) << "dataplane:\n" << run.dataplane;
    const std::string out = temp_dir() + "/" + run.name + ".jsonl";
    const CommandResult result =
        run_on_captures({demo_capture()}, out, {"--workers", run.workers, "-c", config});
    ASSERT_EQ(result.status, 0) << result.output;
    EXPECT_NE(result.output.find("conservation: received 149 = apps 149: holds"), std::string::npos)
        << result.output;
    EXPECT_NE(
        result.output.find(std::string("with ") + run.workers + " workers " + run.note + ": "),
        std::string::npos)
        << result.output;
    EXPECT_EQ(sorted_lines(out),
              sorted_lines(source_root() + "/tests/integration/golden/tume-demo.flows.jsonl"));
}

INSTANTIATE_TEST_SUITE_P(Fanout, MultiWorker,
                         testing::Values(FanoutRun{"Receiver2", "2", "  hugepages: false\n",
                                                   "(fan-out in worker 0, receiver_share 0.00391)"},
                                         FanoutRun{"ReceiverEqual2", "2", "  receiver_share: 1\n",
                                                   "(fan-out in worker 0, receiver_share 1)"},
                                         FanoutRun{"ReceiverSet2", "2", "  receiver_share: 0.3\n",
                                                   "(fan-out in worker 0, receiver_share 0.3)"},
                                         FanoutRun{"Receiver3", "3", "  fanout: receiver\n",
                                                   "(fan-out in worker 0, receiver_share 0.00391)"},
                                         FanoutRun{"Dedicated2", "2", "  fanout: dedicated\n",
                                                   "(fan-out on a dedicated lcore)"},
                                         FanoutRun{"Dedicated3", "3", "  fanout: dedicated\n",
                                                   "(fan-out on a dedicated lcore)"}),
                         [](const auto& info) { return std::string(info.param.name); });

// Two captures as RSS would deliver them, a queue per worker (--pcap-queues): each worker
// reads its own file, none hands a packet to the other, every packet is counted, and the
// records are those of each capture run alone.
TEST(QueuePerWorker, EachWorkerReadsItsFileWithNoFanout) {
    const std::string prologue = source_root() + "/tests/classifiers/tls/prologue/prologue.pcap";
    const std::string alone_demo = temp_dir() + "/alone-demo.jsonl";
    const std::string alone_prologue = temp_dir() + "/alone-prologue.jsonl";
    ASSERT_EQ(run_on_captures({demo_capture()}, alone_demo, {"--workers", "1"}).status, 0);
    ASSERT_EQ(run_on_captures({prologue}, alone_prologue, {"--workers", "1"}).status, 0);

    const std::string out = temp_dir() + "/queues.jsonl";
    // Worker 1's count is the last to settle: its file is the longer one.
    const LingeringRun run = run_lingering(
        {"--pcap-queues", demo_capture() + "," + prologue, "--workers", "2", "--flows-out", out},
        R"(ottscope_worker_packets_total{worker="1"} 214)");
    EXPECT_NE(run.output.find("2 workers on 1 port; metrics"), std::string::npos) << run.output;
    EXPECT_NE(run.output.find("conservation: received 363 = apps 363: holds"), std::string::npos)
        << run.output;
    EXPECT_NE(run.output.find("with 2 workers: "), std::string::npos)
        << "no fan-out note: nobody hands packets out\n"
        << run.output;
    // What each queue received is what its worker took in: not a packet crossed over.
    for (const char* sample : {R"(ottscope_rx_packets_total{port="pcap0",queue="0"} 149)",
                               R"(ottscope_rx_packets_total{port="pcap0",queue="1"} 214)",
                               R"(ottscope_worker_packets_total{worker="0"} 149)",
                               R"(ottscope_worker_packets_total{worker="1"} 214)"})
        EXPECT_NE(run.metrics.find(sample), std::string::npos) << sample << "\n" << run.metrics;
    std::vector<std::string> expected = read_lines(alone_demo);
    for (const std::string& line : read_lines(alone_prologue)) expected.push_back(line);
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(sorted_lines(out), expected);
}

// The summary says no fan-out ran.
TEST(QueuePerWorker, JsonSummarySaysNoFanout) {
    const CommandResult result = run_command(
        {binary_path(), "run", "--pcap-queues", demo_capture() + "," + demo_capture(), "--workers",
         "2", "--output", "json", "--metrics", "127.0.0.1:" + std::to_string(free_port())});
    ASSERT_EQ(result.status, 0) << result.output;
    EXPECT_NE(result.output.find(R"("fanout":{"mode":"none","receiver_share":null})"),
              std::string::npos)
        << result.output;
    EXPECT_NE(result.output.find(R"("received":298,"apps":298,"counted":298,"holds":true)"),
              std::string::npos)
        << result.output;
}

TEST(HostileInput, QueueFilesNotOnePerWorker) {
    for (const char* workers : {"1", "3"}) {
        const CommandResult result =
            run_command({binary_path(), "run", "--pcap-queues",
                         demo_capture() + "," + demo_capture(), "--workers", workers});
        EXPECT_EQ(result.status, 1);
        EXPECT_NE(result.output.find(std::string("ottscope: --pcap-queues gives 2 files for ") +
                                     workers + " worker"),
                  std::string::npos)
            << result.output;
        EXPECT_EQ(count_lines(result.output), 1) << result.output;
    }
}

TEST(HostileInput, QueueFilesWithDifferentLinkTypes) {
    const std::string sll2 = source_root() + "/tests/dataplane/captures/any-sll2.pcap";
    const CommandResult result = run_command(
        {binary_path(), "run", "--pcap-queues", demo_capture() + "," + sll2, "--workers", "2"});
    EXPECT_EQ(result.status, 1);
    EXPECT_NE(result.output.find("must share theirs"), std::string::npos) << result.output;
    EXPECT_EQ(count_lines(result.output), 1) << result.output;
}

// Runs the demo capture with `args` and `--output json`: the summary's fan-out object must
// be `fanout`.
void expect_summary_fanout(std::vector<std::string> args, const std::string& fanout) {
    args.insert(args.end(), {"--output", "json"});
    const CommandResult result = run_on_captures({demo_capture()}, "", args);
    ASSERT_EQ(result.status, 0) << result.output;
    EXPECT_NE(result.output.find(R"("fanout":)" + fanout), std::string::npos) << result.output;
}

TEST(DemoCapture, JsonSummarySaysWhichFanoutRan) {
    const std::string config = temp_dir() + "/dedicated.yaml";
    std::ofstream(config) << "dataplane:\n  fanout: dedicated\n";
    expect_summary_fanout({"--workers", "2", "-c", config},
                          R"({"mode":"dedicated","receiver_share":null})");
    // Capture files only: the automatic share is the small one (kCaptureReceiverShare).
    expect_summary_fanout({"--workers", "2"}, R"({"mode":"receiver","receiver_share":0.00390625})");
    expect_summary_fanout({"--workers", "1"}, R"({"mode":"none","receiver_share":null})");
}

// With the shipped rules, the TLS flows of TU Me are named from our own TLS parser's facts
// (certificate SAN *.jajah.com, SNI api.tumeapp.com), with the rule as evidence; the web
// TLS flow no rule matches keeps nDPI's label.
TEST(DemoCapture, ShippedRulesNameTuMeTlsFlowsFromOurParser) {
    const std::string out = temp_dir() + "/demo-rules.jsonl";
    const CommandResult result = run_on_captures(
        {demo_capture()}, out, {"--workers", "1", "-c", source_root() + "/config/ottscope.yaml"});
    ASSERT_EQ(result.status, 0) << result.output;
    const auto lines = sorted_lines(out);
    EXPECT_EQ(lines, sorted_lines(source_root() +
                                  "/tests/integration/golden/tume-demo.rules.flows.jsonl"));
    int voip = 0;
    for (const auto& line : lines) {
        if (line.find("\"sni\":\"sip.jajah.com\"") == std::string::npos) continue;
        ++voip;
        EXPECT_NE(line.find("\"app\":\"tume-voip\""), std::string::npos) << line;
        EXPECT_NE(line.find("\"classifier\":\"tls\""), std::string::npos) << line;
        EXPECT_NE(line.find("\"evidence\":[\"tls.cert_san="), std::string::npos) << line;
    }
    EXPECT_EQ(voip, 1);
}

TEST(DemoCapture, TlsFieldsCanBeLeftOutOfRecords) {
    const std::string config = temp_dir() + "/no-tls-fields.yaml";
    {
        std::ofstream out(config);
        out << "flow_records:\n  tls_fields: false\n";
    }
    const std::string out = temp_dir() + "/demo-no-tls.jsonl";
    const CommandResult result =
        run_on_captures({demo_capture()}, out, {"--workers", "1", "-c", config});
    ASSERT_EQ(result.status, 0) << result.output;
    const auto lines = read_lines(out);
    ASSERT_EQ(lines.size(), 10u);
    for (const auto& line : lines) {
        EXPECT_EQ(line.find("\"sni\""), std::string::npos) << line;
        EXPECT_EQ(line.find("\"ja3\""), std::string::npos) << line;
    }
}

TEST(DemoCapture, SynthesizerReproducesTheBundledCapture) {
    const std::string out = temp_dir() + "/synth.pcap";
    const CommandResult result = run_command({binary_path(), "synth", "--out", out, "--seed", "1"});
    ASSERT_EQ(result.status, 0) << result.output;
    std::ifstream made(out, std::ios::binary);
    std::ifstream bundled(demo_capture(), std::ios::binary);
    const std::string made_bytes((std::istreambuf_iterator<char>(made)), {});
    const std::string bundled_bytes((std::istreambuf_iterator<char>(bundled)), {});
    EXPECT_FALSE(made_bytes.empty());
    EXPECT_TRUE(made_bytes == bundled_bytes) << "config/demo/tume-demo.pcap is not what "
                                                "`ottscope synth --seed 1` writes";
}

TEST(DemoCapture, MetricsAreServedWhileLingering) {
    const uint16_t port = free_port();
    const pid_t pid = fork();
    if (pid == 0) {
        const std::string metrics = "127.0.0.1:" + std::to_string(port);
        const std::string capture = demo_capture();
        const std::string binary = binary_path();
        freopen("/dev/null", "w", stdout);
        execl(binary.c_str(), binary.c_str(), "run", "--pcap", capture.c_str(), "--metrics",
              metrics.c_str(), "--linger", static_cast<char*>(nullptr));
        _exit(127);
    }
    double counted = -1;
    std::string body;
    for (int attempt = 0; attempt < 100 && counted != 149; ++attempt) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        body = http_get(port, "/metrics");
        if (body.empty()) continue;
        counted = 0;
        const std::regex sample(
            R"(^ottscope_(app_packets_total|dropped_packets_total)\{[^}]*\} (\S+))");
        std::istringstream lines(body);
        for (std::string line; std::getline(lines, line);) {
            std::smatch match;
            if (std::regex_search(line, match, sample)) counted += std::stod(match[2]);
        }
    }
    EXPECT_NE(http_get(port, "/healthz").find("ok"), std::string::npos);
    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_EQ(counted, 149) << body;
    EXPECT_NE(body.find("ottscope_build_info{version="), std::string::npos);
    EXPECT_NE(body.find("ottscope_app_flows_total{app=\"SIP\",category=\"VoIP\"} 2"),
              std::string::npos)
        << body;
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(LivePort, StopsAfterDurationWithEveryPacketCounted) {
    // A configured vdev port (net_null: endless zero-filled frames) runs until --duration;
    // packets in flight between the receiver (worker 0 or the fan-out lcore) and the workers
    // are still counted, and the receiver does not wait for full rings once stopped.
    for (const char* fanout : {"receiver", "dedicated"}) {
        const std::string config = temp_dir() + "/null-" + fanout + ".yaml";
        std::ofstream(config) << "dataplane:\n  fanout: " << fanout
                              << "\nports:\n  - name: null0\n    device: net_null0\n"
                                 "flow_table:\n  capacity: 4096\n";
        for (const char* workers : {"1", "2", "3"}) {
            const CommandResult result =
                run_command({binary_path(), "run", "-c", config, "--duration", "0.5", "--workers",
                             workers, "--metrics", "127.0.0.1:" + std::to_string(free_port())});
            EXPECT_EQ(result.status, 0) << fanout << " " << workers << "\n" << result.output;
            EXPECT_NE(result.output.find(": holds"), std::string::npos) << result.output;
            EXPECT_NE(result.output.find("not_ip"), std::string::npos) << result.output;
        }
    }
}

TEST(HostileInput, PciPortWithoutHugepages) {
    const std::string config = temp_dir() + "/pci.yaml";
    std::ofstream(config) << "ports:\n  - name: mirror0\n    device: \"0000:3b:00.0\"\n";
    const CommandResult result = run_command({binary_path(), "run", "-c", config});
    EXPECT_EQ(result.status, 1);
    EXPECT_NE(result.output.find("hugepages"), std::string::npos) << result.output;
    EXPECT_EQ(count_lines(result.output), 1) << result.output;
}

TEST(HostileInput, MissingCapture) {
    const CommandResult result = run_on_captures({"/nonexistent/capture.pcap"}, "");
    EXPECT_EQ(result.status, 1);
    EXPECT_NE(result.output.find("/nonexistent/capture.pcap"), std::string::npos) << result.output;
    EXPECT_EQ(count_lines(result.output), 1) << result.output;
}

TEST(HostileInput, GarbageCapture) {
    const std::string path = temp_dir() + "/garbage.pcap";
    std::ofstream(path) << "this is not a capture file, just text pretending to be one\n";
    const CommandResult result = run_on_captures({path}, "");
    EXPECT_EQ(result.status, 1);
    EXPECT_NE(result.output.find(path), std::string::npos) << result.output;
    EXPECT_EQ(count_lines(result.output), 1) << result.output;
}

TEST(HostileInput, TruncatedCaptureIsProcessedUpToTheDamage) {
    std::ifstream in(demo_capture(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    const std::string path = temp_dir() + "/truncated.pcap";
    std::ofstream(path, std::ios::binary) << bytes.substr(0, bytes.size() / 2 + 7);
    const std::string out = temp_dir() + "/truncated.jsonl";
    const CommandResult result = run_on_captures({path}, out);
    EXPECT_EQ(result.status, 1) << result.output;
    EXPECT_NE(result.output.find(path + ": damaged after packet"), std::string::npos)
        << result.output;
    EXPECT_NE(result.output.find(": holds"), std::string::npos) << result.output;
    EXPECT_FALSE(read_lines(out).empty());
}

TEST(HostileInput, EmptyCaptureFile) {
    const std::string path = temp_dir() + "/empty.pcap";
    std::ofstream(path).close();
    const CommandResult result = run_on_captures({path}, "");
    EXPECT_EQ(result.status, 1);
    EXPECT_EQ(count_lines(result.output), 1) << result.output;
}

TEST(HostileInput, UnknownFlag) {
    const CommandResult result = run_command({binary_path(), "run", "--no-such-flag"});
    EXPECT_EQ(result.status, 1);
    EXPECT_NE(result.output.find("--no-such-flag"), std::string::npos) << result.output;
    EXPECT_EQ(count_lines(result.output), 1) << result.output;
}

// A bad config file must be caught where an operator meets it: check-config names its place
// (PATH followed by `where_and_what`), and run refuses it in one line.
void expect_config_refused(const std::string& name, const std::string& yaml,
                           const std::string& where_and_what) {
    const std::string path = temp_dir() + "/" + name;
    std::ofstream(path) << yaml;
    const CommandResult check = run_command({binary_path(), "check-config", path});
    EXPECT_EQ(check.status, 1);
    EXPECT_NE(check.output.find(path + where_and_what), std::string::npos) << check.output;
    const CommandResult run =
        run_command({binary_path(), "run", "-c", path, "--pcap", demo_capture()});
    EXPECT_EQ(run.status, 1);
    EXPECT_EQ(count_lines(run.output), 1) << run.output;
}

TEST(HostileInput, UnknownConfigKeyIsReportedWithItsPlace) {
    expect_config_refused("bad.yaml", "dataplane:\n  workers: 1\n  wrokers: 2\n",
                          ":3:3: unknown key 'wrokers' in dataplane (did you mean 'workers'?)");
}

TEST(HostileInput, ReceiverShareOutOfRangeIsReportedWithItsPlace) {
    expect_config_refused("share.yaml", "dataplane:\n  workers: 2\n  receiver_share: 0\n",
                          ":3:19: dataplane.receiver_share is 0, must be above 0 and at most 1");
}

TEST(HostileInput, BrokenYamlSyntax) {
    const std::string path = temp_dir() + "/broken.yaml";
    std::ofstream(path) << "dataplane:\n  workers: [1, 2\n";
    const CommandResult check = run_command({binary_path(), "check-config", path});
    EXPECT_EQ(check.status, 1);
    EXPECT_NE(check.output.find(path + ":"), std::string::npos) << check.output;
}

TEST(HostileInput, ShippedConfigIsValid) {
    const CommandResult check =
        run_command({binary_path(), "check-config", source_root() + "/config/ottscope.yaml"});
    EXPECT_EQ(check.status, 0) << check.output;
}

}  // namespace
}  // namespace ottscope::test
