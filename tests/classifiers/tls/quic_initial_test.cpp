// QUIC client Initials: key derivation and packet opening against the test vectors of
// RFC 9001 and RFC 9369, the CRYPTO stream's reassembly, the frames walk, and the TLS
// classifier's UDP path (facts, record fields, no state for what is not a client Initial).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "classifiers/rule_set.h"
#include "classifiers/tls/quic_crypto_stream.h"
#include "classifiers/tls/quic_frames.h"
#include "classifiers/tls/quic_hello_reader.h"
#include "classifiers/tls/quic_initial.h"
#include "classifiers/tls/tls_classifier.h"
#include "quic_rfc_vectors.h"
#include "tests/classifiers/rule_test_support.h"

namespace ottscope {
namespace {

using Bytes = std::vector<uint8_t>;
namespace v = test::quic_vectors;
using tls::quic::CryptoStream;
using tls::quic::QuicRead;

Bytes hex(std::string_view text) {
    Bytes out;
    for (size_t i = 0; i + 1 < text.size(); i += 2)
        out.push_back(static_cast<uint8_t>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16)));
    return out;
}

template <size_t N>
Bytes bytes_of(const std::array<uint8_t, N>& a) {
    return {a.begin(), a.end()};
}

Bytes expected_plaintext() {
    Bytes p = hex(v::kClientPayload);
    p.resize(p.size() + v::kClientPadding, 0);
    return p;
}

TEST(QuicInitial, ClientKeysAreThoseOfRfc9001AndRfc9369) {
    tls::quic::InitialOpener opener;
    ASSERT_TRUE(opener.ready());
    const Bytes dcid = hex(v::kDcid);
    tls::quic::InitialKeys keys;
    ASSERT_TRUE(opener.derive_client(tls::quic::kVersion1, dcid, keys));
    EXPECT_EQ(bytes_of(keys.key), hex(v::kV1ClientKey));
    EXPECT_EQ(bytes_of(keys.iv), hex(v::kV1ClientIv));
    EXPECT_EQ(bytes_of(keys.hp), hex(v::kV1ClientHp));
    ASSERT_TRUE(opener.derive_client(tls::quic::kVersion2, dcid, keys));
    EXPECT_EQ(bytes_of(keys.key), hex(v::kV2ClientKey));
    EXPECT_EQ(bytes_of(keys.iv), hex(v::kV2ClientIv));
    EXPECT_EQ(bytes_of(keys.hp), hex(v::kV2ClientHp));
    EXPECT_FALSE(opener.derive_client(0x51303530, dcid, keys));  // gQUIC Q050
    // An empty DCID (after a Retry a server may choose one) still derives.
    EXPECT_TRUE(opener.derive_client(tls::quic::kVersion1, {}, keys));
}

void expect_opens(const char* packet_hex, uint32_t version) {
    const Bytes packet = hex(packet_hex);
    tls::quic::LongHeader header;
    ASSERT_EQ(tls::quic::parse_long_header(packet, header), tls::quic::HeaderResult::ok);
    EXPECT_EQ(header.version, version);
    EXPECT_EQ(header.type, tls::quic::PacketType::initial);
    EXPECT_EQ(header.dcid.size(), 8u);
    EXPECT_EQ(header.pn_offset, 18u);
    EXPECT_EQ(header.end, packet.size());
    tls::quic::InitialOpener opener;
    tls::quic::InitialKeys keys;
    ASSERT_TRUE(opener.derive_client(version, header.dcid, keys));
    Bytes plaintext(2048);
    uint64_t pn = 0;
    const int n = opener.open(keys, header, packet, -1, plaintext, pn);
    ASSERT_GT(n, 0);
    plaintext.resize(static_cast<size_t>(n));
    EXPECT_EQ(pn, 2u);
    EXPECT_EQ(plaintext, expected_plaintext());

    // One bit flipped anywhere after the header: it no longer authenticates.
    for (const size_t at : {size_t{18}, size_t{100}, packet.size() - 1}) {
        Bytes bad = packet;
        bad[at] ^= 0x01;
        EXPECT_LT(opener.open(keys, header, bad, -1, plaintext, pn), 0) << at;
    }
}

