// The binary on TCP connections that close, reset, stay half-open and reuse their ports
// (tests/integration/tcp_closes.py writes the capture at test time): each flow record says
// how its connection ended.

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <string>

#include "tests/test_support.h"

namespace ottscope::test {
namespace {

std::string field(const std::string& line, const std::string& key) {
    const std::string marker = "\"" + key + "\":";
    const size_t at = line.find(marker);
    if (at == std::string::npos) return {};
    const size_t start = at + marker.size() + (line[at + marker.size()] == '"' ? 1 : 0);
    return line.substr(start, line.find_first_of("\",}", start) - start);
}

TEST(TcpEndReasons, EachConnectionEndsTheWayItClosed) {
    const std::string pcap = temp_dir() + "/tcp_closes.pcap";
    const CommandResult made =
        run_command({"/usr/bin/python3", source_root() + "/tests/integration/tcp_closes.py", pcap});
    if (made.status != 0) GTEST_SKIP() << "scapy unavailable: " << made.output;

    const std::string records = temp_dir() + "/tcp_closes.jsonl";
    const CommandResult run =
        run_command({binary_path(), "run", "--pcap", pcap, "--workers", "1", "--flows-out", records,
                     "--metrics", "127.0.0.1:" + std::to_string(free_port())});
    ASSERT_EQ(run.status, 0) << run.output;
    EXPECT_NE(run.output.find("conservation: received 35 = apps 35: holds"), std::string::npos)
        << run.output;

    std::multimap<std::string, std::string> ends;  // client port -> end_reason
    for (const std::string& line : read_lines(records))
        ends.emplace(field(line, "src_port"), field(line, "end_reason"));
    auto reasons = [&](const std::string& port) {
        std::string out;
        for (auto [it, last] = ends.equal_range(port); it != last; ++it)
            out += (out.empty() ? "" : ",") + it->second;
        return out;
    };
    EXPECT_EQ(reasons("40001"), "tcp_fin");
    EXPECT_EQ(reasons("40002"), "tcp_rst");  // the late ACK joined the reset flow
    EXPECT_EQ(reasons("40003"), "idle_timeout");
    EXPECT_EQ(reasons("40004"), "tcp_rst");
    EXPECT_EQ(reasons("40005"), "tcp_fin,tcp_fin");  // port reuse: two connections
    EXPECT_EQ(reasons("53000"), "shutdown");
    EXPECT_EQ(ends.size(), 7u);
}

TEST(TcpEndReasons, TimeoutsOutOfRangeAreReportedWithTheirPlace) {
    const std::string config = temp_dir() + "/bad_timeouts.yaml";
    std::FILE* file = std::fopen(config.c_str(), "w");
    ASSERT_NE(file, nullptr);
    std::fputs("flow_table:\n  idle_timeout_seconds:\n    tcp_embryonic: 0\n    tcp_closed: 601\n",
               file);
    std::fclose(file);
    const CommandResult result = run_command({binary_path(), "check-config", config});
    EXPECT_EQ(result.status, 1);
    EXPECT_NE(result.output.find(":3:20: tcp_embryonic is 0, must be from 1 to 3600"),
              std::string::npos)
        << result.output;
    EXPECT_NE(result.output.find(":4:17: tcp_closed is 601, must be from 1 to 600"),
              std::string::npos)
        << result.output;
}

}  // namespace
}  // namespace ottscope::test
