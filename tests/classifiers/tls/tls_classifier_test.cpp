// The TLS classifier fed directly with reassembled streams: real OpenSSL handshakes (the
// synthesizer's TlsPair and test CA) cut into segments of several sizes, and hand-built
// hellos for GREASE, JA4 reference values and hostile lengths.

#include "classifiers/tls/tls_classifier.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <string>
#include <vector>

#include "classifiers/rule_set.h"
#include "tests/classifiers/rule_test_support.h"
#include "tls_handshake.h"

namespace ottscope {
namespace {

using Bytes = std::vector<uint8_t>;

// --- hand-built messages -----------------------------------------------------------------

void put16(Bytes& out, uint16_t v) {
    out.push_back(static_cast<uint8_t>(v >> 8));
    out.push_back(static_cast<uint8_t>(v));
}

Bytes with_u16_length(const Bytes& body) {
    Bytes out(2 + body.size());
    out[0] = static_cast<uint8_t>(body.size() >> 8);
    out[1] = static_cast<uint8_t>(body.size());
    std::copy(body.begin(), body.end(), out.begin() + 2);
    return out;
}

Bytes u16_list(const std::vector<uint16_t>& values) {
    Bytes body;
    for (uint16_t v : values) put16(body, v);
    return with_u16_length(body);
}

struct Extension {
    uint16_t type;
    Bytes data;
};

Bytes sni_extension(const std::string& host) {
    Bytes entry{0};
    Bytes name(host.begin(), host.end());
    const Bytes named = with_u16_length(name);
    entry.insert(entry.end(), named.begin(), named.end());
    return with_u16_length(entry);
}

Bytes alpn_extension(const std::vector<std::string>& names) {
    Bytes list;
    for (const auto& n : names) {
        list.push_back(static_cast<uint8_t>(n.size()));
        list.insert(list.end(), n.begin(), n.end());
    }
    return with_u16_length(list);
}

Bytes client_hello_body(uint16_t version, const std::vector<uint16_t>& ciphers,
                        const std::vector<Extension>& extensions) {
    Bytes body(35, 0x11);  // version, random, empty session id
    body[0] = static_cast<uint8_t>(version >> 8);
    body[1] = static_cast<uint8_t>(version);
    body[34] = 0;
    const Bytes cipher_list = u16_list(ciphers);
    body.insert(body.end(), cipher_list.begin(), cipher_list.end());
    body.push_back(1);
    body.push_back(0);  // null compression
    Bytes ext;
    for (const auto& e : extensions) {
        put16(ext, e.type);
        const Bytes data = with_u16_length(e.data);
        ext.insert(ext.end(), data.begin(), data.end());
    }
    const Bytes ext_list = with_u16_length(ext);
    body.insert(body.end(), ext_list.begin(), ext_list.end());
    return body;
}

Bytes handshake_message(uint8_t type, const Bytes& body) {
    Bytes out{type, static_cast<uint8_t>(body.size() >> 16), static_cast<uint8_t>(body.size() >> 8),
              static_cast<uint8_t>(body.size())};
    out.insert(out.end(), body.begin(), body.end());
    return out;
}

// Wraps bytes into records of at most `record_size` payload bytes.
Bytes records(uint8_t type, const Bytes& payload, size_t record_size = 16384) {
    Bytes out;
    for (size_t at = 0; at < payload.size(); at += record_size) {
        const size_t n = std::min(record_size, payload.size() - at);
        out.push_back(type);
        out.push_back(3);
        out.push_back(1);
        put16(out, static_cast<uint16_t>(n));
        out.insert(out.end(), payload.begin() + static_cast<ptrdiff_t>(at),
                   payload.begin() + static_cast<ptrdiff_t>(at + n));
    }
    return out;
}

// --- real handshakes -----------------------------------------------------------------------

using test::real_handshake;
using test::Transcript;

// Feeds a flow's two streams to the classifier, a segment at a time, like the worker does.
class FlowDriver {
public:
    explicit FlowDriver(TlsClassifier& classifier, const RuleSet* rules = nullptr)
        : classifier_(classifier), rules_(rules) {}