TEST(QuicInitial, OpensTheSampleClientInitialOfRfc9001) {
    expect_opens(v::kV1ClientPacket, tls::quic::kVersion1);
}

TEST(QuicInitial, OpensTheSampleClientInitialOfRfc9369) {
    expect_opens(v::kV2ClientPacket, tls::quic::kVersion2);
}

TEST(QuicInitial, HeadersThatAreNotInitialsAreToldApart) {
    tls::quic::LongHeader h;
    EXPECT_EQ(tls::quic::parse_long_header(hex("4300112233"), h),
              tls::quic::HeaderResult::short_header);
    EXPECT_EQ(tls::quic::parse_long_header(hex("80000000000811223344556677880000000001"), h),
              tls::quic::HeaderResult::version_negotiation);
    EXPECT_EQ(tls::quic::parse_long_header(hex("c05130353008112233445566778800"), h),
              tls::quic::HeaderResult::unknown_version);
    // DCID longer than 20 bytes in a v1 header.
    EXPECT_EQ(tls::quic::parse_long_header(hex("c00000000115"), h),
              tls::quic::HeaderResult::malformed);
    // A length past the datagram.
    EXPECT_EQ(tls::quic::parse_long_header(hex("c0000000010111000044ff00"), h),
              tls::quic::HeaderResult::malformed);
    // Retry (v1 type 3): no length, runs to the end.
    const Bytes retry = hex("f00000000100041122334455667788");
    ASSERT_EQ(tls::quic::parse_long_header(retry, h), tls::quic::HeaderResult::ok);
    EXPECT_EQ(h.type, tls::quic::PacketType::retry);
    EXPECT_EQ(h.end, retry.size());
    // v2 rotates the types: 0b01 is Initial, 0b00 Retry.
    ASSERT_EQ(tls::quic::parse_long_header(hex("d06b3343cf0000000100"), h),
              tls::quic::HeaderResult::ok);
    EXPECT_EQ(h.type, tls::quic::PacketType::initial);
}

// --- the CRYPTO stream -------------------------------------------------------------------

Bytes handshake_message(size_t body_length) {
    Bytes m{1, static_cast<uint8_t>(body_length >> 16), static_cast<uint8_t>(body_length >> 8),
            static_cast<uint8_t>(body_length)};
    for (size_t i = 0; i < body_length; ++i) m.push_back(static_cast<uint8_t>(i * 7));
    return m;
}

TEST(QuicCryptoStream, OutOfOrderAndOverlappingPiecesMakeTheWholeMessage) {
    const Bytes m = handshake_message(3000);
    CryptoStream s;
    s.reset();
    auto add = [&](size_t from, size_t to) {
        return s.add(from, std::span(m.data() + from, to - from));
    };
    EXPECT_TRUE(add(1000, 2000));
    EXPECT_EQ(s.contiguous(), 0u);
    EXPECT_EQ(s.hello(), CryptoStream::Hello::pending);
    EXPECT_TRUE(add(2500, m.size()));
    EXPECT_TRUE(add(0, 1100));  // overlaps the first piece
    EXPECT_EQ(s.contiguous(), 2000u);
    EXPECT_EQ(s.hello(), CryptoStream::Hello::pending);
    EXPECT_TRUE(add(1990, 2510));  // overlaps both sides
    EXPECT_EQ(s.contiguous(), m.size());
    ASSERT_EQ(s.hello(), CryptoStream::Hello::complete);
    EXPECT_EQ(Bytes(s.body().begin(), s.body().end()), Bytes(m.begin() + 4, m.end()));
    // Every byte on its own, backwards.
    CryptoStream t;
    for (size_t i = m.size(); i-- > 0;) t.add(i, std::span(m.data() + i, 1));
    ASSERT_EQ(t.hello(), CryptoStream::Hello::complete);
    EXPECT_EQ(t.body().size(), 3000u);
}

