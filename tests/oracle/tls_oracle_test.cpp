// The TLS classifier's values in flow records against two outside references over the
// captures of ../shared/pcaps: tshark 4.0 (SNI, JA3, JA3S, ALPN of 110 captures) and the JA4
// reference implementation's expected output (JA4 of the ja4/ captures). Many captures go
// through one process run; each disagreement is put in a class that says why.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "tests/oracle/oracle_support.h"
#include "tests/test_support.h"

namespace ottscope::test {
namespace {

using namespace oracle;

constexpr size_t kCapturesPerRun = 30;

// VLANs and tunnels are not in the tshark columns: TCP flows are keyed by the innermost
// addresses on both sides; a column holding a list gives its last (innermost) value.
std::string last_of(const std::string& list) {
    const size_t comma = list.rfind(',');
    return comma == std::string::npos ? list : list.substr(comma + 1);
}

struct TlsValues {
    std::string sni, ja3, ja3s, alpn, ja4;
    bool client_hello = false;
    bool server_hello = false;
};

// tshark rows: the first ClientHello and the first ServerHello of each TCP flow.
std::map<FlowId, TlsValues> tshark_flows(const std::string& tsv, size_t& udp_hellos) {
    std::map<FlowId, TlsValues> flows;
    std::ifstream in(tsv);
    std::string line;
    std::getline(in, line);
    const std::vector<std::string> header = split(line, '\t');
    std::map<std::string, size_t> column;
    for (size_t i = 0; i < header.size(); ++i) column[header[i]] = i;
    while (std::getline(in, line)) {
        std::vector<std::string> f = split(line, '\t');
        f.resize(header.size());
        auto get = [&](const char* name) { return f[column.at(name)]; };
        const std::string types = get("tls.handshake.type");
        if (types.empty()) continue;
        const bool hello = ("," + types + ",").find(",1,") != std::string::npos;
        const bool server = ("," + types + ",").find(",2,") != std::string::npos;
        if (!hello && !server) continue;
        if (get("tcp.srcport").empty()) {
            if (hello) ++udp_hellos;
            continue;
        }
        const std::string src = last_of(get("ip.src").empty() ? get("ipv6.src") : get("ip.src"));
        const std::string dst = last_of(get("ip.dst").empty() ? get("ipv6.dst") : get("ip.dst"));
        TlsValues& v =
            flows[flow_id(src, last_of(get("tcp.srcport")), dst, last_of(get("tcp.dstport")))];
        if (hello && !v.client_hello) {
            v.client_hello = true;
            v.sni = get("tls.handshake.extensions_server_name");
            v.ja3 = get("tls.handshake.ja3");
            v.alpn = get("tls.handshake.extensions_alpn_str");
        }
        if (server && !v.server_hello) {
            v.server_hello = true;
            v.ja3s = get("tls.handshake.ja3s");
        }
    }
    return flows;
}

// The JA4 reference's JSON: one object per stream; "JA4.1" is the stream's first hello.
std::map<FlowId, std::string> ja4_flows(const std::string& json) {
    std::ifstream in(json);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::map<FlowId, std::string> flows;
    static const std::regex object(R"(\{[^{}]*\})");
    static const std::regex pair(R"re("([^"]+)":\s*"([^"]*)")re");
    for (auto it = std::sregex_iterator(text.begin(), text.end(), object);
         it != std::sregex_iterator(); ++it) {
        std::map<std::string, std::string> fields;
        const std::string body = it->str();
        for (auto p = std::sregex_iterator(body.begin(), body.end(), pair);
             p != std::sregex_iterator(); ++p)
            fields[(*p)[1]] = (*p)[2];
        if (fields.count("JA4.1") == 0) continue;
        flows[flow_id(fields["src"], fields["srcport"], fields["dst"], fields["dstport"])] =
            fields["JA4.1"];
    }
    return flows;
}

// Our records of a batch: port name ("pcapN") -> flow -> values.
using Ours = std::map<std::string, std::map<FlowId, TlsValues>>;

Ours run_batch(const std::vector<std::string>& paths, std::string& output) {
    const std::string records = temp_dir() + "/tls-oracle.jsonl";
    const CommandResult result = run_on_captures(paths, records, {"--workers", "1"});
    output = result.output;
    EXPECT_EQ(result.status, 0) << result.output;
    Ours ours;
    for (const std::string& line : read_lines(records)) {
        if (record_field(line, "proto") != "TCP") continue;
        TlsValues v{record_field(line, "sni"), record_field(line, "ja3"),
                    record_field(line, "ja3s"), record_field(line, "alpn"),
                    record_field(line, "ja4")};
        ours[record_field(line, "port")]
            [flow_id(record_field(line, "src_ip"), record_field(line, "src_port"),
                     record_field(line, "dst_ip"), record_field(line, "dst_port"))] = v;
    }
    return ours;
}

// Why we differ, for the classes met on this corpus, each checked by hand with tshark.
// Anything else is "unexplained" (kUnexplained) and fails the test.

bool contains(const std::string& text, const char* part) {
    return text.find(part) != std::string::npos;
}

std::string missing_class(const std::string& capture, bool record_found) {
    if (contains(capture, "6in4"))
        return "IPv6 inside IPv4 (IP protocol 41): the decoder does not open 6in4, the flow is "
               "keyed by the outer IPv4 addresses";
    if (contains(capture, "opvn"))
        return "TLS carried by OpenVPN over TCP (a length and an opcode before every TLS "
               "record): not followed";
    return std::string(kUnexplained) +
           (record_found ? "no TLS values in the record" : "flow absent from the records");
}

std::string value_class(const std::string& capture, const std::string& what) {
    if (contains(capture, "cipher_lens") || contains(capture, "invalid_reads"))
        return what +
               ": malformed ClientHello (a vector length wrong on purpose; tshark reports "
               "'Vector length ... smaller than minimum'): tshark gives up or skips "
               "differently, we fingerprint the fields read before the bad vector";
    return std::string(kUnexplained) + what + " differs";
}

size_t unexplained(const std::map<std::string, size_t>& classes) {
    size_t n = 0;
    for (const auto& [why, count] : classes)
        if (why.starts_with(kUnexplained)) n += count;
    return n;
}

std::vector<std::vector<std::string>> batches(const std::vector<std::string>& paths) {
    std::vector<std::vector<std::string>> out;
    for (size_t i = 0; i < paths.size(); i += kCapturesPerRun)
        out.emplace_back(
            paths.begin() + static_cast<ptrdiff_t>(i),
            paths.begin() + static_cast<ptrdiff_t>(std::min(paths.size(), i + kCapturesPerRun)));
    return out;
}

TEST(TlsOracle, SniJa3Ja3sAlpnAgreeWithTshark) {
    const std::string shared = shared_root();
    if (shared.empty()) GTEST_SKIP() << "../shared is absent: the TLS oracle needs ../shared/pcaps";
    const std::string expected_root = shared + "/pcaps/expected/tshark-4.0/";
    std::vector<std::string> captures;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(expected_root)) {
        const std::string path = entry.path().string();
        if (path.size() > 4 && path.ends_with(".tsv"))
            captures.push_back(
                path.substr(expected_root.size(), path.size() - expected_root.size() - 4));
    }
    std::sort(captures.begin(), captures.end());
    ASSERT_GE(captures.size(), 100u);

