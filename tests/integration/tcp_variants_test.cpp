// The real binary on TCP-hostile variants of the demo capture (segments reordered,
// retransmitted, cut into small overlapping pieces; written by tcp_variants.py with scapy):
// every flow must get the same verdict as in the plain capture, every packet must be
// counted, and the stream reassembly counters must see what was done to the segments.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/test_support.h"

namespace ottscope::test {
namespace {

constexpr const char* kPython = "/usr/bin/python3";

// Reassembly of every TCP flow, so the counters have something to show although no
// classifier reads streams yet.
std::string all_tcp_config() {
    std::string path = temp_dir() + "/all_tcp.yaml";
    std::ofstream(path) << "stream_reassembly:\n  all_tcp: true\n";
    return path;
}

struct Variants {
    std::string error;                   // why they could not be made
    std::map<std::string, int> packets;  // variant name -> packets in it
    std::string path(const std::string& name) const {
        return temp_dir() + "/variants/" + name + ".pcap";
    }
};

const Variants& variants() {
    static const Variants made = [] {
        Variants v;
        if (access(kPython, X_OK) != 0) {
            v.error = std::string(kPython) + " is missing";
            return v;
        }
        const CommandResult result =
            run_command({kPython, source_root() + "/tests/integration/tcp_variants.py",
                         demo_capture(), temp_dir() + "/variants"});
        if (result.status != 0) {
            v.error = "tcp_variants.py failed (is python3-scapy installed?): " + result.output;
            return v;
        }
        std::istringstream lines(result.output);
        std::string name;
        int count = 0;
        while (lines >> name >> count) v.packets[name] = count;
        return v;
    }();
    return made;
}

// One line per flow: protocol, both endpoints (in a fixed order: which side sent first can
// change when segments are reordered), app, nDPI's label, deciding classifier.
std::vector<std::string> verdicts(const std::string& flows_path) {
    std::vector<std::string> out;
    auto field = [](const std::string& line, const std::string& name) {
        const std::regex pattern("\"" + name + "\":\"?([^\",]*)\"?[,}]");
        std::smatch match;
        return std::regex_search(line, match, pattern) ? match[1].str() : std::string("?");
    };
    for (const std::string& line : read_lines(flows_path)) {
        std::string a = field(line, "src_ip") + ":" + field(line, "src_port");
        std::string b = field(line, "dst_ip") + ":" + field(line, "dst_port");
        if (b < a) std::swap(a, b);
        out.push_back(field(line, "proto") + " " + a + " " + b + " app=" + field(line, "app") +
                      " ndpi=" + field(line, "ndpi") + " by=" + field(line, "classifier"));
    }
    std::sort(out.begin(), out.end());
    return out;
}

CommandResult run_capture(const std::string& pcap, const std::string& flows_out) {
    return run_command({binary_path(), "run", "-c", all_tcp_config(), "--workers", "1", "--pcap",
                        pcap, "--flows-out", flows_out, "--metrics",
                        "127.0.0.1:" + std::to_string(free_port())});
}

// Runs with --linger until every packet is counted, returns the /metrics body.
std::string metrics_after(const std::string& pcap, int packets) {
    const uint16_t port = free_port();
    const std::string config = all_tcp_config();
    const pid_t pid = fork();
    if (pid == 0) {
        const std::string metrics = "127.0.0.1:" + std::to_string(port);
        const std::string binary = binary_path();
        freopen("/dev/null", "w", stdout);
        execl(binary.c_str(), binary.c_str(), "run", "-c", config.c_str(), "--workers", "1",
              "--pcap", pcap.c_str(), "--metrics", metrics.c_str(), "--linger",
              static_cast<char*>(nullptr));
        _exit(127);
    }
    std::string body;
    const std::regex sample(
        R"(^ottscope_(app_packets_total|dropped_packets_total)\{[^}]*\} (\S+))");
    for (int attempt = 0; attempt < 100; ++attempt) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        body = http_get(port, "/metrics");
        double counted = 0;
        std::istringstream lines(body);
        for (std::string line; std::getline(lines, line);) {
            std::smatch match;
            if (std::regex_search(line, match, sample)) counted += std::stod(match[2]);
        }
        // Every packet counted means every packet went through reassembly already.
        if (counted == packets) break;
    }
    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    return body;
}

double stream_event(const std::string& body, const std::string& event) {
    const std::regex pattern("ottscope_stream_events_total\\{event=\"" + event + "\"\\} (\\S+)");
    std::smatch match;
    return std::regex_search(body, match, pattern) ? std::stod(match[1]) : -1;
}

class TcpVariant : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        if (!variants().error.empty()) GTEST_SKIP() << variants().error;
        ASSERT_EQ(variants().packets.count(GetParam()), 1u);
    }
};