TEST(QuicCryptoStream, IsBoundedAndRefusesWhatIsNotAClientHello) {
    CryptoStream s;
    const Bytes some(100, 0x01);
    EXPECT_FALSE(s.add(CryptoStream::kCapacity - 10, some));  // partly past the end
    EXPECT_FALSE(s.add(uint64_t{1} << 61, some));
    EXPECT_TRUE(s.add(uint64_t{1} << 61, {}));
    EXPECT_EQ(s.contiguous(), 0u);
    // A ClientHello longer than the buffer will never be whole.
    const Bytes huge{1, 0x00, 0x40, 0x00};
    s.add(0, huge);
    EXPECT_EQ(s.hello(), CryptoStream::Hello::invalid);
    // A stream starting with anything but a ClientHello.
    CryptoStream u;
    const Bytes server{2, 0, 0, 1, 0};
    u.add(0, server);
    EXPECT_EQ(u.hello(), CryptoStream::Hello::invalid);
}

TEST(QuicFrames, StepsOverAllowedFramesAndStopsAtOthers) {
    CryptoStream s;
    // PADDING, PING, ACK (largest 5, delay 0, 1 range, first 0, gap 1, length 0), CRYPTO at
    // 0 of 2 bytes, CONNECTION_CLOSE (code 0, frame type 0, reason "x").
    const Bytes frames =
        hex("0001020500010001000600020102"
            "1c000001"
            "78");
    EXPECT_EQ(tls::quic::read_frames(frames, s), tls::quic::FrameWalk::ok);
    EXPECT_EQ(s.contiguous(), 2u);
    EXPECT_EQ(tls::quic::read_frames(hex("01"
                                         "08"
                                         "00"),
                                     s),
              tls::quic::FrameWalk::stopped);
    EXPECT_EQ(tls::quic::read_frames(hex("0600"
                                         "40ff"
                                         "01"),
                                     s),
              tls::quic::FrameWalk::malformed);
    EXPECT_EQ(tls::quic::read_frames(hex("02"
                                         "05"
                                         "00"
                                         "bfffffffffffffff"),
                                     s),
              tls::quic::FrameWalk::malformed);
    EXPECT_EQ(tls::quic::read_frames(hex("06"
                                         "7fff"
                                         "01"
                                         "00"),
                                     s),
              tls::quic::FrameWalk::overflow);
}

// --- the reader and the classifier -------------------------------------------------------

TEST(QuicHelloReader, ReadsTheClientHelloOfTheSamplePackets) {
    for (const char* packet : {v::kV1ClientPacket, v::kV2ClientPacket}) {
        tls::quic::QuicHelloReader reader;
        void* state = nullptr;
        const Bytes datagram = hex(packet);
        ASSERT_EQ(reader.feed(state, datagram, 0), QuicRead::client_hello);
        ASSERT_NE(state, nullptr);
        const auto body = tls::quic::QuicHelloReader::client_hello(state);
        EXPECT_EQ(body.size(), 0xedu);
        EXPECT_EQ(reader.counts().initials_opened, 1u);
        reader.release(state);
        EXPECT_EQ(reader.bytes_in_use(), 0u);
    }
}

TEST(QuicHelloReader, WhatIsNotAClientInitialTakesNoState) {
    tls::quic::QuicHelloReader reader;
    Bytes broken = hex(v::kV1ClientPacket);
    broken[500] ^= 0x80;
    Bytes gquic = hex(v::kV1ClientPacket);
    gquic[1] = 'Q', gquic[2] = '0', gquic[3] = '5', gquic[4] = '0';
    Bytes short_header = hex(v::kV1ClientPacket);
    short_header[0] = 0x43;
    Bytes version_negotiation = hex("80000000000811223344556677880400000001");
    Bytes retry = hex("f00000000100081122334455667788aabbccddeeff00112233445566778899");
    Bytes truncated = hex(v::kV1ClientPacket);
    truncated.resize(600);
    const Bytes garbage(1200, 0xc3);
    for (const Bytes* d : std::initializer_list<const Bytes*>{
             &broken, &gquic, &short_header, &version_negotiation, &retry, &truncated, &garbage}) {
        void* state = nullptr;
        const QuicRead read = reader.feed(state, *d, 0);
        EXPECT_TRUE(read == QuicRead::not_initial || read == QuicRead::not_quic);
        EXPECT_EQ(state, nullptr);
    }
    EXPECT_EQ(reader.bytes_in_use(), 0u);
}