    Tally sni, ja3, ja3s, alpn;
    size_t udp_hellos = 0;
    for (const auto& batch : batches(captures)) {
        std::vector<std::string> paths;
        for (const auto& c : batch) paths.push_back(shared + "/pcaps/" + c);
        std::string output;
        const Ours ours = run_batch(paths, output);
        for (size_t i = 0; i < batch.size(); ++i) {
            const auto theirs = tshark_flows(expected_root + batch[i] + ".tsv", udp_hellos);
            const auto port = ours.find("pcap" + std::to_string(i));
            for (const auto& [id, t] : theirs) {
                const TlsValues* o = nullptr;
                if (port != ours.end()) {
                    const auto found = port->second.find(id);
                    if (found != port->second.end()) o = &found->second;
                }
                const std::string where = batch[i] + " " + id.first + " " + id.second;
                const bool have_any = o != nullptr && !(o->ja3.empty() && o->ja3s.empty());
                auto compare = [&](Tally& tally, const char* what, const std::string& theirs_value,
                                   const std::string& ours_value) {
                    if (theirs_value == ours_value) {
                        tally.add(true, {}, {});
                    } else if (!have_any) {
                        tally.add(false, missing_class(batch[i], o != nullptr),
                                  where + " tshark=" + theirs_value);
                    } else {
                        tally.add(false, value_class(batch[i], what),
                                  where + " tshark=" + theirs_value + " ours=" + ours_value);
                    }
                };
                if (t.client_hello) {
                    compare(sni, "sni", t.sni, o ? o->sni : "");
                    compare(ja3, "ja3", t.ja3, o ? o->ja3 : "");
                    compare(alpn, "alpn", t.alpn, o ? o->alpn : "");
                }
                if (t.server_hello && !t.ja3s.empty())
                    compare(ja3s, "ja3s", t.ja3s, o ? o->ja3s : "");
            }
        }
    }
    std::printf(
        "TLS oracle against tshark 4.0, %zu captures (TCP flows with a hello; %zu "
        "ClientHellos over UDP/QUIC are checked by QuicOracle):\n",
        captures.size(), udp_hellos);
    sni.print("SNI");
    ja3.print("JA3");
    ja3s.print("JA3S");
    alpn.print("ALPN");
    for (const Tally* tally : {&sni, &ja3, &ja3s, &alpn}) {
        EXPECT_GE(tally->ratio(), 0.97);
        EXPECT_EQ(unexplained(tally->classes), 0u);
    }
}

TEST(TlsOracle, Ja4AgreesWithTheReferenceImplementation) {
    const std::string shared = shared_root();
    if (shared.empty()) GTEST_SKIP() << "../shared is absent: the TLS oracle needs ../shared/pcaps";
    const std::string expected_root = shared + "/pcaps/expected/ja4/";
    std::vector<std::string> captures;
    for (const auto& entry : std::filesystem::directory_iterator(expected_root + "ja4")) {
        const std::string name = entry.path().filename().string();
        if (!name.ends_with(".json")) continue;
        const std::string capture = "ja4/" + name.substr(0, name.size() - 5);
        if (!ja4_flows(expected_root + capture + ".json").empty()) captures.push_back(capture);
    }
    std::sort(captures.begin(), captures.end());
    ASSERT_GE(captures.size(), 10u);
    Tally ja4;
    size_t quic = 0;
    std::string output;
    std::vector<std::string> paths;
    for (const auto& c : captures) paths.push_back(shared + "/pcaps/" + c);
    const Ours ours = run_batch(paths, output);
    for (size_t i = 0; i < captures.size(); ++i) {
        const auto port = ours.find("pcap" + std::to_string(i));
        for (const auto& [id, expected] : ja4_flows(expected_root + captures[i] + ".json")) {
            if (expected.starts_with("q")) {
                ++quic;  // TLS inside QUIC: QuicOracle checks it against tshark
                continue;
            }
            std::string got;
            bool found = false;
            if (port != ours.end()) {
                const auto f = port->second.find(id);
                if (f != port->second.end()) {
                    got = f->second.ja4;
                    found = true;
                }
            }
            const std::string where = captures[i] + " " + id.first + " " + id.second;
            if (got.empty())
                ja4.add(false, missing_class(captures[i], found), where);
            else
                ja4.add(got == expected, value_class(captures[i], "ja4"),
                        where + " ref=" + expected + " ours=" + got);
        }
    }
    std::printf(
        "JA4 against FoxIO's reference output, %zu captures (%zu QUIC hellos out of "
        "scope):\n",
        captures.size(), quic);
    ja4.print("JA4");
    EXPECT_GE(ja4.ratio(), 0.97);
    EXPECT_EQ(unexplained(ja4.classes), 0u);
}

}  // namespace
}  // namespace ottscope::test
