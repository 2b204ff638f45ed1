// The behavioural SIP-over-TLS model through the real binary, on what paths and hiding apps
// do to a session: the corpus' SIP calls inside TLS 1.3 and 1.2 (../shared/pcaps/keylog)
// and sipp's through stunnel4 (sessions/, from tests/classifiers/sip/make_sip_captures.sh),
// run without key logs and without rules, so that only behaviour can name them,
// rewritten by make_tls_variants.py with tiny segments, overlapping and duplicated and
// reordered segments, IPv4 and IPv6 fragments and every carrier wrapping must each be
// `sip-tls` with the plain session's confidence. And the negatives of make_tls_negatives.sh
// (client certificates, renegotiation, long-polling, WebSocket, chat; committed with their
// golden verdicts, run with the shipped configuration) must never be `sip-tls`.

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "tests/test_support.h"

namespace ottscope::test {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPython = "/usr/bin/python3";  // Debian's, the one with scapy

std::string here() {
    return source_root() + "/tests/classifiers/sip_over_tls";
}

// "app confidence" of each TCP flow of the capture.
std::vector<std::string> tcp_verdicts(const std::string& pcap,
                                      const std::vector<std::string>& extra) {
    const std::string records = temp_dir() + "/" + fs::path(pcap).stem().string() + ".jsonl";
    std::vector<std::string> args = {"--workers", "1"};
    args.insert(args.end(), extra.begin(), extra.end());
    const CommandResult run = run_on_captures({pcap}, records, args);
    EXPECT_EQ(run.status, 0) << run.output;
    std::vector<std::string> verdicts;
    for (const std::string& line : read_lines(records))
        if (record_field(line, "proto") == "TCP")
            verdicts.push_back(record_field(line, "app") + " " + record_field(line, "confidence"));
    return verdicts;
}

class SipTlsVariants : public testing::TestWithParam<std::string> {};

TEST_P(SipTlsVariants, SameVerdictAndConfidenceAsThePlainSession) {
    if (access(kPython, X_OK) != 0) GTEST_SKIP() << kPython << " (with scapy) is absent";
    const std::string shared = shared_root();
    if (shared.empty()) GTEST_SKIP() << "../shared is absent: the sessions are its keylog captures";
    const std::string session = GetParam();
    const std::string dir = temp_dir() + "/" + session;
    // Ours (sessions/) or the corpus' (keylog/).
    const std::string source = session.starts_with("sip-")
                                   ? here() + "/sessions/" + session + ".pcap"
                                   : shared + "/pcaps/keylog/" + session + ".pcap";
    const CommandResult made =
        run_command({kPython, here() + "/make_tls_variants.py", source, dir});
    ASSERT_EQ(made.status, 0) << made.output;

    const std::vector<std::string> plain = tcp_verdicts(dir + "/plain.pcap", {});
    ASSERT_EQ(plain.size(), 1u);
    EXPECT_EQ(plain[0].rfind("sip-tls ", 0), 0u) << plain[0];
    size_t variants = 0;
    size_t same = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().extension() != ".pcap") continue;
        ++variants;
        const std::vector<std::string> got = tcp_verdicts(entry.path().string(), {});
        EXPECT_EQ(got, plain) << entry.path().stem().string();
        same += got == plain ? 1 : 0;
    }
    std::printf("%s: %zu of %zu variants give the plain session's verdict (%s)\n", session.c_str(),
                same, variants, plain[0].c_str());
    EXPECT_GE(variants, 27u);
}

// The corpus' calls (low: request and answer only), and sipp's calls through stunnel4 from
// make_sip_captures.sh, copied to sessions/ (medium: the INVITE's ACK).
INSTANTIATE_TEST_SUITE_P(Sessions, SipTlsVariants,
                         testing::Values("sip_call_tls13", "sip_call_tls12", "sip-tls13-nosni",
                                         "sip-tls12-nosni"),
                         [](const auto& info) {
                             std::string name = info.param;
                             std::replace(name.begin(), name.end(), '-', '_');
                             return name;
                         });

// Committed negatives: NAME.pcap beside NAME.verdicts (one "app confidence" line per TCP
// flow, in record order).
TEST(SipTlsNegatives, NeverSipTlsAndAsGolden) {
    const std::string dir = here() + "/negatives";
    size_t captures = 0;
    size_t flows = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().extension() != ".pcap") continue;
        ++captures;
        const std::string name = entry.path().stem().string();
        const std::vector<std::string> got =
            tcp_verdicts(entry.path().string(), {"-c", source_root() + "/config/ottscope.yaml"});
        flows += got.size();
        for (const std::string& verdict : got)
            EXPECT_NE(verdict.rfind("sip-tls ", 0), 0u) << name << ": " << verdict;
        EXPECT_EQ(got, read_lines(dir + "/" + name + ".verdicts")) << name;
        // Without rules too: the behaviour alone must not call them SIP.
        for (const std::string& verdict : tcp_verdicts(entry.path().string(), {}))
            EXPECT_NE(verdict.rfind("sip-tls ", 0), 0u) << name << " (no rules): " << verdict;
    }
    std::printf("negatives: %zu captures, %zu TLS flows, none sip-tls\n", captures, flows);
    EXPECT_GE(captures, 8u);
}

}  // namespace
}  // namespace ottscope::test
