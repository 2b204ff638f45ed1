// The TLS classifier's values for QUIC flows against tshark 4.0, over every capture of
// ../shared/pcaps whose manifest tags include `quic`: SNI, ALPN and JA3 as tshark decodes
// them from the client's Initials, and JA4 computed by FoxIO's definition from the hello
// fields tshark decodes (quic_tshark_reference.py; tshark 4.0 has no JA4). Every
// disagreement is put in a class that says why; anything else fails the test.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>

#include "tests/oracle/oracle_support.h"
#include "tests/test_support.h"

namespace ottscope::test {
namespace {

using namespace oracle;

struct Values {
    std::string sni, alpn, ja3, ja4;
};

std::map<FlowId, Values> tshark_flows(const std::string& capture) {
    const CommandResult result = run_command(
        {"/usr/bin/python3", source_root() + "/tests/oracle/quic_tshark_reference.py", capture});
    EXPECT_EQ(result.status, 0) << result.output;
    std::map<FlowId, Values> flows;
    std::stringstream in(result.output);
    for (std::string line; std::getline(in, line);) {
        std::vector<std::string> f = split(line, '\t');
        if (f.size() != 8) continue;  // tshark's warnings on stderr
        flows[flow_id(f[0], f[1], f[2], f[3])] = {f[4], f[5], f[6], f[7]};
    }
    return flows;
}

// Our UDP records: port name ("pcapN") -> flow -> values.
using Ours = std::map<std::string, std::map<FlowId, Values>>;

Ours run_ours(const std::vector<std::string>& paths) {
    const std::string records = temp_dir() + "/quic-oracle.jsonl";
    const CommandResult result = run_on_captures(paths, records, {"--workers", "1"});
    EXPECT_EQ(result.status, 0) << result.output;
    Ours ours;
    for (const std::string& line : read_lines(records)) {
        if (record_field(line, "proto") != "UDP") continue;
        ours[record_field(line, "port")]
            [flow_id(record_field(line, "src_ip"), record_field(line, "src_port"),
                     record_field(line, "dst_ip"), record_field(line, "dst_port"))] = {
                record_field(line, "sni"), record_field(line, "alpn"), record_field(line, "ja3"),
                record_field(line, "ja4")};
    }
    return ours;
}

// The ALPN record field keeps 47 characters and the parser 8 names: a longer offer is
// recorded as its first part.
bool alpn_cut(const std::string& theirs, const std::string& ours) {
    return !ours.empty() && ours.size() < theirs.size() && theirs.starts_with(ours) &&
           (ours.size() >= 40 || std::count(ours.begin(), ours.end(), ',') == 7);
}

std::string missing_class(const std::string& capture) {
    return std::string(kUnexplained) + "no QUIC values in our record (" + capture + ")";
}

TEST(QuicOracle, SniAlpnJa3Ja4AgreeWithTshark) {
    const std::string shared = shared_root();
    if (shared.empty())
        GTEST_SKIP() << "../shared is absent: the QUIC oracle needs ../shared/pcaps";
    std::vector<std::string> captures;
    for (const CorpusCapture& c : corpus_manifest(shared))
        if (c.tags.count("quic") != 0) captures.push_back(c.path);
    ASSERT_GE(captures.size(), 20u);
    std::vector<std::string> paths;
    for (const auto& c : captures) paths.push_back(shared + "/pcaps/" + c);
    const Ours ours = run_ours(paths);

    Tally sni, alpn, ja3, ja4;
    size_t flows = 0;
    for (size_t i = 0; i < captures.size(); ++i) {
        const auto port = ours.find("pcap" + std::to_string(i));
        for (const auto& [id, t] : tshark_flows(paths[i])) {
            ++flows;
            const Values* o = nullptr;
            if (port != ours.end()) {
                const auto found = port->second.find(id);
                if (found != port->second.end() && !found->second.ja4.empty()) o = &found->second;
            }
            const std::string where = captures[i] + " " + id.first + " " + id.second;
            auto compare = [&](Tally& tally, const char* what, const std::string& theirs,
                               const std::string& mine) {
                if (o == nullptr) {
                    tally.add(false, missing_class(captures[i]), where);
                } else if (theirs == mine) {
                    tally.add(true, {}, {});
                } else if (std::string(what) == "alpn" && alpn_cut(theirs, mine)) {
                    tally.add(false,
                              "ALPN offer longer than we keep (8 names, 47 characters in the "
                              "record): ours is its start",
                              where);
                } else {
                    tally.add(false, std::string(kUnexplained) + what + " differs",
                              where + " tshark=" + theirs + " ours=" + mine);
                }
            };
            compare(sni, "sni", t.sni, o != nullptr ? o->sni : "");
            compare(alpn, "alpn", t.alpn, o != nullptr ? o->alpn : "");
            compare(ja3, "ja3", t.ja3, o != nullptr ? o->ja3 : "");
            compare(ja4, "ja4", t.ja4, o != nullptr ? o->ja4 : "");
        }
    }
    std::printf(
        "QUIC oracle against tshark 4.0: %zu captures tagged quic, %zu QUIC flows with a "
        "ClientHello tshark decodes\n",
        captures.size(), flows);
    sni.print("SNI");
    alpn.print("ALPN");
    ja3.print("JA3");
    ja4.print("JA4");
    for (const Tally* tally : {&sni, &alpn, &ja3, &ja4})
        for (const auto& [why, n] : tally->classes)
            EXPECT_FALSE(why.starts_with(kUnexplained)) << n << " " << why;
}

}  // namespace
}  // namespace ottscope::test
