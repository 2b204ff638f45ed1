// The behavioural SIP-over-TLS model fed record sequences shaped like the captures it was
// built from (sipp through stunnel, the keylog corpus, curl and HTTP/2 sessions), and the
// segment record walker fed segments cut, retransmitted and lost.

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "classifiers/sip_over_tls/tls_behaviour_model.h"
#include "classifiers/tls/tls_segment_records.h"

namespace ottscope::tls {
namespace {

constexpr auto C = Direction::client_to_server;
constexpr auto S = Direction::server_to_client;

struct Rec {
    Direction direction;
    uint8_t type;
    uint32_t length;
    uint64_t at_ms;
};

BehaviourModel run(const std::vector<Rec>& records) {
    BehaviourModel model;
    for (const Rec& r : records) model.on_record(r.direction, r.type, r.length, r.at_ms);
    return model;
}

// TLS 1.2 full handshake, then application data.
std::vector<Rec> tls12(std::vector<Rec> app) {
    std::vector<Rec> all = {{C, 22, 235, 0}, {S, 22, 69, 5}, {S, 22, 811, 5}, {S, 22, 300, 5},
                            {S, 22, 4, 5},   {C, 22, 37, 9}, {C, 20, 1, 9},   {C, 22, 40, 9},
                            {S, 20, 1, 17},  {S, 22, 40, 17}};
    all.insert(all.end(), app.begin(), app.end());
    return all;
}

// TLS 1.3: the server's flight and the client's Finished are application-data records, then
// two NewSessionTickets before the client's first request.
std::vector<Rec> tls13(std::vector<Rec> app) {
    std::vector<Rec> all = {{C, 22, 210, 0}, {S, 22, 122, 1},  {S, 20, 1, 1},   {S, 23, 23, 1},
                            {S, 23, 831, 1}, {S, 23, 281, 1},  {S, 23, 69, 1},  {C, 20, 1, 13},
                            {C, 23, 69, 13}, {S, 23, 266, 16}, {S, 23, 266, 16}};
    all.insert(all.end(), app.begin(), app.end());
    return all;
}

TEST(TlsBehaviourModel, SippCallOverTls12IsMedium) {
    // INVITE, 180 and 200, ACK, BYE, 200 (sip-tls12-sni.pcap).
    const BehaviourModel model = run(tls12({{C, 23, 539, 100},
                                            {S, 23, 336, 100},
                                            {S, 23, 495, 101},
                                            {C, 23, 387, 101},
                                            {C, 23, 387, 108},
                                            {S, 23, 328, 108},
                                            {C, 21, 26, 108}}));
    EXPECT_EQ(model.veto(), BehaviourModel::Veto::none);
    EXPECT_TRUE(model.settled());  // the close_notify
    EXPECT_EQ(model.assess(), Confidence::medium);
}

TEST(TlsBehaviourModel, RequestResponseSipOverTls13IsLow) {
    // keylog/sip_call_tls13.pcap: INVITE, INFO, INFO, BYE, each answered.
    const BehaviourModel model = run(tls13({{C, 23, 381, 20},
                                            {S, 23, 250, 20},
                                            {S, 23, 149, 60},
                                            {C, 23, 344, 100},
                                            {S, 23, 136, 100},
                                            {C, 23, 346, 150},
                                            {S, 23, 137, 150},
                                            {C, 23, 344, 200},
                                            {S, 23, 136, 200}}));
    EXPECT_EQ(model.veto(), BehaviourModel::Veto::none);
    EXPECT_EQ(model.assess(), Confidence::low);
}

// The polls of make_tls_negatives.sh: browser-sized requests, small JSON events.
std::vector<Rec> polls(uint64_t hold_ms) {
    std::vector<Rec> app;
    for (uint64_t i = 0; i < 6; ++i) {
        app.push_back({C, 23, 293, 100 + i * (hold_ms + 5)});
        app.push_back({S, 23, 217, 100 + i * (hold_ms + 5) + hold_ms});
    }
    return app;
}

TEST(TlsBehaviourModel, LongPollingHeldAnswersAreNotExchanges) {
    const BehaviourModel held = run(tls12(polls(2500)));
    EXPECT_EQ(held.veto(), BehaviourModel::Veto::none);
    EXPECT_EQ(held.assess(), Confidence::none);
    // The same sizes answered at once are, as SIP's are.
    EXPECT_EQ(run(tls12(polls(3))).assess(), Confidence::low);
}

TEST(TlsBehaviourModel, Tls12ClientCertificateIsMutualTlsNotSip) {
    // Certificate, ClientKeyExchange and CertificateVerify before the ChangeCipherSpec.
    std::vector<Rec> all = {{C, 22, 512, 0}, {S, 22, 93, 1}, {S, 22, 1630, 1}, {S, 22, 300, 1},
                            {S, 22, 52, 1},  {S, 22, 4, 1},  {C, 22, 838, 2},  {C, 22, 37, 2},
                            {C, 22, 264, 2}, {C, 20, 1, 2},  {C, 22, 40, 2},   {S, 20, 1, 3},
                            {S, 22, 40, 3}};
    const std::vector<Rec> app = polls(3);
    all.insert(all.end(), app.begin(), app.end());
    EXPECT_EQ(run(all).veto(), BehaviourModel::Veto::client_certificate);
    EXPECT_EQ(run(all).assess(), Confidence::none);
    // One record, the key exchange alone: the same session without a certificate.
    all.erase(all.begin() + 6);
    all.erase(all.begin() + 7);
    EXPECT_EQ(run(all).veto(), BehaviourModel::Veto::none);
    EXPECT_EQ(run(all).assess(), Confidence::low);
}

TEST(TlsBehaviourModel, Tls13ClientCertificateIsMutualTlsNotSip) {
    // The client's encrypted flight: Certificate, CertificateVerify, Finished. Counting the
    // CertificateVerify as a request and the tickets as its answer once made it SIP-like.
    const std::vector<Rec> all = {
        {C, 22, 512, 0},   {S, 22, 122, 1},   {S, 20, 1, 1},     {S, 23, 23, 1},
        {S, 23, 62, 1},    {S, 23, 1652, 1},  {S, 23, 281, 1},   {S, 23, 69, 1},
        {C, 20, 1, 2},     {C, 23, 858, 2},   {C, 23, 281, 2},   {C, 23, 69, 2},
        {S, 23, 1082, 3},  {S, 23, 1082, 3},  {C, 23, 381, 20},  {S, 23, 250, 20},
        {C, 23, 344, 100}, {S, 23, 136, 100}, {C, 23, 346, 150}, {S, 23, 137, 150}};
    EXPECT_EQ(run(all).veto(), BehaviourModel::Veto::client_certificate);
    EXPECT_EQ(run(all).assess(), Confidence::none);
    // Without the compatibility ChangeCipherSpec the first record is taken for the Finished
    // whatever its length (the benchmark mix's sessions go straight from hello to data).
    std::vector<Rec> bare = {{C, 22, 512, 0},  {S, 22, 800, 1},  {C, 23, 536, 20},
                             {S, 23, 332, 20}, {C, 23, 383, 60}, {S, 23, 324, 60},
                             {C, 23, 383, 90}, {S, 23, 300, 90}};
    EXPECT_EQ(run(bare).veto(), BehaviourModel::Veto::none);
}

TEST(TlsBehaviourModel, RegistrationWithKeepaliveCadenceIsMedium) {
    const BehaviourModel model = run(tls13({{C, 23, 520, 20},
                                            {S, 23, 480, 60},
                                            {C, 23, 680, 80},
                                            {S, 23, 420, 120},
                                            {C, 23, 21, 30'000},
                                            {S, 23, 19, 30'040},
                                            {C, 23, 21, 60'000},
                                            {S, 23, 19, 60'040},
                                            {C, 23, 21, 90'100}}));
    EXPECT_EQ(model.assess(), Confidence::medium);
}

TEST(TlsBehaviourModel, SmallAcknowledgementsAreNotSip) {
    // A backup client over TLS 1.2 (ndpi-4.2/anyconnect-vpn.pcap, Code42): mid-size
    // request/response pairs, but small client messages in between.
    const BehaviourModel model = run(tls12({{C, 23, 439, 19'712},
                                            {S, 23, 406, 19'742},
                                            {C, 23, 306, 19'997},
                                            {S, 23, 110, 20'029},
                                            {C, 23, 720, 20'344},
                                            {S, 23, 2471, 20'423},
                                            {C, 23, 57, 20'428},
                                            {S, 23, 65, 20'456},
                                            {C, 23, 53, 20'814},
                                            {S, 23, 53, 20'843},
                                            {S, 23, 33, 20'869},
                                            {C, 23, 43, 20'878}}));
    EXPECT_EQ(model.veto(), BehaviourModel::Veto::none);
    EXPECT_EQ(model.assess(), Confidence::none);
}

TEST(TlsBehaviourModel, OneExchangeIsNotEnough) {
    const BehaviourModel model = run(tls13({{C, 23, 900, 20}, {S, 23, 700, 60}}));
    EXPECT_EQ(model.assess(), Confidence::none);
}

TEST(TlsBehaviourModel, WebPageIsBulk) {
    // curl over TLS 1.3 would already fail the request size; a browser's request does not.
    const BehaviourModel model =
        run(tls13({{C, 23, 520, 20}, {S, 23, 16401, 30}, {S, 23, 10652, 31}}));
    EXPECT_EQ(model.veto(), BehaviourModel::Veto::bulk);
    EXPECT_EQ(model.assess(), Confidence::none);
}

TEST(TlsBehaviourModel, CurlRequestIsTooSmallForSip) {
    const BehaviourModel model = run(tls13({{C, 23, 107, 20}, {S, 23, 205, 30}}));
    EXPECT_EQ(model.veto(), BehaviourModel::Veto::small_request);
}

TEST(TlsBehaviourModel, Http2SettingsAnswerIsTooSmallForSip) {
    // A browser-sized first flight (preface, SETTINGS, HEADERS in one record); the server
    // answers with its SETTINGS. TLS 1.2, so no session tickets come first.
    const BehaviourModel model = run(tls12({{C, 23, 420, 20}, {S, 23, 60, 30}}));
    EXPECT_EQ(model.veto(), BehaviourModel::Veto::tiny_answer);
}

TEST(TlsBehaviourModel, ServerFirstIsNotSip) {
    const BehaviourModel model = run(tls12({{S, 23, 300, 20}, {C, 23, 400, 30}}));
    EXPECT_EQ(model.veto(), BehaviourModel::Veto::server_first);
}

TEST(TlsBehaviourModel, ManyMssRecordsAreAsymmetric) {
    std::vector<Rec> app = {{C, 23, 450, 20}};
    for (int i = 0; i < 6; ++i) app.push_back({S, 23, 1455, 30});
    const BehaviourModel model = run(tls12(app));
    EXPECT_EQ(model.veto(), BehaviourModel::Veto::asymmetric);
}

TEST(TlsBehaviourModel, HolesCapAtLow) {
    BehaviourModel model = run(tls12({{C, 23, 539, 100},
                                      {S, 23, 336, 100},
                                      {S, 23, 495, 101},
                                      {C, 23, 387, 101},
                                      {C, 23, 387, 108},
                                      {S, 23, 328, 108}}));
    model.on_hole();
    EXPECT_EQ(model.assess(), Confidence::low);
}

TEST(TlsBehaviourModel, SettlesAfterItsRecordBound) {
    std::vector<Rec> app;
    for (int i = 0; i < 20; ++i) app.push_back({i % 2 == 0 ? C : S, 23, 400, uint64_t(i) * 50});
    const BehaviourModel model = run(tls12(app));
    EXPECT_TRUE(model.settled());
    EXPECT_EQ(model.records(), BehaviourModel::kMaxRecords);
    EXPECT_EQ(model.assess(), Confidence::low);
}

// --- the segment walker

struct Seen {
    std::vector<std::pair<uint8_t, uint32_t>> records;
    void operator()(uint8_t type, uint32_t length) { records.emplace_back(type, length); }
};

std::vector<uint8_t> record(uint8_t type, uint16_t length) {
    std::vector<uint8_t> bytes(5 + size_t{length}, 0xAB);
    bytes[0] = type;
    bytes[1] = 3;
    bytes[2] = 3;
    bytes[3] = uint8_t(length >> 8);
    bytes[4] = uint8_t(length);
    return bytes;
}

TEST(SegmentRecordWalker, FollowsRecordsAcrossSegments) {
    std::vector<uint8_t> wire = record(23, 300);
    const std::vector<uint8_t> second = record(23, 40);
    wire.insert(wire.end(), second.begin(), second.end());
    SegmentRecordWalker walker;
    walker.start(1000);
    Seen seen;
    // Cut inside the second header.
    walker.feed(1000, std::span(wire).first(307), std::ref(seen));
    walker.feed(1000, std::span(wire).first(100), std::ref(seen));  // a retransmission
    walker.feed(1307, std::span(wire).subspan(307), std::ref(seen));
    ASSERT_EQ(seen.records.size(), 2u);
    EXPECT_EQ(seen.records[0], std::make_pair(uint8_t{23}, uint32_t{300}));
    EXPECT_EQ(seen.records[1], std::make_pair(uint8_t{23}, uint32_t{40}));
    EXPECT_EQ(walker.holes(), 0);
}

TEST(SegmentRecordWalker, HoleInsideARecordBodyLosesNothing) {
    const std::vector<uint8_t> first = record(23, 2000);
    const std::vector<uint8_t> next = record(23, 500);
    SegmentRecordWalker walker;
    walker.start(0);
    Seen seen;
    walker.feed(0, std::span(first).first(1000), std::ref(seen));
    // Body bytes of the first record are late or lost: only headers are read, so the walk
    // goes on, and the late bytes are a retransmission when they come.
    walker.feed(1500, std::span(first).subspan(1500), std::ref(seen));
    EXPECT_TRUE(walker.synced());
    EXPECT_EQ(walker.feed(1000, std::span(first).subspan(1000, 500), std::ref(seen)), 0u);
    walker.feed(2005, next, std::ref(seen));
    ASSERT_EQ(seen.records.size(), 2u);
    EXPECT_EQ(seen.records[0].second, 2000u);
    EXPECT_EQ(seen.records[1].second, 500u);
    EXPECT_EQ(walker.holes(), 0);
}

TEST(SegmentRecordWalker, HoleOverAHeaderResyncsOnlyAtARecordStart) {
    const std::vector<uint8_t> first = record(23, 1000);
    const std::vector<uint8_t> second = record(23, 300);
    const std::vector<uint8_t> third = record(23, 500);
    SegmentRecordWalker walker;
    walker.start(0);
    Seen seen;
    walker.feed(0, std::span(first).first(900), std::ref(seen));
    // The end of the first record and the second's header are lost; ciphertext of the
    // second record comes (too long to hold), then a record.
    walker.feed(1100, std::span(second).subspan(95), std::ref(seen));
    EXPECT_FALSE(walker.synced());
    walker.feed(1310, third, std::ref(seen));
    EXPECT_TRUE(walker.synced());
    ASSERT_EQ(seen.records.size(), 1u);
    EXPECT_EQ(seen.records[0].second, 500u);
    EXPECT_GE(walker.holes(), 1);
}

TEST(SegmentRecordWalker, RecordsCompleteWithTheirLastByte) {
    std::vector<uint8_t> wire = record(23, 300);
    const std::vector<uint8_t> empty = record(21, 0);
    wire.insert(wire.end(), empty.begin(), empty.end());
    SegmentRecordWalker walker;
    walker.start(0);
    Seen seen;
    walker.feed(0, std::span(wire).first(100), std::ref(seen));
    EXPECT_TRUE(seen.records.empty());  // the header alone does not make the record
    Seen flushed;
    walker.flush(std::ref(flushed));  // the window ends: judged by its header
    ASSERT_EQ(flushed.records.size(), 1u);
    EXPECT_EQ(flushed.records[0].second, 300u);
    walker.feed(100, std::span(wire).subspan(100), std::ref(seen));
    ASSERT_EQ(seen.records.size(), 2u);
    EXPECT_EQ(seen.records[1], std::make_pair(uint8_t{21}, uint32_t{0}));
}

TEST(SegmentRecordWalker, TinySegmentsSwappedAreHeldAndWalkedInOrder) {
    std::vector<uint8_t> wire;
    for (uint16_t length : {3, 40, 7, 250}) {
        const std::vector<uint8_t> r = record(23, length);
        wire.insert(wire.end(), r.begin(), r.end());
    }
    // Every pair of 4-byte segments swapped, headers cut everywhere; each segment sent twice.
    SegmentRecordWalker walker;
    walker.start(0);
    Seen seen;
    uint32_t fresh = 0;
    const auto size = static_cast<uint32_t>(wire.size());
    for (uint32_t at = 0; at < size; at += 8) {
        for (const uint32_t piece : {at + 4, at}) {
            if (piece >= size) continue;
            const auto part = std::span(wire).subspan(piece, std::min<uint32_t>(4, size - piece));
            fresh += walker.feed(piece, part, std::ref(seen));
            EXPECT_EQ(walker.feed(piece, part, std::ref(seen)), 0u);
        }
    }
    ASSERT_EQ(seen.records.size(), 4u);
    EXPECT_EQ(seen.records[0].second, 3u);
    EXPECT_EQ(seen.records[1].second, 40u);
    EXPECT_EQ(seen.records[2].second, 7u);
    EXPECT_EQ(seen.records[3].second, 250u);
    // Late body bytes were not needed: the walk had gone past them, they are not new to it.
    EXPECT_GT(fresh, size / 2);
    EXPECT_LE(fresh, size);
    EXPECT_EQ(walker.holes(), 0);
    EXPECT_FALSE(walker.hole_open());
}

TEST(SegmentRecordWalker, SwappedSegmentsLoseNothing) {
    const std::vector<uint8_t> a = record(23, 300);
    const std::vector<uint8_t> b = record(23, 200);
    const std::vector<uint8_t> c = record(23, 100);
    SegmentRecordWalker walker;
    walker.start(0);
    Seen seen;
    walker.feed(305, b, std::ref(seen));  // b before a
    walker.feed(0, a, std::ref(seen));
    walker.feed(510, c, std::ref(seen));
    ASSERT_EQ(seen.records.size(), 3u);
    EXPECT_EQ(seen.records[0].second, 200u);
    EXPECT_EQ(seen.records[1].second, 300u);
    EXPECT_EQ(seen.records[2].second, 100u);
    EXPECT_EQ(walker.holes(), 0);
    EXPECT_FALSE(walker.hole_open());
}

TEST(SegmentRecordWalker, SequenceWrap) {
    const std::vector<uint8_t> wire = record(23, 100);
    SegmentRecordWalker walker;
    walker.start(0xFFFFFFF0u);
    Seen seen;
    walker.feed(0xFFFFFFF0u, std::span(wire).first(50), std::ref(seen));
    walker.feed(0xFFFFFFF0u + 50, std::span(wire).subspan(50), std::ref(seen));
    walker.feed(0xFFFFFFF0u + 105, record(21, 26), std::ref(seen));
    ASSERT_EQ(seen.records.size(), 2u);
    EXPECT_EQ(walker.holes(), 0);
}

}  // namespace
}  // namespace ottscope::tls