    // Delivers the next `n` bytes of `direction`; returns what the classifier said.
    Progress feed(Direction direction, const Bytes& stream, size_t n, uint8_t flags = 0) {
        const auto d = static_cast<size_t>(direction);
        const size_t from = delivered_[d];
        delivered_[d] = std::min(stream.size(), from + n);
        PacketView view;
        view.ip_protocol = 6;
        view.direction = direction;
        view.payload = {stream.data() + from, delivered_[d] - from};
        view.stream = {stream.data(), delivered_[d]};
        view.stream_new_offset = static_cast<uint32_t>(from);
        view.stream_flags = flags;
        view.flow_packets = ++packets_;
        view.server_address = server_address_;
        view.server_port = 443;
        view.rules = rules_;
        return classifier_.inspect(state_, view, verdict_);
    }

    // Both streams in segments of `segment` bytes, client flight first, until done.
    Progress run(const Transcript& t, size_t segment) {
        while (delivered_[0] < t.client.size() || delivered_[1] < t.server.size()) {
            // The client's first flight, then the server's, then the rest alternately.
            const bool client_turn = delivered_[0] < t.client.size() &&
                                     (delivered_[1] == 0 ? true : delivered_[1] >= t.server.size());
            const Progress p = client_turn ? feed(Direction::client_to_server, t.client, segment)
                                           : feed(Direction::server_to_client, t.server, segment);
            if (p == Progress::done) return p;
            if (client_turn && delivered_[0] >= first_flight_end(t.client)) switch_ = true;
        }
        return Progress::need_more;
    }

    void conclude() {
        PacketView context;
        context.ip_protocol = 6;
        context.rules = rules_;
        context.server_address = server_address_;
        context.server_port = 443;
        classifier_.conclude(state_, context, verdict_);
    }

    FlowAnnotations annotate() {
        FlowAnnotations a;
        classifier_.annotate(state_, a);
        return a;
    }

    [[nodiscard]] void* state() const { return state_; }
    [[nodiscard]] const Verdict& verdict() const { return verdict_; }
    [[nodiscard]] uint32_t packets() const { return packets_; }

private:
    static size_t first_flight_end(const Bytes& client) {
        // The ClientHello record: header plus its length.
        return client.size() >= 5 ? 5 + (size_t{client[3]} << 8 | client[4]) : client.size();
    }

