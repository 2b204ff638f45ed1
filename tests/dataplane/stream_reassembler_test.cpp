// TCP stream reassembly, fed segment by segment: in order, reordered, duplicated, overlapping
// with other content, across the sequence wrap, without a SYN, past the bound, with a gap
// that never fills, and the real TLS/HTTP flows of our demo capture in shuffled order.

#include "dataplane/stream_reassembler.h"

#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/packet_decoder.h"

namespace ottscope {
namespace {

constexpr uint8_t kAck = tcp_flag::ack;
constexpr uint8_t kSyn = tcp_flag::syn;
constexpr uint8_t kClient = 0;
constexpr uint8_t kServer = 1;

std::span<const uint8_t> bytes_of(std::string_view text) {
    return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

std::string text_of(std::span<const uint8_t> bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

class Stream {
public:
    explicit Stream(uint32_t depth = 64, uint32_t max_flows = 4)
        : reassembler_({depth, max_flows, false}, counters_) {}
    ~Stream() { reassembler_.release(slot_); }
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;

    StreamDelivery syn(uint8_t direction, uint32_t isn) {
        return reassembler_.feed(slot_, direction, isn, kSyn, {});
    }
    StreamDelivery send(uint8_t direction, uint32_t seq, std::string_view data,
                        uint8_t flags = kAck) {
        last_ = reassembler_.feed(slot_, direction, seq, flags, bytes_of(data));
        return last_;
    }
    [[nodiscard]] std::string text(uint8_t direction = kClient) const {
        return text_of(reassembler_.current(slot_, direction).stream);
    }
    [[nodiscard]] uint8_t flags(uint8_t direction = kClient) const {
        return reassembler_.current(slot_, direction).flags;
    }
    [[nodiscard]] std::string new_bytes() const {
        return text_of(last_.stream.subspan(last_.new_offset));
    }
    [[nodiscard]] uint64_t events(StreamEvent event) const {
        return counters_.events[static_cast<size_t>(event)].read();
    }
    StreamCounters& counters() { return counters_; }
    StreamReassembler& reassembler() { return reassembler_; }
    StreamSlot& slot() { return slot_; }

private:
    StreamCounters counters_;
    StreamReassembler reassembler_;
    StreamSlot slot_;
    StreamDelivery last_;
};

TEST(StreamReassembler, InOrderSegmentsAfterSyn) {
    Stream s;
    s.syn(kClient, 1000);
    s.send(kClient, 1001, "hello ");
    EXPECT_EQ(s.new_bytes(), "hello ");
    const StreamDelivery second = s.send(kClient, 1007, "world");
    EXPECT_EQ(text_of(second.stream), "hello world");
    EXPECT_EQ(second.new_offset, 6u);
    EXPECT_EQ(s.new_bytes(), "world");
    EXPECT_EQ(second.flags, 0);
    EXPECT_EQ(s.events(StreamEvent::in_order), 2u);
    EXPECT_EQ(s.counters().delivered_bytes.read(), 11u);
    EXPECT_EQ(s.text(kServer), "");
}

TEST(StreamReassembler, DirectionsAreIndependent) {
    Stream s;
    s.syn(kClient, 10);
    s.syn(kServer, 5000);
    s.send(kClient, 11, "GET / HTTP/1.1\r\n");
    s.send(kServer, 5001, "HTTP/1.1 200 OK\r\n");
    EXPECT_EQ(s.text(kClient), "GET / HTTP/1.1\r\n");
    EXPECT_EQ(s.text(kServer), "HTTP/1.1 200 OK\r\n");
}

TEST(StreamReassembler, ReorderedSegmentsWaitBeyondTheGap) {
    Stream s;
    s.syn(kClient, 1000);
    s.send(kClient, 1012, "!");
    s.send(kClient, 1007, "world");
    EXPECT_EQ(s.text(), "");
    EXPECT_EQ(s.new_bytes(), "");
    EXPECT_NE(s.flags() & stream_flag::gap, 0);
    const StreamDelivery filled = s.send(kClient, 1001, "hello ");
    EXPECT_EQ(text_of(filled.stream), "hello world!");
    EXPECT_EQ(filled.new_offset, 0u);
    EXPECT_EQ(filled.flags & stream_flag::gap, 0);
    EXPECT_EQ(s.events(StreamEvent::out_of_order), 2u);
    EXPECT_EQ(s.events(StreamEvent::in_order), 1u);
}

TEST(StreamReassembler, DuplicatedSegmentIsARetransmission) {
    Stream s;
    s.syn(kClient, 1000);
    s.send(kClient, 1001, "hello ");
    s.send(kClient, 1007, "world");
    s.send(kClient, 1001, "hello ");
    EXPECT_EQ(s.new_bytes(), "");
    s.send(kClient, 1003, "llo wo");  // a repacketised retransmission: identical bytes
    EXPECT_EQ(s.text(), "hello world");
    EXPECT_EQ(s.events(StreamEvent::retransmitted), 2u);
    EXPECT_EQ(s.events(StreamEvent::overlap_conflict), 0u);
}

TEST(StreamReassembler, DuplicatedOutOfOrderSegmentIsARetransmission) {
    Stream s;
    s.syn(kClient, 1000);
    s.send(kClient, 1007, "world");
    s.send(kClient, 1007, "world");
    EXPECT_EQ(s.events(StreamEvent::retransmitted), 1u);
    s.send(kClient, 1001, "hello ");
    EXPECT_EQ(s.text(), "hello world");
}

TEST(StreamReassembler, OverlapWithOtherContentKeepsTheFirstSeen) {
    Stream s;
    s.syn(kClient, 1000);
    s.send(kClient, 1001, "hello world");
    // Rewrites "world" and adds "!!": the rewrite is refused, the new tail kept.
    s.send(kClient, 1007, "WORLD!!");
    EXPECT_EQ(s.text(), "hello world!!");
    EXPECT_EQ(s.new_bytes(), "!!");
    EXPECT_EQ(s.events(StreamEvent::overlap_conflict), 1u);
}

TEST(StreamReassembler, OverlapWithHeldOutOfOrderBytesKeepsTheFirstSeen) {
    Stream s;
    s.syn(kClient, 1000);
    s.send(kClient, 1007, "world");
    s.send(kClient, 1001, "hello WORLD");
    EXPECT_EQ(s.text(), "hello world");
    EXPECT_EQ(s.events(StreamEvent::overlap_conflict), 1u);
    // A segment spanning two held ranges and the hole between them.
    Stream t;
    t.syn(kClient, 0);
    t.send(kClient, 3, "cd");
    t.send(kClient, 7, "gh");
    t.send(kClient, 2, "bcdefghi");
    t.send(kClient, 1, "a");
    EXPECT_EQ(t.text(), "abcdefghi");
    EXPECT_EQ(t.events(StreamEvent::overlap_conflict), 0u);
}

TEST(StreamReassembler, SequenceWraparound) {
    Stream s;
    s.syn(kClient, 0xfffffff8u);
    s.send(kClient, 0x00000001u, "ijkl");  // after the wrap, first: held
    s.send(kClient, 0xfffffff9u, "abcdefgh");
    EXPECT_EQ(s.text(), "abcdefghijkl");
    EXPECT_EQ(s.events(StreamEvent::before_start), 0u);
    EXPECT_EQ(s.events(StreamEvent::out_of_order), 1u);
}

TEST(StreamReassembler, MissingSynStartsAtTheFirstDataSeen) {
    Stream s;
    s.send(kServer, 5000, "GET /");
    EXPECT_EQ(s.text(kServer), "GET /");
    EXPECT_NE(s.flags(kServer) & stream_flag::midstream, 0);
    s.send(kServer, 4990, "0123456789");  // wholly before the start
    EXPECT_EQ(s.events(StreamEvent::before_start), 1u);
    s.send(kServer, 4995, "56789GET /a");  // straddles it: the part from the start counts
    EXPECT_EQ(s.text(kServer), "GET /a");
    EXPECT_EQ(s.events(StreamEvent::overlap_conflict), 0u);
}

TEST(StreamReassembler, DataOnSynStartsAtIsnPlusOne) {
    Stream s;
    s.send(kClient, 700, "fast", kSyn);
    s.send(kClient, 705, " open");
    EXPECT_EQ(s.text(), "fast open");
    EXPECT_EQ(s.flags() & stream_flag::midstream, 0);
}

TEST(StreamReassembler, BoundReached) {
    Stream s(16);
    s.syn(kClient, 0);
    s.send(kClient, 1, "0123456789abcdefXYZ");
    EXPECT_EQ(s.text(), "0123456789abcdef");
    EXPECT_NE(s.flags() & stream_flag::truncated, 0);
    s.send(kClient, 20, "more");
    EXPECT_EQ(s.text(), "0123456789abcdef");
    EXPECT_EQ(s.events(StreamEvent::truncated), 1u);  // once per direction
    EXPECT_EQ(s.counters().delivered_bytes.read(), 16u);
}

TEST(StreamReassembler, OutOfOrderBytesBeyondTheBoundAreDropped) {
    Stream s(16);
    s.syn(kClient, 0);
    s.send(kClient, 11, "abcdefXYZ");  // offsets 10..18: the tail is past the bound
    s.send(kClient, 1, "0123456789");
    EXPECT_EQ(s.text(), "0123456789abcdef");
    EXPECT_EQ(s.events(StreamEvent::truncated), 1u);
}

TEST(StreamReassembler, GapNeverFilled) {
    Stream s;
    s.syn(kClient, 1000);
    s.send(kClient, 1001, "abc");
    s.send(kClient, 1010, "xyz");
    s.send(kClient, 1013, "", tcp_flag::fin | kAck);
    EXPECT_EQ(s.text(), "abc");
    EXPECT_EQ(s.flags(), stream_flag::gap | stream_flag::fin);
}

TEST(StreamReassembler, ResetIsFlaggedOnBothDirections) {
    Stream s;
    s.send(kClient, 1, "abc");
    s.send(kServer, 9, "", tcp_flag::rst);
    EXPECT_NE(s.flags(kClient) & stream_flag::rst, 0);
    EXPECT_NE(s.flags(kServer) & stream_flag::rst, 0);
}

TEST(StreamReassembler, TooManyHeldRangesDropsTheSegmentAndCountsIt) {
    Stream s(256);
    s.syn(kClient, 0);
    for (uint32_t i = 0; i < StreamReassembler::kMaxHeldRanges + 1; ++i)
        s.send(kClient, 3 + i * 4, "xy");  // offsets 2, 6, 10...: each its own range
    EXPECT_EQ(s.events(StreamEvent::held_ranges_full), 1u);
    // Filling holes merges ranges; the prefix then grows over all that was held.
    std::string expected = "..";
    for (uint32_t i = 0; i < StreamReassembler::kMaxHeldRanges; ++i) {
        s.send(kClient, 1 + i * 4, "..");
        expected += i + 1 < StreamReassembler::kMaxHeldRanges ? "xy.." : "xy";
    }
    EXPECT_EQ(s.text(), expected);
    EXPECT_EQ(s.flags() & stream_flag::gap, 0);
}

TEST(StreamReassembler, SynOnlyFlowsTakeNoBuffer) {
    Stream s;
    s.syn(kClient, 1);
    s.syn(kServer, 2);
    s.send(kClient, 2, "", kAck);
    EXPECT_EQ(s.reassembler().buffers_in_use(), 0u);
    s.send(kClient, 2, "x");
    EXPECT_EQ(s.reassembler().buffers_in_use(), 1u);
    EXPECT_EQ(s.counters().buffers_in_use.read(), 1u);
}

TEST(StreamReassembler, PoolExhaustedIsCountedAndTheFlowSkipped) {
    StreamCounters counters;
    StreamReassembler reassembler({64, 1, false}, counters);
    StreamSlot first;
    StreamSlot second;
    reassembler.feed(first, kClient, 1, kAck, bytes_of("a"));
    const StreamDelivery skipped = reassembler.feed(second, kClient, 1, kAck, bytes_of("b"));
    EXPECT_TRUE(skipped.stream.empty());
    EXPECT_EQ(skipped.flags, stream_flag::unavailable);
    EXPECT_EQ(counters.events[static_cast<size_t>(StreamEvent::pool_exhausted)].read(), 1u);
    reassembler.release(first);
    // The skipped flow stays skipped (it missed bytes); a new flow gets the free buffer.
    EXPECT_EQ(reassembler.feed(second, kClient, 2, kAck, bytes_of("c")).flags,
              stream_flag::unavailable);
    StreamSlot third;
    EXPECT_EQ(text_of(reassembler.feed(third, kClient, 1, kAck, bytes_of("d")).stream), "d");
    reassembler.release(third);
    EXPECT_EQ(reassembler.buffers_in_use(), 0u);
}

TEST(StreamReassembler, ReleasedFlowIsNotReassembledAgain) {
    Stream s;
    s.send(kClient, 1, "abc");
    s.reassembler().release(s.slot());
    EXPECT_TRUE(s.send(kClient, 4, "def").stream.empty());
    EXPECT_EQ(s.reassembler().buffers_in_use(), 0u);
}

// Random re-segmentation, reordering and duplication of a known byte stream, overlaps
// included (with identical bytes): the prefix must come out as the original, and the bytes
// announced as new, packet by packet, must add up to it.
TEST(StreamReassembler, ShuffledOverlappingResegmentationGivesTheOriginal) {
    for (uint32_t seed = 1; seed <= 200; ++seed) {
        std::mt19937 rng(seed);
        std::string original(1 + rng() % 3000, '\0');
        for (char& c : original) c = static_cast<char>('a' + rng() % 26);
        const uint32_t isn = static_cast<uint32_t>(rng());
        struct Piece {
            uint32_t offset;
            uint32_t length;
        };
        std::vector<Piece> pieces;
        for (uint32_t at = 0; at < original.size();) {
            const uint32_t length =
                std::min<uint32_t>(1 + rng() % 200, static_cast<uint32_t>(original.size()) - at);
            pieces.push_back({at, length});
            // Sometimes an overlapping piece reaching back into the previous one.
            if (at > 0 && rng() % 3 == 0) {
                const uint32_t back = std::min<uint32_t>(at, 1 + rng() % 50);
                pieces.push_back({at - back, back + length});
            }
            if (rng() % 5 == 0) pieces.push_back(pieces.back());  // retransmission
            at += length;
        }
        // Local shuffles only: more held ranges than the list keeps would drop segments
        // (counted), which the next test covers; here everything must be delivered.
        for (size_t i = 0; i + 1 < pieces.size(); ++i)
            if (rng() % 3 == 0) std::swap(pieces[i], pieces[i + 1]);

        Stream s(4096);
        s.syn(kClient, isn);
        std::string announced;
        for (const Piece& piece : pieces) {
            s.send(kClient, isn + 1 + piece.offset,
                   std::string_view(original).substr(piece.offset, piece.length));
            announced += s.new_bytes();
        }
        ASSERT_EQ(s.text(), original) << "seed " << seed;
        ASSERT_EQ(announced, original) << "seed " << seed;
        ASSERT_EQ(s.events(StreamEvent::overlap_conflict), 0u) << "seed " << seed;
        ASSERT_EQ(s.events(StreamEvent::held_ranges_full), 0u) << "seed " << seed;
    }
}

// Hostile input: random offsets (some before the start, some past the bound), random
// lengths and contents that disagree with each other. Compared with a byte-per-byte model of
// the policy (first seen wins; a segment refused for want of a held range leaves no trace).
TEST(StreamReassembler, RandomConflictingSegmentsFollowTheFirstSeenModel) {
    constexpr uint32_t kDepth = 512;
    for (uint32_t seed = 1; seed <= 300; ++seed) {
        std::mt19937 rng(seed);
        Stream s(kDepth);
        const uint32_t isn = static_cast<uint32_t>(rng());
        s.syn(kClient, isn);
        std::vector<int> model(kDepth, -1);  // byte value, or -1 while unseen
        for (int i = 0; i < 60; ++i) {
            const int32_t offset = static_cast<int32_t>(rng() % 700) - 50;
            const uint32_t length = rng() % 120;
            std::string data(length, '\0');
            for (char& c : data) c = static_cast<char>('a' + rng() % 3);
            const uint64_t refused_before = s.events(StreamEvent::held_ranges_full);
            s.send(kClient, isn + 1 + static_cast<uint32_t>(offset), data);
            if (s.events(StreamEvent::held_ranges_full) != refused_before) continue;
            for (uint32_t k = 0; k < length; ++k) {
                const int64_t at = int64_t{offset} + k;
                if (at >= 0 && at < kDepth && model[at] < 0)
                    model[at] = static_cast<unsigned char>(data[k]);
            }
        }
        std::string expected;
        for (int byte : model) {
            if (byte < 0) break;
            expected += static_cast<char>(byte);
        }
        const std::string text = s.text();
        ASSERT_EQ(text, expected) << "seed " << seed;
        const bool holes_after = std::any_of(model.begin() + static_cast<long>(text.size()),
                                             model.end(), [](int b) { return b >= 0; });
        ASSERT_EQ((s.flags() & stream_flag::gap) != 0, holes_after) << "seed " << seed;
    }
}

// --- The real flows of the demo capture (written by our synthesizer: real TLS handshakes
// through OpenSSL, HTTP, SIP over TCP) ---

struct Segment {
    uint32_t seq;
    uint8_t flags;
    std::string payload;
};

struct DemoFlow {
    std::array<std::vector<Segment>, 2> segments;  // in capture order, per direction
    std::array<std::string, 2> original;           // payloads concatenated in capture order
};

std::string demo_capture_path() {
    const char* root = std::getenv("OTTSCOPE_SOURCE_ROOT");
    return std::string(root != nullptr ? root : ".") + "/config/demo/tume-demo.pcap";
}

std::map<std::string, DemoFlow> demo_tcp_flows() {
    std::map<std::string, DemoFlow> flows;
    std::array<char, PCAP_ERRBUF_SIZE> error{};
    pcap_t* pcap = pcap_open_offline(demo_capture_path().c_str(), error.data());
    if (pcap == nullptr) return flows;
    pcap_pkthdr* header = nullptr;
    const u_char* frame = nullptr;
    while (pcap_next_ex(pcap, &header, &frame) == 1) {
        DecodedPacket packet;
        if (decode_packet(LinkType::ethernet, {frame, header->caplen}, packet).status !=
                DecodeStatus::ok ||
            packet.ip_protocol != 6)
            continue;
        FlowKey key;
        const bool source_is_lower =
            make_flow_key(packet.source, packet.destination, packet.ip_protocol, packet.ip_version,
                          packet.vlan, 0, key);
        const std::string id(reinterpret_cast<const char*>(&key), sizeof(key));
        DemoFlow& flow = flows[id];
        const uint8_t direction = source_is_lower ? 0 : 1;
        std::string payload(reinterpret_cast<const char*>(packet.payload), packet.payload_length);
        flow.original[direction] += payload;
        flow.segments[direction].push_back({packet.tcp_seq, packet.tcp_flags, payload});
    }
    pcap_close(pcap);
    return flows;
}

TEST(StreamReassemblerOnDemoFlows, ShuffledSegmentsGiveTheOriginalStreams) {
    const auto flows = demo_tcp_flows();
    ASSERT_GE(flows.size(), 4u) << "cannot read " << demo_capture_path();
    bool saw_tls_sni = false;
    bool saw_certificate = false;
    bool saw_http = false;
    std::mt19937 rng(7);
    for (const auto& [id, flow] : flows) {
        for (uint8_t direction : {kClient, kServer}) {
            // SYN first, then the data segments in a shuffled order, some twice.
            std::vector<Segment> order = flow.segments[direction];
            std::vector<Segment> syns;
            std::vector<Segment> data;
            for (const Segment& segment : order)
                ((segment.flags & kSyn) != 0 ? syns : data).push_back(segment);
            std::shuffle(data.begin(), data.end(), rng);
            if (!data.empty()) data.push_back(data.front());
            Stream s(16384);
            for (const Segment& segment : syns)
                s.send(direction, segment.seq, segment.payload, segment.flags);
            for (const Segment& segment : data)
                s.send(direction, segment.seq, segment.payload, segment.flags);
            const std::string text = s.text(direction);
            ASSERT_EQ(text, flow.original[direction].substr(0, 16384));
            EXPECT_EQ(s.events(StreamEvent::overlap_conflict), 0u);
            // A TLS handshake record (0x16) holding a ClientHello (1) or ServerHello (2).
            const bool tls = text.size() > 5 && text[0] == 0x16;
            const bool jajah = text.find("jajah.com") != std::string::npos;
            if (tls && text[5] == 1 && jajah) saw_tls_sni = true;
            if (tls && text[5] == 2 && jajah) saw_certificate = true;
            if (text.rfind("GET ", 0) == 0 || text.rfind("POST ", 0) == 0) saw_http = true;
        }
    }
    EXPECT_TRUE(saw_tls_sni) << "no ClientHello naming jajah.com reassembled";
    EXPECT_TRUE(saw_certificate) << "no ServerHello/Certificate naming jajah.com reassembled";
    EXPECT_TRUE(saw_http) << "no HTTP request head reassembled";
}

}  // namespace
}  // namespace ottscope
