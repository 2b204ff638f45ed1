// QUIC captures of our own through the binary: real ngtcp2 peers between network namespaces
// (quic_captures/make_quic_peer_captures.sh) and crafted Initials for what peers do not show
// on demand (make_quic_crafted.py: CRYPTO over three out-of-order Initials, QUIC v2, Retry,
// Version Negotiation, garbage, short headers, gQUIC). Each flow's TLS values, app and
// evidence (no times) must equal the golden file beside the capture; a `tls: { sni }` rule
// (quic_rules.yaml) names the QUIC flows as it names TCP ones.

#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "tests/test_support.h"

namespace ottscope::test {
namespace {

std::string here() {
    return source_root() + "/tests/classifiers/tls/quic_captures";
}

std::string field(const std::string& line, const std::string& name) {
    const std::regex pattern("\"" + name + "\":(\"[^\"]*\"|\\[[^\\]]*\\]|[0-9]+)");
    std::smatch match;
    return std::regex_search(line, match, pattern) ? match[1].str() : "-";
}

std::set<std::string> flows_of(const std::string& pcap) {
    const std::string flows = temp_dir() + "/quic-golden.jsonl";
    const CommandResult result = run_command(
        {binary_path(), "run", "-c", here() + "/quic_test.yaml", "--workers", "1", "--pcap", pcap,
         "--flows-out", flows, "--metrics", "127.0.0.1:" + std::to_string(free_port())});
    EXPECT_EQ(result.status, 0) << result.output;
    std::set<std::string> lines;
    for (const std::string& line : read_lines(flows)) {
        std::string out;
        for (const char* name : {"proto", "src_port", "dst_port", "app", "classifier", "confidence",
                                 "evidence", "sni", "alpn", "ja3", "ja4"})
            out += (out.empty() ? "" : " ") + field(line, name);
        lines.insert(out);
    }
    return lines;
}

class QuicCapture : public ::testing::TestWithParam<std::string> {};

TEST_P(QuicCapture, FlowRecordsMatchGolden) {
    const std::string name = GetParam();
    const std::set<std::string> got = flows_of(here() + "/" + name + ".pcap");
    const std::vector<std::string> golden = read_lines(here() + "/" + name + ".golden");
    std::string text;
    for (const std::string& line : got) text += line + "\n";
    EXPECT_EQ(got, std::set<std::string>(golden.begin(), golden.end())) << name << ":\n" << text;
}

INSTANTIATE_TEST_SUITE_P(Captures, QuicCapture,
                         ::testing::Values("quic-v1", "quic-large-hello", "quic-retry",
                                           "quic-crafted"),
                         [](const auto& info) {
                             std::string n = info.param;
                             for (char& c : n)
                                 if (c == '-') c = '_';
                             return n;
                         });

}  // namespace
}  // namespace ottscope::test