TEST_P(TcpVariant, SameVerdictsPerFlowAsThePlainCapture) {
    const std::string plain_out = temp_dir() + "/plain.jsonl";
    const CommandResult plain = run_capture(demo_capture(), plain_out);
    ASSERT_EQ(plain.status, 0) << plain.output;
    const std::string out = temp_dir() + "/" + GetParam() + ".jsonl";
    const CommandResult result = run_capture(variants().path(GetParam()), out);
    ASSERT_EQ(result.status, 0) << result.output;
    const int packets = variants().packets.at(GetParam());
    EXPECT_NE(result.output.find("conservation: received " + std::to_string(packets) + " = apps " +
                                 std::to_string(packets) + ": holds"),
              std::string::npos)
        << result.output;
    const auto expected = verdicts(plain_out);
    EXPECT_EQ(expected.size(), 10u);
    EXPECT_EQ(verdicts(out), expected);
}

INSTANTIATE_TEST_SUITE_P(Demo, TcpVariant,
                         ::testing::Values("reordered", "retransmitted", "resegmented"));

TEST(TcpVariantCounters, StreamReassemblySeesWhatWasDoneToTheSegments) {
    if (!variants().error.empty()) GTEST_SKIP() << variants().error;
    const std::string plain = metrics_after(demo_capture(), 149);
    EXPECT_GT(stream_event(plain, "in_order"), 0) << plain;
    EXPECT_EQ(stream_event(plain, "out_of_order"), 0) << plain;
    EXPECT_EQ(stream_event(plain, "retransmitted"), 0) << plain;

    const std::string reordered =
        metrics_after(variants().path("reordered"), variants().packets.at("reordered"));
    EXPECT_GT(stream_event(reordered, "out_of_order"), 0) << reordered;

    const std::string retransmitted =
        metrics_after(variants().path("retransmitted"), variants().packets.at("retransmitted"));
    EXPECT_GT(stream_event(retransmitted, "retransmitted"), 0) << retransmitted;

    const std::string resegmented =
        metrics_after(variants().path("resegmented"), variants().packets.at("resegmented"));
    EXPECT_GT(stream_event(resegmented, "in_order"), stream_event(plain, "in_order"))
        << resegmented;

    for (const std::string* body : {&plain, &reordered, &retransmitted, &resegmented}) {
        // Overlaps in these variants carry identical bytes: nothing may disagree.
        EXPECT_EQ(stream_event(*body, "overlap_conflict"), 0) << *body;
        EXPECT_EQ(stream_event(*body, "held_ranges_full"), 0) << *body;
        EXPECT_EQ(stream_event(*body, "pool_exhausted"), 0) << *body;
    }
}

TEST(StreamReassemblyConfig, DepthOutOfRangeIsReportedWithItsPlace) {
    const std::string path = temp_dir() + "/depth.yaml";
    std::ofstream(path) << "stream_reassembly:\n  depth_bytes: 100\n";
    const CommandResult check = run_command({binary_path(), "check-config", path});
    EXPECT_EQ(check.status, 1);
    EXPECT_NE(
        check.output.find(path + ":2:16: stream_reassembly.depth_bytes is 100, must be from 256 to "
                                 "1048576"),
        std::string::npos)
        << check.output;
}

TEST(StreamReassemblyConfig, WorstCaseMemoryIsBounded) {
    const std::string path = temp_dir() + "/memory.yaml";
    std::ofstream(path) << "stream_reassembly:\n  depth_bytes: 1048576\n  max_flows: 1048576\n";
    const CommandResult check = run_command({binary_path(), "check-config", path});
    EXPECT_EQ(check.status, 1);
    EXPECT_NE(check.output.find("2 x depth_bytes x max_flows"), std::string::npos) << check.output;
}

TEST(StreamReassemblyConfig, ZeroFlowsTurnsReassemblyOffWithEveryPacketCounted) {
    const std::string config = temp_dir() + "/off.yaml";
    std::ofstream(config) << "stream_reassembly:\n  all_tcp: true\n  max_flows: 0\n";
    const CommandResult result =
        run_command({binary_path(), "run", "-c", config, "--workers", "1", "--pcap", demo_capture(),
                     "--metrics", "127.0.0.1:" + std::to_string(free_port())});
    EXPECT_EQ(result.status, 0) << result.output;
    EXPECT_NE(result.output.find("conservation: received 149 = apps 149: holds"), std::string::npos)
        << result.output;
}

}  // namespace
}  // namespace ottscope::test