// A flow's first Initial in a datagram under 1200 bytes is no client's (RFC 9000 14.1): no
// keys are derived for it, unless the reader is told to try.
TEST(QuicHelloReader, AnUndersizedFirstDatagramIsNotOpened) {
    // The sample Initial cut to 1000 bytes, its Length (bytes 16-17) cut to match.
    Bytes undersized = hex(v::kV1ClientPacket);
    ASSERT_EQ(undersized.size(), tls::quic::QuicHelloReader::kMinClientDatagram);
    ASSERT_EQ(undersized[16], 0x44);
    const size_t length = ((undersized[16] & 0x3fu) << 8 | undersized[17]) - 200;
    undersized[16] = static_cast<uint8_t>(0x40 | length >> 8);
    undersized[17] = static_cast<uint8_t>(length);
    undersized.resize(1000);

    tls::quic::QuicHelloReader reader;
    void* state = nullptr;
    EXPECT_EQ(reader.feed(state, undersized, 0), QuicRead::not_initial);
    EXPECT_EQ(state, nullptr);
    EXPECT_EQ(reader.counts().undersized, 1u);
    EXPECT_EQ(reader.counts().key_derivations, 0u);
    // The full-size sample still opens.
    EXPECT_EQ(reader.feed(state, hex(v::kV1ClientPacket), 0), QuicRead::client_hello);
    reader.release(state);

    tls::quic::QuicHelloReader trying(/*open_undersized=*/true);
    EXPECT_EQ(trying.feed(state, undersized, 0), QuicRead::not_initial);
    EXPECT_EQ(trying.counts().undersized, 0u);
    EXPECT_EQ(trying.counts().key_derivations, 1u);
    EXPECT_EQ(trying.counts().open_failures, 1u);
}

TEST(QuicHelloReader, CoalescedPacketsAfterTheInitialAreWalkedByLength) {
    tls::quic::QuicHelloReader reader;
    // The Initial, then a v1 Handshake packet (type 2) of 20 bytes, then zero padding.
    Bytes datagram = hex(v::kV1ClientPacket);
    const Bytes handshake =
        hex("e0000000010011"
            "0011"
            "00000000000000000000000000000000");
    datagram.insert(datagram.end(), handshake.begin(), handshake.end());
    datagram.resize(datagram.size() + 40, 0);
    void* state = nullptr;
    EXPECT_EQ(reader.feed(state, datagram, 0), QuicRead::client_hello);
    reader.release(state);
    // The same with the Handshake packet first: the Initial behind it is still found.
    Bytes reversed = handshake;
    const Bytes initial = hex(v::kV1ClientPacket);
    reversed.insert(reversed.end(), initial.begin(), initial.end());
    EXPECT_EQ(reader.feed(state, reversed, 0), QuicRead::client_hello);
    reader.release(state);
}

class QuicFlowDriver {
public:
    QuicFlowDriver(TlsClassifier& classifier, const RuleSet* rules)
        : classifier_(classifier), rules_(rules) {}
    Progress feed(Direction direction, const Bytes& datagram) {
        PacketView view;
        view.ip_protocol = 17;
        view.direction = direction;
        view.payload = datagram;
        view.stream_flags = stream_flag::unavailable;
        view.flow_packets = ++packets_;
        view.server_address = server_address_;
        view.server_port = 443;
        view.rules = rules_;
        return classifier_.inspect(state_, view, verdict_);
    }
    FlowAnnotations annotate() {
        FlowAnnotations a;
        classifier_.annotate(state_, a);
        return a;
    }
    void* state_ = nullptr;
    Verdict verdict_;

private:
    TlsClassifier& classifier_;
    const RuleSet* rules_;
    uint32_t packets_ = 0;
    uint8_t server_address_[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 10};
};

