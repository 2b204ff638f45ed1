// Carrier traffic through the real binary: the demo capture re-written in each encapsulation
// and fragmented (tests/dataplane/encapsulate.py, scapy) must give the same flows with the
// same verdicts as the plain capture; the corpus captures tagged with carrier encapsulations,
// fragments or damage must conserve packets, and GTP-U captures must yield inner flows.

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "tests/test_support.h"

namespace ottscope::test {
namespace {

constexpr const char* kPython = "/usr/bin/python3";  // Debian's, the one with scapy

// flow 5-tuple -> app and nDPI name, one string per flow.
std::set<std::string> verdicts(const std::string& records) {
    std::set<std::string> flows;
    for (const std::string& line : read_lines(records)) {
        flows.insert(record_field(line, "proto") + " " + record_field(line, "src_ip") + ":" +
                     record_field(line, "src_port") + " " + record_field(line, "dst_ip") + ":" +
                     record_field(line, "dst_port") + " -> " + record_field(line, "app") + "/" +
                     record_field(line, "ndpi"));
    }
    return flows;
}

// `fanout`: who reads the capture when there are several workers (dataplane.fanout).
CommandResult run_ottscope(const std::vector<std::string>& pcaps, const std::string& records,
                           const std::string& workers = "2",
                           const std::string& fanout = "receiver") {
    const std::string config = temp_dir() + "/fanout-" + fanout + ".yaml";
    std::ofstream(config) << "dataplane:\n  fanout: " << fanout << "\n";
    return run_on_captures(pcaps, records, {"--workers", workers, "-c", config});
}

// The wrapped captures, written once per test program.
const std::string& wrapped_dir() {
    static const std::string dir = [] {
        const std::string out = temp_dir() + "/wrapped";
        std::filesystem::create_directories(out);
        const CommandResult made =
            run_command({kPython, source_root() + "/tests/dataplane/encapsulate.py",
                         source_root() + "/config/demo/tume-demo.pcap", out});
        return made.status == 0 ? out : std::string("error: " + made.output);
    }();
    return dir;
}

// Verdicts of the unwrapped traffic (IPv4 demo capture, or its IPv6 rewrite), run once.
const std::set<std::string>& baseline(bool six) {
    static std::map<bool, std::set<std::string>> runs;
    const auto found = runs.find(six);
    if (found != runs.end()) return found->second;
    const std::string records = temp_dir() + (six ? "/base6.jsonl" : "/base.jsonl");
    const CommandResult run = run_ottscope(
        {six ? wrapped_dir() + "/ipv6.pcap" : source_root() + "/config/demo/tume-demo.pcap"},
        records);
    EXPECT_EQ(run.status, 0) << run.output;
    return runs[six] = verdicts(records);
}

// What encapsulate.py wraps in its IPv6 rewrite (Teredo carries IPv6 only): compared with the
// same traffic unwrapped in IPv6.
bool wraps_ipv6(const std::string& name) {
    for (const char* prefix : {"ipv6", "nflog6", "teredo"})
        if (name.rfind(prefix, 0) == 0) return true;
    return false;
}

class Encapsulation : public testing::TestWithParam<std::string> {};

TEST_P(Encapsulation, SameFlowsAndVerdictsAsThePlainCapture) {
    if (access(kPython, X_OK) != 0) GTEST_SKIP() << kPython << " (with scapy) is absent";
    const std::string& dir = wrapped_dir();
    ASSERT_EQ(dir.rfind("error: ", 0), std::string::npos) << dir;
    const std::string name = GetParam();
    const bool six = wraps_ipv6(name);

    const std::string records = temp_dir() + "/" + name + ".jsonl";
    const CommandResult run = run_ottscope({dir + "/" + name + ".pcap"}, records);
    EXPECT_EQ(run.status, 0) << run.output;
    EXPECT_NE(run.output.find(": holds"), std::string::npos) << run.output;
    // Every packet is an inner packet of a flow: nothing dropped, no fragment left behind.
    EXPECT_NE(run.output.find("= apps 149: holds"), std::string::npos) << run.output;
    const auto& expected = baseline(six);
    EXPECT_EQ(expected.size(), 10u);
    EXPECT_EQ(verdicts(records), expected);
}

INSTANTIATE_TEST_SUITE_P(Wrapped, Encapsulation,
                         testing::Values("vlan", "qinq", "mpls", "mpls-pw", "pppoe", "gre", "gre6",
                                         "gre-eth", "erspan2", "erspan3", "vxlan", "gtpu", "gtpu6",
                                         "ipv6", "sll2", "nflog", "nflog6", "pbb", "gre-udp",
                                         "vxlan-rsv", "vxlan-gbp", "teredo", "teredo-origin",
                                         "teredo-auth"),
                         [](const auto& info) {
                             std::string name = info.param;
                             std::replace(name.begin(), name.end(), '-', '_');
                             return name;
                         });

class Fragmented : public testing::TestWithParam<std::string> {};

TEST_P(Fragmented, ReassembledIntoTheSameFlows) {
    if (access(kPython, X_OK) != 0) GTEST_SKIP() << kPython << " (with scapy) is absent";
    const std::string& dir = wrapped_dir();
    ASSERT_EQ(dir.rfind("error: ", 0), std::string::npos) << dir;
    const std::string name = GetParam();
    const bool six = name == "ipv6-frag";
    // Fragments are placed by addresses, by worker 0 receiving or by the dedicated fan-out.
    const std::pair<const char*, const char*> runs[] = {
        {"1", "receiver"},  {"2", "receiver"},  {"3", "receiver"},
        {"2", "dedicated"}, {"3", "dedicated"},
    };
    for (const auto& [workers, fanout] : runs) {
        const std::string records = temp_dir() + "/" + name + workers + fanout + ".jsonl";
        const CommandResult run =
            run_ottscope({dir + "/" + name + ".pcap"}, records, workers, fanout);
        EXPECT_EQ(run.status, 0) << run.output;
        // Every fragment counted under its flow's app: all datagrams were completed.
        EXPECT_NE(run.output.find(": holds"), std::string::npos) << run.output;
        EXPECT_EQ(run.output.find("fragment"), std::string::npos) << run.output;
        EXPECT_EQ(verdicts(records), baseline(six)) << workers << " workers, " << fanout;
    }
}

INSTANTIATE_TEST_SUITE_P(Ip, Fragmented,
                         testing::Values("frag", "ipv6-frag", "gtpu-frag", "nflog-frag"),
                         [](const auto& info) {
                             std::string name = info.param;
                             std::replace(name.begin(), name.end(), '-', '_');
                             return name;
                         });

TEST(FragmentedLossy, IncompleteDatagramsAreCountedAndTheirFirstFragmentsInspected) {
    if (access(kPython, X_OK) != 0) GTEST_SKIP() << kPython << " (with scapy) is absent";
    const std::string& dir = wrapped_dir();
    ASSERT_EQ(dir.rfind("error: ", 0), std::string::npos) << dir;
    const std::string records = temp_dir() + "/frag-lossy.jsonl";
    const CommandResult run = run_ottscope({dir + "/frag-lossy.pcap"}, records);
    EXPECT_EQ(run.status, 0) << run.output;
    EXPECT_NE(run.output.find(": holds"), std::string::npos) << run.output;
    // Fragments of datagrams missing a piece (or sent twice) end under a fragment reason...
    EXPECT_NE(run.output.find("fragment_timeout"), std::string::npos) << run.output;
    // ...while each first fragment still reaches its flow, so every flow keeps its verdict.
    // The behavioural SIP-over-TLS model is the exception by design: it reads record sizes,
    // and payload lost with a fragment leaves it nothing to judge (the flow stays nDPI's TLS).
    const auto behaviour_free = [](std::set<std::string> flows) {
        std::set<std::string> result;
        for (std::string flow : flows) {
            if (const size_t at = flow.find("-> sip-tls/"); at != std::string::npos)
                flow.replace(at + 3, 7, flow.substr(at + 11));
            result.insert(flow);
        }
        return result;
    };
    EXPECT_EQ(behaviour_free(verdicts(records)), behaviour_free(baseline(false)));
}

TEST(GtpuRecords, TunnelFieldNamesOuterAddressesAndBothTeids) {
    if (access(kPython, X_OK) != 0) GTEST_SKIP() << kPython << " (with scapy) is absent";
    const std::string& dir = wrapped_dir();
    ASSERT_EQ(dir.rfind("error: ", 0), std::string::npos) << dir;
    const std::string records = temp_dir() + "/gtpu-records.jsonl";
    const CommandResult run = run_ottscope({dir + "/gtpu.pcap"}, records);
    ASSERT_EQ(run.status, 0) << run.output;
    const auto lines = read_lines(records);
    ASSERT_FALSE(lines.empty());
    // The script sends uplink (client to server) with TEID 0x10000001 from 192.0.2.1.
    for (const std::string& line : lines) {
        EXPECT_NE(line.find(R"("tunnel":{"type":"gtpu","outer":["192.0.2.1","192.0.2.2"],)"
                            R"("teid_up":268435457,)"),
                  std::string::npos)
            << line;
        if (record_field(line, "pkts_s2c") != "0") {
            EXPECT_NE(line.find(R"("teid_down":536870914})"), std::string::npos) << line;
        }
    }
}

// Each newer encapsulation names its tunnel in every record (the link types none): the
// outer addresses as encapsulate.py sends them, client side first, and the tunnel's id.
class TunnelField : public testing::TestWithParam<std::pair<std::string, std::string>> {};

TEST_P(TunnelField, EveryRecordNamesTheTunnel) {
    if (access(kPython, X_OK) != 0) GTEST_SKIP() << kPython << " (with scapy) is absent";
    const std::string& dir = wrapped_dir();
    ASSERT_EQ(dir.rfind("error: ", 0), std::string::npos) << dir;
    const auto& [name, tunnel] = GetParam();
    const std::string records = temp_dir() + "/" + name + "-tunnel.jsonl";
    const CommandResult run = run_ottscope({dir + "/" + name + ".pcap"}, records);
    ASSERT_EQ(run.status, 0) << run.output;
    const auto lines = read_lines(records);
    ASSERT_EQ(lines.size(), 10u);
    for (const std::string& line : lines) {
        if (tunnel.empty()) {
            EXPECT_EQ(line.find("\"tunnel\""), std::string::npos) << line;
        } else {
            EXPECT_NE(line.find(",\"tunnel\":" + tunnel + ","), std::string::npos) << line;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(
    Wrapped, TunnelField,
    testing::Values(
        std::pair{"sll2", ""}, std::pair{"nflog", ""}, std::pair{"nflog6", ""},
        std::pair{"pbb", R"({"type":"pbb","isid":74565})"},
        std::pair{"gre-udp", R"({"type":"gre_udp","outer":["192.0.2.1","192.0.2.2"],"key":99})"},
        std::pair{"vxlan-rsv", R"({"type":"vxlan","outer":["192.0.2.1","192.0.2.2"],"vni":4242})"},
        std::pair{"vxlan-gbp", R"({"type":"vxlan","outer":["192.0.2.1","192.0.2.2"],"vni":4242})"},
        std::pair{"teredo", R"({"type":"teredo","outer":["192.0.2.1","192.0.2.2"]})"},
        std::pair{"teredo-origin", R"({"type":"teredo","outer":["192.0.2.1","192.0.2.2"]})"},
        std::pair{"teredo-auth", R"({"type":"teredo","outer":["192.0.2.1","192.0.2.2"]})"}),
    [](const auto& info) {
        std::string name = info.param.first;
        std::replace(name.begin(), name.end(), '-', '_');
        return name;
    });

// `tcpdump -i any` between two namespaces of ours (tests/dataplane/make_any_capture.sh):
// LINUX_SLL2, outgoing and incoming packets, IPv4 and IPv6.
TEST(LinkTypes, TcpdumpAnyCaptureIsReadAsLinuxSll2) {
    const std::string records = temp_dir() + "/any-sll2.jsonl";
    const CommandResult run =
        run_ottscope({source_root() + "/tests/dataplane/captures/any-sll2.pcap"}, records);
    ASSERT_EQ(run.status, 0) << run.output;
    EXPECT_NE(run.output.find("received 13 = apps 13: holds"), std::string::npos) << run.output;
    EXPECT_EQ(verdicts(records), (std::set<std::string>{
                                     "TCP 10.78.0.1:40186 10.78.0.2:80 -> HTTP/HTTP",
                                     "UDP fd00:78::1:60302 fd00:78::2:5353 -> MDNS/MDNS",
                                 }));
}

// --- The shared corpus.

// The manifest's captures with any of the `wanted` tags.
std::vector<CorpusCapture> corpus(const std::string& shared, const std::set<std::string>& wanted) {
    std::vector<CorpusCapture> captures;
    for (CorpusCapture& capture : corpus_manifest(shared))
        if (std::any_of(capture.tags.begin(), capture.tags.end(),
                        [&](const std::string& t) { return wanted.count(t) != 0; }))
            captures.push_back(std::move(capture));
    return captures;
}

TEST(CarrierCorpus, ConservationOnEveryTaggedCaptureAndGtpInnerFlows) {
    const std::string shared = shared_root();
    if (shared.empty())
        GTEST_SKIP() << "../shared is absent: the carrier corpus needs ../shared/pcaps";
    const auto captures = corpus(shared, {"vlan", "qinq", "mpls", "gtp", "gre", "vxlan", "erspan",
                                          "ipv6", "frag", "malformed", "truncated-or-bad"});
    ASSERT_FALSE(captures.empty());
    // GTP-tagged captures without one G-PDU carrying IP: nothing inside to find.
    const std::set<std::string> no_user_plane = {
        "ndpi-4.2/gtp_false_positive.pcapng",        // GTP-C v2 echo and GTP' only
        "ndpi-4.2/fuzz-2021-06-07-c6c72a0a56.pcap",  // one truncated GTP' packet
    };
    // One process per capture: each one's conservation line stands alone.
    size_t gtp_checked = 0;
    for (const CorpusCapture& capture : captures) {
        SCOPED_TRACE(capture.path);
        const std::string records = temp_dir() + "/corpus.jsonl";
        const CommandResult run = run_ottscope({shared + "/pcaps/" + capture.path}, records, "1");
        if (run.output.find("cannot read capture") != std::string::npos) continue;
        // Exit status 1 only for a damaged file, whose readable packets still count.
        if (run.status != 0) {
            EXPECT_EQ(run.status, 1) << run.output;
            EXPECT_NE(run.output.find("damaged"), std::string::npos) << run.output;
        }
        EXPECT_NE(run.output.find(": holds"), std::string::npos) << run.output;
        if (capture.tags.count("gtp") != 0 && no_user_plane.count(capture.path) == 0) {
            const auto lines = read_lines(records);
            EXPECT_TRUE(std::any_of(lines.begin(), lines.end(), [](const std::string& l) {
                return l.find(R"("type":"gtpu")") != std::string::npos;
            })) << "no flow inside GTP-U";
            ++gtp_checked;
        }
    }
    EXPECT_GE(gtp_checked, 4u);
}

}  // namespace
}  // namespace ottscope::test
