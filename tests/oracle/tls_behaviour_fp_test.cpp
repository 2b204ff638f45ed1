// False positives of the behavioural SIP-over-TLS model (app sip-tls), measured where the
// truth is known: every capture of ../shared/pcaps tagged tls (web, chat, streaming, VPN and
// other TLS; none is SIP inside TLS but keylog/sip_call_*, as the nDPI oracle and the
// corpus README say), and the benchmark mix of ../shared/tools/mkbench.py (its sidecar names
// every flow's kind). Both run with the shipped configuration, rules included, as deployed.
// Prints flows examined, false positives and their rate, and the true positives; fails if
// the false-positive rate reaches kMaxFalsePositiveRate.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "tests/test_support.h"

namespace ottscope::test {
namespace {

constexpr double kMaxFalsePositiveRate = 0.01;
constexpr size_t kCapturesPerRun = 30;

std::vector<std::string> split(const std::string& line, char separator) {
    std::vector<std::string> fields;
    std::string part;
    std::stringstream in(line);
    while (std::getline(in, part, separator)) fields.push_back(part);
    return fields;
}

std::vector<std::string> run(const std::vector<std::string>& pcaps, const std::string& name) {
    const std::string records = temp_dir() + "/" + name + ".jsonl";
    const CommandResult result = run_on_captures(
        pcaps, records, {"-c", source_root() + "/config/ottscope.yaml", "--workers", "1"});
    EXPECT_EQ(result.status, 0) << result.output;
    return read_lines(records);
}

// A TCP flow the TLS classifier saw a handshake of (or nDPI calls TLS).
bool tls_flow(const std::string& record) {
    return record_field(record, "proto") == "TCP" &&
           (!record_field(record, "ja4").empty() || !record_field(record, "ja3s").empty() ||
            record_field(record, "ndpi").starts_with("TLS"));
}

struct Figures {
    size_t examined = 0;
    size_t false_positives = 0;
    size_t sip_flows = 0;  // SIP inside TLS, by the ground truth
    size_t true_positives = 0;
    std::vector<std::string> examples;
    [[nodiscard]] double rate() const {
        return examined == 0 ? 0.0 : double(false_positives) / double(examined);
    }
    void print(const char* what) const {
        std::printf(
            "%s: TLS flows examined %zu, labelled sip-tls wrongly %zu (%.3f%%); "
            "SIP-over-TLS flows %zu, labelled sip-tls %zu\n",
            what, examined, false_positives, 100.0 * rate(), sip_flows, true_positives);
        for (const auto& e : examples) std::printf("  false positive: %s\n", e.c_str());
    }
};

TEST(TlsBehaviourFalsePositives, SharedTlsCaptures) {
    const std::string shared = shared_root();
    if (shared.empty()) GTEST_SKIP() << "../shared is absent: the measure needs ../shared/pcaps";
    std::vector<std::string> captures;
    for (const CorpusCapture& capture : corpus_manifest(shared))
        if (capture.tags.count("tls") != 0) captures.push_back(capture.path);
    ASSERT_GE(captures.size(), 100u);
    Figures figures;
    for (size_t first = 0; first < captures.size(); first += kCapturesPerRun) {
        const size_t end = std::min(captures.size(), first + kCapturesPerRun);
        std::vector<std::string> pcaps;
        for (size_t i = first; i < end; ++i) pcaps.push_back(shared + "/pcaps/" + captures[i]);
        for (const std::string& record : run(pcaps, "shared-tls")) {
            if (!tls_flow(record)) continue;
            // Records name their capture by port: pcapN, N counting the batch's captures.
            const std::string port = record_field(record, "port");
            const size_t index = first + std::stoul(port.substr(port.find_first_of("0123456789")));
            const std::string& capture = captures.at(index);
            const bool sip = capture.starts_with("keylog/sip_call_");
            const bool labelled = record_field(record, "app") == "sip-tls";
            ++figures.examined;
            figures.sip_flows += sip ? 1 : 0;
            figures.true_positives += sip && labelled ? 1 : 0;
            if (!sip && labelled) {
                ++figures.false_positives;
                figures.examples.push_back(capture + " " + record_field(record, "src_ip") + ":" +
                                           record_field(record, "src_port") + " -> " +
                                           record_field(record, "dst_ip") + ":" +
                                           record_field(record, "dst_port") + " (" +
                                           record_field(record, "confidence") + ")");
            }
        }
    }
    figures.print("shared pcaps tagged tls");
    EXPECT_LT(figures.rate(), kMaxFalsePositiveRate);
    EXPECT_EQ(figures.false_positives, 0u);  // measured 0 of 824: keep it
    // The corpus' own SIP inside TLS without SNI (sip_call_tls13) is found; the TLS 1.2 one
    // has SNI sip.jajah.com and belongs to the tume-voip rule.
    EXPECT_GE(figures.true_positives, 1u);
}

TEST(TlsBehaviourFalsePositives, BenchmarkMix) {
    const std::string shared = shared_root();
    if (shared.empty()) GTEST_SKIP() << "../shared is absent: the measure needs mkbench.py";
    // A smaller mix than the throughput benchmark's: the same kinds and shares of flows.
    const std::string pcap = temp_dir() + "/bench-mix.pcap";
    const CommandResult made =
        run_command({"/usr/bin/python3", shared + "/tools/mkbench.py", "--packets", "200000",
                     "--flows", "5000", "--seed", "7", "--out", pcap});
    ASSERT_EQ(made.status, 0) << made.output;
    // Sidecar: kind per flow, keyed by the client's port and the server's address and port.
    std::map<std::string, std::string> kinds;
    std::ifstream sidecar(pcap + ".flows.tsv");
    std::vector<std::string> header;
    for (std::string line; std::getline(sidecar, line);) {
        const std::vector<std::string> f = split(line, '\t');
        if (header.empty()) {
            header = f;
            continue;
        }
        std::map<std::string, std::string> row;
        for (size_t i = 0; i < f.size() && i < header.size(); ++i) row[header[i]] = f[i];
        kinds[canonical_address(row["client"]) + ":" + row["cport"]] = row["kind"];
    }
    ASSERT_FALSE(kinds.empty());
    Figures figures;
    size_t unmatched = 0;
    for (const std::string& record : run({pcap}, "bench-mix")) {
        if (!tls_flow(record)) continue;
        const auto kind = kinds.find(canonical_address(record_field(record, "src_ip")) + ":" +
                                     record_field(record, "src_port"));
        if (kind == kinds.end()) {
            ++unmatched;
            continue;
        }
        const bool sip = kind->second == "sip-tls-443";
        const bool labelled = record_field(record, "app") == "sip-tls";
        ++figures.examined;
        figures.sip_flows += sip ? 1 : 0;
        figures.true_positives += sip && labelled ? 1 : 0;
        if (!sip && labelled) {
            ++figures.false_positives;
            if (figures.examples.size() < 5)
                figures.examples.push_back(kind->second + " " + record_field(record, "src_ip") +
                                           ":" + record_field(record, "src_port"));
        }
    }
    figures.print("benchmark mix (mkbench --packets 200000 --flows 5000 --seed 7)");
    EXPECT_EQ(unmatched, 0u) << "TLS flow records the sidecar does not name";
    EXPECT_GT(figures.examined, 500u);
    EXPECT_LT(figures.rate(), kMaxFalsePositiveRate);
    EXPECT_EQ(figures.false_positives, 0u);  // measured 0 of 2370: keep it
}

}  // namespace
}  // namespace ottscope::test