RuleSet sni_rule(uint16_t app, const char* pattern) {
    AppRule rule;
    rule.app = app;
    RuleCondition condition;
    condition.tests.push_back(test::fact_test("tls", "sni", {pattern}));
    rule.conditions.push_back(condition);
    rule.evidence = {7};
    rule.confidence = {Confidence::high};
    return RuleSet({rule}, 1, "test");
}

TEST(TlsClassifierQuic, AQuicFlowGetsTheFactsAndRecordFieldsOfATcpOne) {
    const RuleSet rules = sni_rule(600, "example.com");
    TlsClassifier classifier(2);
    QuicFlowDriver flow(classifier, &rules);
    ASSERT_EQ(flow.feed(Direction::client_to_server, hex(v::kV1ClientPacket)), Progress::done);
    EXPECT_EQ(flow.verdict_.app, 600);
    EXPECT_EQ(flow.verdict_.tier, ClaimTier::protocol_rule);
    const FlowAnnotations a = flow.annotate();
    EXPECT_EQ(test::record_field(a, "tls", "sni"), "example.com");
    EXPECT_EQ(test::record_field(a, "tls", "alpn"), "alpn");
    const std::string ja4(test::record_field(a, "tls", "ja4"));
    // q, TLS 1.3, SNI, 2 ciphers, 11 extensions, ALPN "alpn" -> "an".
    EXPECT_EQ(ja4.substr(0, 11), "q13d0211an_") << ja4;
    EXPECT_EQ(test::record_field(a, "tls", "ja3").size(), 32u);
    EXPECT_EQ(classifier.state_bytes_in_use(), 0u);
}

TEST(TlsClassifierQuic, UdpThatIsNotQuicIsLeftWithoutState) {
    TlsClassifier classifier(2);
    QuicFlowDriver flow(classifier, nullptr);
    // Not QUIC at all: left at the first packet, so the flow's verdict never waits for us.
    const Bytes dns = hex("123401000001000000000000076578616d706c6503636f6d0000010001");
    EXPECT_EQ(flow.feed(Direction::client_to_server, dns), Progress::done);
    EXPECT_EQ(flow.state_, nullptr);
    // QUIC headers that do not open (a corrupted Initial): a few packets, still no state.
    TlsClassifier other(2);
    QuicFlowDriver quic(other, nullptr);
    Bytes broken = hex(v::kV1ClientPacket);
    broken[700] ^= 1;
    EXPECT_EQ(quic.feed(Direction::client_to_server, broken), Progress::need_more);
    EXPECT_EQ(quic.feed(Direction::server_to_client, broken), Progress::need_more);
    EXPECT_EQ(quic.feed(Direction::client_to_server, broken), Progress::done);
    EXPECT_EQ(quic.state_, nullptr);
    EXPECT_EQ(other.state_bytes_in_use(), 0u);
    EXPECT_EQ(classifier.state_bytes_in_use(), 0u);
}

TEST(TlsClassifierQuic, AFlowThatNeverCompletesItsHelloConcludesWithoutFacts) {
    TlsClassifier classifier(2);
    QuicFlowDriver flow(classifier, nullptr);
    // The sample's ClientHello cut: the CRYPTO frame of the first packet says 0xf1 bytes,
    // here only the first Initial of a longer hello is simulated by a server-side copy that
    // never opens: the flow gets state from the first packet only when it opens.
    const Bytes initial = hex(v::kV1ClientPacket);
    ASSERT_EQ(flow.feed(Direction::client_to_server, initial), Progress::done);
    flow.annotate();
    EXPECT_EQ(classifier.state_bytes_in_use(), 0u);
}

}  // namespace
}  // namespace ottscope
