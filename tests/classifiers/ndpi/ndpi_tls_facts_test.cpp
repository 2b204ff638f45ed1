// nDPI's name for TLS flows with its shortcuts on (ndpi_tls_facts.h: our ClientHello parse,
// and the stop once the name is final) against nDPI's own dissection to the certificate:
// two classifiers, one with each, fed the same flows, must give every flow the same nDPI
// master, app and category. The flows vary what nDPI names a TLS flow by: SNIs it lists and
// does not, long, upper-case, wildcard and odd ones, DGA-like names, server ports and
// addresses, IPv4 and IPv6, a first SYN seen or not, a protocols file with host rules, and
// hellos the shortcut must leave to nDPI.

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "classifiers/ndpi/ndpi_classifier.h"
#include "classifiers/ndpi/ndpi_tls_facts.h"
#include "classifiers/protocol_numbers.h"
#include "tests/classifiers/tls/tls_handshake.h"

extern "C" {
#include <ndpi/ndpi_api.h>
}

namespace ottscope {
namespace {

using Bytes = std::vector<uint8_t>;

void put16(Bytes& out, size_t v) {
    out.push_back(static_cast<uint8_t>(v >> 8));
    out.push_back(static_cast<uint8_t>(v));
}

Bytes with_u16_length(const Bytes& body) {
    Bytes out;
    put16(out, body.size());
    out.insert(out.end(), body.begin(), body.end());
    return out;
}

struct Extension {
    uint16_t type;
    Bytes data;
};

Bytes server_name(const std::string& host) {
    Bytes entry{0};
    const Bytes name = with_u16_length(Bytes(host.begin(), host.end()));
    entry.insert(entry.end(), name.begin(), name.end());
    return with_u16_length(entry);
}

Bytes alpn(const std::vector<std::string>& offers) {
    Bytes list;
    for (const std::string& offer : offers) {
        list.push_back(static_cast<uint8_t>(offer.size()));
        list.insert(list.end(), offer.begin(), offer.end());
    }
    return with_u16_length(list);
}

// A browser-like ClientHello record around `extensions`.
Bytes client_hello(const std::vector<Extension>& extensions) {
    Bytes body{3, 3};
    body.insert(body.end(), 32, 0x5a);  // random
    body.push_back(32);                 // session id
    body.insert(body.end(), 32, 0x17);
    Bytes ciphers;
    for (uint16_t c : {0x1a1a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9,
                       0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035})
        put16(ciphers, c);
    const Bytes cipher_list = with_u16_length(ciphers);
    body.insert(body.end(), cipher_list.begin(), cipher_list.end());
    body.push_back(1);
    body.push_back(0);
    Bytes ext;
    for (const Extension& e : extensions) {
        put16(ext, e.type);
        const Bytes data = with_u16_length(e.data);
        ext.insert(ext.end(), data.begin(), data.end());
    }
    const Bytes ext_list = with_u16_length(ext);
    body.insert(body.end(), ext_list.begin(), ext_list.end());
    Bytes record{0x16, 3, 1};
    put16(record, body.size() + 4);
    record.push_back(1);
    record.push_back(static_cast<uint8_t>(body.size() >> 16));
    put16(record, body.size());
    record.insert(record.end(), body.begin(), body.end());
    return record;
}

std::vector<Extension> browser_extensions(const std::string& sni) {
    return {{0x2a2a, {}},
            {0, server_name(sni)},
            {23, {}},
            {65281, {0}},
            {10, {0, 6, 0x2a, 0x2a, 0, 29, 0, 23}},
            {11, {1, 0}},
            {35, {}},
            {16, alpn({"h2", "http/1.1"})},
            {5, {1, 0, 0, 0, 0}},
            {13, {0, 8, 4, 3, 8, 4, 4, 1, 5, 3}},
            {18, {}},
            {51, {0, 0}},
            {45, {1, 1}},
            {43, {4, 3, 4, 3, 3}},
            {27, {2, 0, 2}},
            {0x3a3a, {0}},
            {21, Bytes(40, 0)}};
}

// The server side of a real TLS 1.2 handshake (ServerHello, Certificate, ...): nDPI reads it
// the same whatever the client asked for.
const Bytes& server_flight() {
    static const Bytes flight = test::real_handshake("sip.jajah.com", TLS1_2_VERSION, "h2").server;
    return flight;
}

struct Endpoints {
    bool ipv6 = false;
    std::array<uint8_t, 16> client{};
    std::array<uint8_t, 16> server{};
    uint16_t client_port = 40000;
    uint16_t server_port = 443;
};

// An IP packet (no link layer) of the flow.
Bytes ip_packet(const Endpoints& e, bool from_client, uint8_t flags, uint32_t seq, uint32_t ack,
                const Bytes& payload) {
    Bytes out;
    const size_t tcp_length = 20 + payload.size();
    const size_t address = e.ipv6 ? 16 : 4;
    const uint8_t* source = from_client ? e.client.data() : e.server.data();
    const uint8_t* destination = from_client ? e.server.data() : e.client.data();
    if (e.ipv6) {
        out = {0x60, 0, 0, 0};
        put16(out, tcp_length);
        out.push_back(ip_protocol::tcp);
        out.push_back(64);
    } else {
        out = {0x45, 0};
        put16(out, 20 + tcp_length);
        out.insert(out.end(), {0, 0, 0x40, 0, 64, ip_protocol::tcp, 0, 0});
    }
    out.insert(out.end(), source, source + address);
    out.insert(out.end(), destination, destination + address);
    put16(out, from_client ? e.client_port : e.server_port);
    put16(out, from_client ? e.server_port : e.client_port);
    for (const uint32_t word : {seq, ack}) {
        put16(out, word >> 16);
        put16(out, word & 0xffff);
    }
    out.insert(out.end(), {0x50, flags, 0xff, 0xff, 0, 0, 0, 0});
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
}

struct Segment {
    bool from_client;
    uint8_t flags;
    Bytes payload;
};

// A flow's segments: the handshake (unless `primed` is false: then the capture starts at the
// client's first payload), the client's first bytes, the server's flight, more client data.
std::vector<Segment> tls_flow(const std::vector<Bytes>& client_first, bool primed) {
    std::vector<Segment> flow;
    if (primed) {
        flow.push_back({true, tcp_flag::syn, {}});
        flow.push_back({false, tcp_flag::syn | tcp_flag::ack, {}});
        flow.push_back({true, tcp_flag::ack, {}});
    }
    for (const Bytes& bytes : client_first) flow.push_back({true, 0x18, bytes});
    const Bytes& server = server_flight();
    for (size_t at = 0; at < server.size(); at += 1400)
        flow.push_back(
            {false, 0x18,
             Bytes(server.begin() + static_cast<ptrdiff_t>(at),
                   server.begin() + static_cast<ptrdiff_t>(std::min(server.size(), at + 1400)))});
    flow.push_back({true, 0x18, Bytes{0x14, 3, 3, 0, 1, 1}});
    flow.push_back({true, 0x18, Bytes(60, 0x17)});
    return flow;
}

struct Outcome {
    Verdict verdict;
    size_t decided_at = 0;  // packets inspected until done; 0: concluded at the end
};

Outcome classify(NdpiClassifier& ndpi, const Endpoints& e, const std::vector<Segment>& flow) {
    Outcome outcome;
    void* state = nullptr;
    uint32_t seq[2] = {1000, 90000};
    std::vector<Bytes> packets;
    PacketView last;
    for (size_t i = 0; i < flow.size(); ++i) {
        const Segment& s = flow[i];
        const int side = s.from_client ? 0 : 1;
        const bool syn = (s.flags & tcp_flag::syn) != 0;
        const uint32_t ack = (s.flags & tcp_flag::ack) != 0 ? seq[1 - side] : 0;
        packets.push_back(ip_packet(e, s.from_client, s.flags, seq[side], ack, s.payload));
        const uint32_t segment_seq = seq[side];
        seq[side] += static_cast<uint32_t>(s.payload.size()) + (syn ? 1 : 0);
        const Bytes& p = packets.back();
        PacketView view;
        view.l3 = p.data();
        view.l3_length = static_cast<uint16_t>(p.size());
        view.payload = {p.data() + p.size() - s.payload.size(), s.payload.size()};
        view.direction = s.from_client ? Direction::client_to_server : Direction::server_to_client;
        view.ip_protocol = ip_protocol::tcp;
        view.tcp_flags = s.flags;
        view.tcp_seq = segment_seq;
        view.timestamp_ms = 1'700'000'000'000 + i;
        view.flow_packets = static_cast<uint32_t>(i + 1);
        view.server_port = e.server_port;
        last = view;
        if (ndpi.inspect(state, view, outcome.verdict) == Progress::done) {
            outcome.decided_at = i + 1;
            return outcome;
        }
    }
    ndpi.conclude(state, last, outcome.verdict);
    return outcome;
}

struct Server {
    bool ipv6;
    std::array<uint8_t, 16> address;
};

const std::vector<Server>& servers() {
    static const std::vector<Server> list = {
        {false, {192, 0, 2, 10}},      // nobody nDPI knows
        {false, {142, 250, 180, 14}},  // Google's, by nDPI's address list
        {false, {157, 240, 1, 35}},    // Facebook's
        {true, {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10}},
        {true, {0x2a, 0x00, 0x14, 0x50, 0x40, 0x01, 0x08, 0x11, 0, 0, 0, 0, 0, 0, 0x20, 0x0e}},
    };
    return list;
}

std::vector<std::string> snis() {
    return {
        "www.googleapis.com",
        "mmg.whatsapp.net",
        "www.netflix.com",
        "WWW.NETFLIX.COM",
        "Api.TumeApp.com",
        "www.youtube.com",
        "r3---sn-4g5e6nzz.googlevideo.com",
        "scontent.xx.fbcdn.net",
        "*.facebook.com",
        "teams.microsoft.com",
        "zoom.us",
        "outlook.office365.com",
        "s3.amazonaws.com",
        "api.spotify.com",
        std::string(70, 'a') + ".googlevideo.com",  // kept as its last 79 bytes
        std::string(100, 'b') + ".whatsapp.net",
        std::string(90, 'c') + ".example.org",
        "142.250.180.14",
        "2a00:1450:4001:811::200e",
        "www.qzxkvbnwrtplmhgf.com",  // DGA-like: nDPI names it TOR
        "xkcdqwpzlmvbtrhg.net",
        "www.example.org",
        "intranet.local",
        "sip.jajah.com",
        std::string("www.googleapis.com\0.evil", 24),  // nDPI reads up to the NUL
        "localhost",
    };
}

std::string protocols_file() {
    const auto path = std::filesystem::temp_directory_path() / "ndpi_tls_facts_test.protos";
    std::ofstream out(path);
    out << "host:\"example.org\"@ExampleOrg\n"
        << "host:\"jajah.com\"@Jajah\n"
        << "host:\"googleapis.com\"@OwnGoogleApis\n"
        << "ip:192.0.2.10/32:443@DocServer\n";
    return path.string();
}

NdpiSettings with_shortcuts(bool final_stop, bool tls_facts, const std::string& protocols = {}) {
    NdpiSettings settings;
    settings.final_stop = final_stop;
    settings.tls_facts = tls_facts;
    settings.protocols_file = protocols;
    return settings;
}

struct Tally {
    size_t flows = 0;
    size_t settled_at_hello = 0;  // the shortcut classifier decided on the ClientHello
};

// Every flow through both classifiers; each mismatch is reported with the flow.
void compare(NdpiClassifier& shortcut, NdpiClassifier& dissecting,
             const std::vector<std::vector<Bytes>>& hellos, const std::string& what, Tally& tally) {
    const std::array<uint16_t, 3> ports = {443, 993, 8443};
    for (const Server& server : servers()) {
        for (const uint16_t port : ports) {
            for (const bool primed : {true, false}) {
                for (size_t h = 0; h < hellos.size(); ++h) {
                    Endpoints e;
                    e.ipv6 = server.ipv6;
                    e.server = server.address;
                    e.client = server.ipv6
                                   ? std::array<uint8_t, 16>{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                                                             0,    0,    0,    0,    0, 0, 0, 0x01}
                                   : std::array<uint8_t, 16>{10, 1, 2, 3};
                    e.client_port = static_cast<uint16_t>(30000 + tally.flows % 30000);
                    e.server_port = port;
                    const auto flow = tls_flow(hellos[h], primed);
                    const Outcome a = classify(shortcut, e, flow);
                    const Outcome b = classify(dissecting, e, flow);
                    ++tally.flows;
                    const size_t hello_packet = primed ? 4 : 1;
                    if (a.decided_at == hello_packet && b.decided_at != hello_packet)
                        ++tally.settled_at_hello;
                    const std::string flow_name =
                        what + " #" + std::to_string(h) + " port " + std::to_string(port) +
                        (server.ipv6 ? " IPv6" : " IPv4") + (primed ? " primed" : " unprimed");
                    EXPECT_EQ(a.verdict.ndpi_master, b.verdict.ndpi_master) << flow_name;
                    EXPECT_EQ(a.verdict.ndpi_app, b.verdict.ndpi_app) << flow_name;
                    EXPECT_EQ(a.verdict.ndpi_category, b.verdict.ndpi_category) << flow_name;
                    EXPECT_EQ(a.verdict.app, b.verdict.app) << flow_name;
                    EXPECT_EQ(a.verdict.confidence, b.verdict.confidence) << flow_name;
                }
            }
        }
    }
}

// Every SNI in a browser-like hello, then one SNI with other ALPN lists.
std::vector<std::vector<Bytes>> hellos_for_every_sni() {
    std::vector<std::vector<Bytes>> hellos;
    for (const std::string& sni : snis()) hellos.push_back({client_hello(browser_extensions(sni))});
    // Many ALPN offers (nDPI keeps what fits in 255 bytes), one with a NUL, and none.
    auto many = browser_extensions("www.googleapis.com");
    std::vector<std::string> offers;
    for (int i = 0; i < 40; ++i) offers.push_back("proto-" + std::to_string(i));
    many[7].data = alpn(offers);
    hellos.push_back({client_hello(many)});
    auto nul = browser_extensions("www.googleapis.com");
    nul[7].data = alpn({"h2", std::string("x\0y", 3), "http/1.1"});
    hellos.push_back({client_hello(nul)});
    auto none = browser_extensions("www.googleapis.com");
    none.erase(none.begin() + 7);
    hellos.push_back({client_hello(none)});
    return hellos;
}

// ClientHellos the shortcut must leave to nDPI (and the names must still agree).
std::vector<std::vector<Bytes>> hellos_left_to_ndpi() {
    const std::string host = "www.googleapis.com";
    std::vector<std::vector<Bytes>> hellos;
    const Bytes whole = client_hello(browser_extensions(host));
    // Cut into two segments, and followed by more bytes in the same segment.
    hellos.push_back(
        {Bytes(whole.begin(), whole.begin() + 100), Bytes(whole.begin() + 100, whole.end())});
    Bytes trailing = whole;
    trailing.insert(trailing.end(), {0x14, 3, 3, 0, 1, 1});
    hellos.push_back({trailing});
    // Two server_name extensions, the second naming another host.
    auto twice = browser_extensions(host);
    twice.push_back({0, server_name("www.netflix.com")});
    hellos.push_back({client_hello(twice)});
    // One server_name extension with two entries, the first not a host name.
    auto entries = browser_extensions(host);
    Bytes list{1, 0, 3, 'a', 'b', 'c', 0};
    const Bytes name = with_u16_length(Bytes(host.begin(), host.end()));
    list.insert(list.end(), name.begin(), name.end());
    entries[1].data = with_u16_length(list);
    hellos.push_back({client_hello(entries)});
    // An ALPN list longer than its extension, and a hello carrying QUIC transport parameters.
    auto bad_alpn = browser_extensions(host);
    bad_alpn[7].data = {0, 20, 2, 'h', '2'};
    hellos.push_back({client_hello(bad_alpn)});
    auto quic = browser_extensions(host);
    quic.push_back({57, {0x31, 0x29, 4, 't', 'e', 's', 't'}});
    hellos.push_back({client_hello(quic)});
    // A byte after the extensions, inside the hello, and an empty SNI.
    Bytes tail = whole;
    tail.push_back(0);
    const size_t record = tail.size() - 5;
    tail[3] = static_cast<uint8_t>(record >> 8);
    tail[4] = static_cast<uint8_t>(record);
    tail[7] = static_cast<uint8_t>((record - 4) >> 8);
    tail[8] = static_cast<uint8_t>(record - 4);
    hellos.push_back({tail});
    hellos.push_back({client_hello(browser_extensions(""))});
    // Not a ClientHello: a ServerHello-typed message and an application data record.
    Bytes server_typed = whole;
    server_typed[5] = 2;
    hellos.push_back({server_typed});
    Bytes data = whole;
    data[0] = 0x17;
    hellos.push_back({data});
    return hellos;
}

TEST(NdpiTlsFacts, ShortcutsNameFlowsAsNdpisOwnDissection) {
    NdpiClassifier shortcut(0, with_shortcuts(true, true), nullptr);
    NdpiClassifier dissecting(0, with_shortcuts(false, false), nullptr);
    Tally tally;
    compare(shortcut, dissecting, hellos_for_every_sni(), "sni", tally);
    compare(shortcut, dissecting, hellos_left_to_ndpi(), "odd hello", tally);
    // The comparison is worth something only if the shortcuts were taken.
    EXPECT_GT(tally.settled_at_hello, 40U) << tally.flows << " flows";
}

TEST(NdpiTlsFacts, EachShortcutAloneNamesFlowsAsNdpisOwnDissection) {
    NdpiClassifier dissecting(0, with_shortcuts(false, false), nullptr);
    NdpiClassifier final_stop(0, with_shortcuts(true, false), nullptr);
    NdpiClassifier tls_facts(0, with_shortcuts(false, true), nullptr);
    Tally stop_tally;
    Tally facts_tally;
    compare(final_stop, dissecting, hellos_for_every_sni(), "final stop", stop_tally);
    compare(tls_facts, dissecting, hellos_for_every_sni(), "tls facts", facts_tally);
    EXPECT_GT(stop_tally.settled_at_hello, 40U);
    EXPECT_GT(facts_tally.settled_at_hello, 20U);
}

TEST(NdpiTlsFacts, WithAProtocolsFileOfHostRules) {
    const std::string protocols = protocols_file();
    NdpiClassifier shortcut(0, with_shortcuts(true, true, protocols), nullptr);
    NdpiClassifier dissecting(0, with_shortcuts(false, false, protocols), nullptr);
    Tally tally;
    compare(shortcut, dissecting, hellos_for_every_sni(), "sni, protocols file", tally);
    compare(shortcut, dissecting, hellos_left_to_ndpi(), "odd hello, protocols file", tally);
    EXPECT_GT(tally.settled_at_hello, 40U);
    std::filesystem::remove(protocols);
}

TEST(NdpiTlsFacts, OddHellosAreLeftToNdpi) {
    NdpiClassifier tls_facts(0, with_shortcuts(false, true), nullptr);
    Endpoints e;
    e.client = {10, 1, 2, 3};
    e.server = {192, 0, 2, 10};
    const auto hellos = hellos_left_to_ndpi();
    for (size_t h = 0; h < hellos.size(); ++h) {
        const Outcome outcome = classify(tls_facts, e, tls_flow(hellos[h], true));
        // Decided with the server's first flight, not on the client's first payload.
        EXPECT_NE(outcome.decided_at, 3 + hellos[h].size()) << "hello #" << h;
    }
}

// nDPI's flow after its own dissection of the ClientHello against the flow after ours: the
// same stack, category, SNI and ALPN text (what decide() offers the rules).
class FlowPair {
public:
    FlowPair() {
        for (auto*& flow : flows_)
            flow = static_cast<ndpi_flow_struct*>(std::calloc(1, SIZEOF_FLOW_STRUCT));
    }
    ~FlowPair() {
        for (auto* flow : flows_) {
            ndpi_free_flow_data(flow);
            std::free(flow);
        }
    }
    FlowPair(const FlowPair&) = delete;
    FlowPair& operator=(const FlowPair&) = delete;
    ndpi_flow_struct* ndpi() { return flows_[0]; }
    ndpi_flow_struct* ours() { return flows_[1]; }

private:
    std::array<ndpi_flow_struct*, 2> flows_{};
};

TEST(NdpiTlsFacts, SettledFlowHoldsWhatNdpisDissectionHolds) {
    NdpiModule module = make_ndpi_module();
    NdpiTlsFacts facts;
    Endpoints e;
    e.client = {10, 1, 2, 3};
    e.server = {192, 0, 2, 10};
    size_t settled = 0;
    for (const auto& hello : hellos_for_every_sni()) {
        FlowPair pair;
        const Bytes syn = ip_packet(e, true, tcp_flag::syn, 1000, 0, {});
        const Bytes first = ip_packet(e, true, 0x18, 1001, 90001, hello[0]);
        for (ndpi_flow_struct* flow : {pair.ndpi(), pair.ours()})
            ndpi_detection_process_packet(module.get(), flow, syn.data(),
                                          static_cast<uint16_t>(syn.size()), 1);
        const ndpi_protocol expected = ndpi_detection_process_packet(
            module.get(), pair.ndpi(), first.data(), static_cast<uint16_t>(first.size()), 2);
        PacketView view;
        view.l3 = first.data();
        view.l3_length = static_cast<uint16_t>(first.size());
        view.ip_protocol = ip_protocol::tcp;
        view.tcp_flags = 0x18;
        ndpi_protocol got{};
        if (!facts.settle(module.get(), pair.ours(), view, got)) {
            // Left to nDPI: the flow must be as it was, untouched.
            EXPECT_EQ(pair.ours()->host_server_name[0], '\0');
            EXPECT_EQ(pair.ours()->detected_protocol_stack[0], 0);
            continue;
        }
        ++settled;
        const ndpi_flow_struct& a = *pair.ndpi();
        const ndpi_flow_struct& b = *pair.ours();
        const std::string sni = a.host_server_name;
        EXPECT_EQ(got.master_protocol, expected.master_protocol) << sni;
        EXPECT_EQ(got.app_protocol, expected.app_protocol) << sni;
        EXPECT_EQ(got.category, expected.category) << sni;
        EXPECT_EQ(std::string(b.host_server_name), sni);
        EXPECT_EQ(b.detected_protocol_stack[0], a.detected_protocol_stack[0]) << sni;
        EXPECT_EQ(b.detected_protocol_stack[1], a.detected_protocol_stack[1]) << sni;
        EXPECT_EQ(b.category, a.category) << sni;
        EXPECT_EQ(facts.alpn(),
                  std::string_view(a.protos.tls_quic.alpn != nullptr ? a.protos.tls_quic.alpn : ""))
            << sni;
        EXPECT_TRUE(ndpi_tls_name_is_final(a, view)) << sni;
    }
    EXPECT_GT(settled, 10U);
}

}  // namespace
}  // namespace ottscope