    TlsClassifier& classifier_;
    const RuleSet* rules_;
    void* state_ = nullptr;
    Verdict verdict_;
    size_t delivered_[2] = {0, 0};
    uint32_t packets_ = 0;
    bool switch_ = false;
    uint8_t server_address_[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 10};
};

RuleSet jajah_rules(uint16_t app) {
    AppRule rule;
    rule.app = app;
    RuleCondition condition;
    RuleTest test = test::fact_test("tls", "cert_san", {"*.jajah.com"});
    condition.tests.push_back(test);
    rule.conditions.push_back(condition);
    RuleCondition by_sni;
    RuleTest sni = test::fact_test("tls", "sni", {"*.jajah.com"});
    by_sni.tests.push_back(sni);
    rule.conditions.push_back(by_sni);
    rule.evidence = {7, 8};
    rule.confidence = {Confidence::high, Confidence::high};
    return RuleSet({rule}, 1, "test");
}

TEST(TlsClassifier, Tls12HandshakeGivesNamesFingerprintsAndLeafCertificate) {
    const Transcript t = real_handshake("sip.jajah.com", TLS1_2_VERSION, "sip");
    TlsClassifier classifier(1);
    FlowDriver flow(classifier);
    ASSERT_EQ(flow.run(t, 1460), Progress::done);
    const FlowAnnotations a = flow.annotate();
    EXPECT_EQ(test::record_field(a, "tls", "sni"), "sip.jajah.com");
    EXPECT_EQ(test::record_field(a, "tls", "alpn"), "sip");
    EXPECT_EQ(test::record_field(a, "tls", "ja3").size(), 32u);
    EXPECT_EQ(test::record_field(a, "tls", "ja3s").size(), 32u);
    EXPECT_EQ(test::record_field(a, "tls", "ja4").substr(0, 4), "t12d");
    EXPECT_EQ(test::record_field(a, "tls", "ja4").substr(8, 2), "sp");
    EXPECT_NE(test::record_field(a, "tls", "cert_subject").find("CN=sip.jajah.com"),
              std::string_view::npos)
        << test::record_field(a, "tls", "cert_subject");
    EXPECT_FALSE(test::record_field(a, "tls", "cert_issuer").empty());
    EXPECT_EQ(flow.state(), nullptr);
    EXPECT_EQ(classifier.state_bytes_in_use(), 0u);
    // No rules: the classifier names nothing.
    EXPECT_EQ(flow.verdict().confidence, Confidence::none);
}

TEST(TlsClassifier, ALeafSeenAgainInAnotherFlowComesFromTheCertificateCache) {
    const Transcript t = real_handshake("sip.jajah.com", TLS1_2_VERSION, "sip");
    TlsClassifier classifier(1);
    FlowDriver first(classifier);
    ASSERT_EQ(first.run(t, 1460), Progress::done);
    const FlowAnnotations expected = first.annotate();
    EXPECT_EQ(classifier.certificate_cache().misses(), 1u);
    FlowDriver second(classifier);
    ASSERT_EQ(second.run(t, 331), Progress::done);
    const FlowAnnotations a = second.annotate();
    EXPECT_EQ(classifier.certificate_cache().misses(), 1u);
    EXPECT_EQ(classifier.certificate_cache().hits(), 1u);
    EXPECT_EQ(test::record_field(a, "tls", "cert_subject"),
              test::record_field(expected, "tls", "cert_subject"));
    EXPECT_EQ(test::record_field(a, "tls", "cert_issuer"),
              test::record_field(expected, "tls", "cert_issuer"));
    EXPECT_NE(test::record_field(a, "tls", "cert_subject").find("CN=sip.jajah.com"),
              std::string_view::npos);
}

TEST(TlsClassifier, SmallSegmentsAndOneByteRecordsGiveTheSameValues) {
    const Transcript t = real_handshake("sip.jajah.com", TLS1_2_VERSION, "h2");
    TlsClassifier reference_classifier(1);
    FlowDriver reference(reference_classifier);
    ASSERT_EQ(reference.run(t, 100000), Progress::done);
    const FlowAnnotations expected = reference.annotate();
    for (const size_t segment : {700u, 331u, 97u}) {
        TlsClassifier classifier(1);
        FlowDriver flow(classifier);
        ASSERT_EQ(flow.run(t, segment), Progress::done) << segment;
        const FlowAnnotations a = flow.annotate();
        EXPECT_EQ(test::record_field(a, "tls", "sni"), test::record_field(expected, "tls", "sni"))
            << segment;
        EXPECT_EQ(test::record_field(a, "tls", "ja3"), test::record_field(expected, "tls", "ja3"))
            << segment;
        EXPECT_EQ(test::record_field(a, "tls", "ja4"), test::record_field(expected, "tls", "ja4"))
            << segment;
        EXPECT_EQ(test::record_field(a, "tls", "cert_subject"),
                  test::record_field(expected, "tls", "cert_subject"))
            << segment;
    }
}

TEST(TlsClassifier, HandshakeMessagesSplitAcrossManyRecords) {
    // The same ClientHello in one record and in 10-byte records: same fingerprints.
    const Bytes body = client_hello_body(
        0x0303, {0x1301, 0xc02f}, {{0, sni_extension("a.example")}, {16, alpn_extension({"h2"})}});
    const Bytes message = handshake_message(1, body);
    TlsClassifier one(1), many(1);
    FlowDriver a(one), b(many);
    const Bytes whole = records(22, message);
    const Bytes split = records(22, message, 10);
    a.feed(Direction::client_to_server, whole, whole.size());
    b.feed(Direction::client_to_server, split, split.size());
    a.conclude();
    b.conclude();
    const FlowAnnotations x = a.annotate(), y = b.annotate();
    EXPECT_EQ(test::record_field(x, "tls", "sni"), "a.example");
    EXPECT_EQ(test::record_field(y, "tls", "sni"), "a.example");
    EXPECT_EQ(test::record_field(x, "tls", "ja3"), test::record_field(y, "tls", "ja3"));
    EXPECT_EQ(test::record_field(x, "tls", "ja4"), test::record_field(y, "tls", "ja4"));
}

TEST(TlsClassifier, Tls13DecidesAtServerHello) {
    const Transcript t = real_handshake("sip.jajah.com", TLS1_3_VERSION, "");
    TlsClassifier classifier(1);
    FlowDriver flow(classifier);
    ASSERT_EQ(flow.run(t, 1460), Progress::done);
    const FlowAnnotations a = flow.annotate();
    EXPECT_EQ(test::record_field(a, "tls", "ja4").substr(0, 4), "t13d");
    EXPECT_EQ(test::record_field(a, "tls", "ja4").substr(8, 2), "00");  // no ALPN
    EXPECT_FALSE(test::record_field(a, "tls", "ja3s").empty());
    EXPECT_TRUE(test::record_field(a, "tls", "cert_subject").empty());  // encrypted in TLS 1.3
}

TEST(TlsClassifier, RulesNameTheFlowFromCertificateAndSni) {
    const RuleSet rules = jajah_rules(600);
    for (const int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
        const Transcript t = real_handshake("sip.jajah.com", version, "");
        TlsClassifier classifier(2);
        FlowDriver flow(classifier, &rules);
        ASSERT_EQ(flow.run(t, 1460), Progress::done);
        EXPECT_EQ(flow.verdict().app, 600);
        EXPECT_EQ(flow.verdict().classifier, 2);
        EXPECT_EQ(flow.verdict().tier, ClaimTier::protocol_rule);
        EXPECT_EQ(flow.verdict().confidence, Confidence::high);
        EXPECT_NE(flow.verdict().evidence, 0);
        flow.annotate();
    }
    // Another name: no claim.
    const Transcript other = real_handshake("sip.jajah.com", TLS1_2_VERSION, "");
    const RuleSet none = [] {
        AppRule rule;
        rule.app = 601;
        RuleCondition c;
        RuleTest test = test::fact_test("tls", "sni", {"api.tumeapp.com"});
        c.tests.push_back(test);
        rule.conditions.push_back(c);
        rule.evidence = {9};
        rule.confidence = {Confidence::high};
        return RuleSet({rule}, 1, "x");
    }();
    TlsClassifier classifier(2);
    FlowDriver flow(classifier, &none);
    ASSERT_EQ(flow.run(other, 1460), Progress::done);
    EXPECT_EQ(flow.verdict().confidence, Confidence::none);
    flow.annotate();
}

TEST(TlsClassifier, NonTlsStreamsAreLeftAtOnceWithoutState) {
    TlsClassifier classifier(1);
    for (const std::string& text :
         {std::string("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), std::string("SSH-2.0-OpenSSH_9.0\r\n"),
          std::string("\x80\x2e\x01\x00\x02\x00\x15\x00\x00\x00\x10", 11) /* SSLv2 hello */,
          std::string("\x16\x02\x00\x00\x10", 5) /* wrong major version */}) {
        const Bytes stream(text.begin(), text.end());
        FlowDriver flow(classifier);
        EXPECT_EQ(flow.feed(Direction::client_to_server, stream, stream.size()), Progress::done);
        EXPECT_EQ(flow.state(), nullptr);
    }
    EXPECT_EQ(classifier.state_bytes_in_use(), 0u);
}

TEST(TlsClassifier, GarbageAfterAGoodRecordHeaderGivesUpCleanly) {
    // Starts like TLS, then a record header that is not one.
    Bytes stream{22, 3, 1, 0, 4, 1, 0, 0, 0};
    const Bytes garbage{0x47, 0x45, 0x54, 0x20, 0x2f, 0x20, 0x48, 0x54};
    stream.insert(stream.end(), garbage.begin(), garbage.end());
    TlsClassifier classifier(1);
    FlowDriver flow(classifier);
    EXPECT_EQ(flow.feed(Direction::client_to_server, stream, stream.size()), Progress::done);
    flow.annotate();
    EXPECT_EQ(classifier.state_bytes_in_use(), 0u);
}

TEST(TlsClassifier, TruncatedHandshakeConcludesWithWhatWasSeen) {
    const Transcript t = real_handshake("sip.jajah.com", TLS1_2_VERSION, "");
    TlsClassifier classifier(1);
    FlowDriver flow(classifier);
    EXPECT_EQ(flow.feed(Direction::client_to_server, t.client, 60), Progress::need_more);
    EXPECT_NE(flow.state(), nullptr);
    flow.conclude();
    const FlowAnnotations a = flow.annotate();
    EXPECT_TRUE(test::record_field(a, "tls", "sni").empty());
    EXPECT_EQ(classifier.state_bytes_in_use(), 0u);
    // The server side cut by the reassembly depth: the client side is kept.
    TlsClassifier second(1);
    FlowDriver cut(second);
    cut.feed(Direction::client_to_server, t.client, t.client.size());
    EXPECT_EQ(cut.feed(Direction::server_to_client, t.server, 300, stream_flag::truncated),
              Progress::done);
    EXPECT_EQ(test::record_field(cut.annotate(), "tls", "sni"), "sip.jajah.com");
}

TEST(TlsClassifier, HostileLengthsNeverReadOutOfBounds) {
    // A handshake header claiming 16 MiB, then extension lists whose lengths overrun.
    Bytes stream{22, 3, 1, 0, 8, 1, 0xff, 0xff, 0xff, 3, 3, 0, 0};
    TlsClassifier classifier(1);
    FlowDriver flow(classifier);
    EXPECT_EQ(flow.feed(Direction::client_to_server, stream, stream.size()), Progress::need_more);
    flow.conclude();
    flow.annotate();
    // Every prefix of a real ClientHello body, parsed as if it were the whole body.
    const Transcript t = real_handshake("sip.jajah.com", TLS1_3_VERSION, "h2");
    const size_t length = size_t{t.client[6]} << 16 | size_t{t.client[7]} << 8 | t.client[8];
    for (size_t n = 0; n <= length; ++n) {
        tls::ClientHello hello;
        const bool ok =
            tls::parse_client_hello(std::span<const uint8_t>(t.client.data() + 9, n), hello);
        if (n < 38) {
            EXPECT_FALSE(ok) << n;
        }
        if (n == length) {
            EXPECT_TRUE(ok);
        }
    }
    // A body whose inner lengths all say 0xffff.
    Bytes hostile(200, 0xff);
    hostile[0] = 3;
    hostile[1] = 3;
    tls::ClientHello hello;
    EXPECT_FALSE(tls::parse_client_hello(hostile, hello));
    tls::ServerHello server;
    EXPECT_FALSE(tls::parse_server_hello(hostile, server));
}

TEST(TlsFingerprint, GreaseIsLeftOutOfJa3AndJa4) {
    const Bytes body = client_hello_body(0x0303, {0x0a0a, 0x1301, 0x1302, 0xc02f},
                                         {{0x1a1a, {}},
                                          {0, sni_extension("x.example")},
                                          {10, u16_list({0x2a2a, 29, 23})},
                                          {11, {1, 0}},
                                          {13, u16_list({0x0403, 0x0804})},
                                          {16, alpn_extension({"h2", "http/1.1"})},
                                          {43, Bytes{6, 0x3a, 0x3a, 3, 4, 3, 3}},
                                          {0x4a4a, {0}}});
    tls::ClientHello hello;
    ASSERT_TRUE(tls::parse_client_hello(body, hello));
    tls::FingerprintScratch scratch;
    const size_t n = tls::ja3_string(hello, scratch);
    EXPECT_EQ(std::string(scratch.text.data(), n), "771,4865-4866-49199,0-10-11-13-16-43,29-23,0");
    tls::Ja4Text ja4;
    tls::ja4(hello, scratch, ja4);
    EXPECT_EQ(std::string(ja4.data(), 10), "t13d0306h2");
}

TEST(TlsFingerprint, Ja4MatchesTheReferenceValueOfItsOwnCorpus) {
    // FoxIO's expected output for tls12.pcap (JA4_ro.1 gives the original order):
    // t13d1715h2_5b57614c22b0_3d5424432f57.
    const std::vector<uint16_t> ciphers = {0x1301, 0x1303, 0x1302, 0xc02b, 0xc02f, 0xcca9,
                                           0xcca8, 0xc02c, 0xc030, 0xc00a, 0xc009, 0xc013,
                                           0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
    std::vector<Extension> extensions;
    for (const uint16_t type : {0x0000, 0x0017, 0xff01, 0x000a, 0x000b, 0x0023, 0x0010, 0x0005,
                                0x0022, 0x0033, 0x002b, 0x000d, 0x002d, 0x001c, 0x0015}) {
        Bytes data;
        if (type == 0x0000) data = sni_extension("contile.services.mozilla.com");
        if (type == 0x0010) data = alpn_extension({"h2", "http/1.1"});
        if (type == 0x002b) data = {4, 3, 4, 3, 3};
        if (type == 0x000d)
            data = u16_list({0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601,
                             0x0203, 0x0201});
        extensions.push_back({type, data});
    }
    // The parsed hello points into the body: it must outlive the fingerprinting below.
    const Bytes body = client_hello_body(0x0303, ciphers, extensions);
    tls::ClientHello hello;
    ASSERT_TRUE(tls::parse_client_hello(body, hello));
    tls::FingerprintScratch scratch;
    tls::Ja4Text ja4;
    tls::ja4(hello, scratch, ja4);
    EXPECT_STREQ(ja4.data(), "t13d1715h2_5b57614c22b0_3d5424432f57");
}

TEST(TlsCertificate, LeafFieldsAndFingerprints) {
    const Transcript t = real_handshake("sip.jajah.com", TLS1_2_VERSION, "");
    // Find the Certificate message in the server's first records and read its leaf.
    tls::RecordCursor cursor;
    std::array<uint8_t, 32768> scratch{};
    tls::HandshakeScanner scanner(scratch);
    tls::CertificateInfo info;
    bool found = false;
    scanner.scan(t.server, cursor, [&](const tls::HandshakeMessage& m) {
        if (m.type != tls::handshake::certificate || !m.complete) return m.complete;
        const size_t leaf = size_t{m.body[3]} << 16 | size_t{m.body[4]} << 8 | m.body[5];
        found = tls::parse_certificate(m.body.subspan(6, leaf), info);
        return false;
    });
    ASSERT_TRUE(found);
    EXPECT_EQ(info.san_dns.view(), "sip.jajah.com,*.jajah.com");
    EXPECT_EQ(info.not_before, synth::TestPki::kLeafNotBefore);
    EXPECT_EQ(info.not_after, synth::TestPki::kLeafNotAfter);
    EXPECT_NE(info.sha256, (std::array<uint8_t, 32>{}));
    EXPECT_NE(info.sha1, (std::array<uint8_t, 20>{}));
    EXPECT_FALSE(tls::parse_certificate(std::span<const uint8_t>(t.server.data(), 40), info));
}

}  // namespace
}  // namespace ottscope
