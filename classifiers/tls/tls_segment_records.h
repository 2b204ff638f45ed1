#pragma once
// The TLS record layer of one direction's TCP stream, rebuilt from its segments without a
// stream buffer: only where each record starts, its content type and its length are needed,
// so the walker keeps the sequence number of the next byte, the record being walked (type,
// length, body still to come), up to four bytes of a header cut by a segment boundary, and
// one small out-of-order range of at most kHeldBytes (about a hundred bytes in all).
//
// A record is reported when its last byte is walked (`on_record(type, length)`), so its time
// is that of the packet that completes it, whatever the segments: cutting the stream into
// tiny segments, fragmenting its datagrams, reordering or repeating segments changes neither
// the records nor the packet each one completes in.
//
// Segments are taken in arrival order and placed by sequence number:
// - a retransmission is skipped, a partial one is trimmed to its new bytes;
// - bytes missing inside the body of the record being walked are not needed (only headers
//   are read): a segment beyond such a hole is walked at once and the late bytes are a
//   retransmission when they come;
// - a small segment beyond a hole that hides a header waits in the held range and is walked
//   when the hole fills (tiny segments swapped);
// - a larger one moves the walk on to that segment if it starts with a plausible record
//   header (TLS stacks usually start a segment with a record) and remembers the hole: when
//   its bytes come late (two segments swapped), they are walked from where the hole began.
//   Records beyond that hole are reported as their segment comes (a reordering that crosses
//   the other direction's answers keeps the times the records were sent at). A hole that is
//   never filled that way, or bytes that are not TLS, are counted, so that the caller knows
//   records may be missing.

#include <cstdint>
#include <cstring>
#include <span>

namespace ottscope::tls {

// True when the five bytes could be a TLS record header (types 20-24, SSL 3.0 to TLS 1.3
// record versions, a length within the TLSCiphertext limit).
bool plausible_record_header(std::span<const uint8_t> bytes) noexcept;

class SegmentRecordWalker {
public:
    // Out-of-order bytes kept while a hole hides a record header: enough for a few tiny
    // segments; larger segments beyond a hole resynchronise on a record start instead.
    static constexpr uint32_t kHeldBytes = 64;

    // The segment starting at `seq` begins a record (the direction's first payload byte).
    void start(uint32_t seq) noexcept {
        next_seq_ = seq;
        walk_ = Walk{};
        held_length_ = 0;
        synced_ = true;
    }
    [[nodiscard]] bool synced() const noexcept { return synced_; }
    // Times record boundaries were lost (holes not filled in time, bytes that are not TLS).
    [[nodiscard]] uint8_t holes() const noexcept { return lost_; }
    // A hole is still waiting for its late bytes.
    [[nodiscard]] bool hole_open() const noexcept { return hole_open_ || held_length_ != 0; }

    // One segment of the direction: `on_record(type, length)` for every record that completes
    // with it. Returns how many of its bytes were new to the walk (0: a retransmission, or
    // bytes it cannot place).
    template <typename OnRecord>
    uint32_t feed(uint32_t seq, std::span<const uint8_t> payload, OnRecord&& on_record) noexcept {
        if (payload.empty()) return 0;
        if (fills_hole(seq, payload.size())) {
            // The late segment of a swapped pair: walk it from where the hole began.
            const bool fine = walk(payload, hole_walk_, on_record) && hole_walk_.have == 0;
            hole_seq_ += static_cast<uint32_t>(payload.size());
            if (!fine || (hole_seq_ == hole_end_ && hole_walk_.body_left != 0)) {
                hole_open_ = false;
                note_lost();
            } else if (hole_seq_ == hole_end_) {
                hole_open_ = false;  // filled, and it ends where the walk resumed: nothing lost
            }
            return static_cast<uint32_t>(payload.size());
        }
        const uint32_t fresh = walk_segment(seq, payload, on_record);
        // The hole before the held bytes may be filled, or lie inside a record body now.
        while (held_length_ != 0 && synced_) {
            const auto ahead = static_cast<int32_t>(held_seq_ - next_seq_);
            if (ahead > 0 && !(walk_.have == 0 && walk_.body_left >= uint32_t(ahead))) break;
            uint8_t held[kHeldBytes];
            const uint32_t length = held_length_;
            std::memcpy(held, held_, length);
            held_length_ = 0;
            (void)walk_segment(held_seq_, std::span<const uint8_t>(held, length), on_record);
        }
        return fresh;
    }

    // The record still arriving when the walk ends: `on_record(type, length)` as if complete,
    // so that a record too large for the window is judged by its header.
    template <typename OnRecord>
    void flush(OnRecord&& on_record) const noexcept {
        if (synced_ && walk_.body_left != 0) on_record(walk_.type, walk_.length);
    }

private:
    struct Walk {
        uint32_t body_left = 0;
        uint16_t length = 0;  // of the record whose body is walked
        uint8_t type = 0;
        uint8_t have = 0;  // header bytes gathered
        uint8_t header[5] = {};
    };

    template <typename OnRecord>
    static bool walk(std::span<const uint8_t> payload, Walk& w, OnRecord& on_record) noexcept {
        size_t at = 0;
        while (at < payload.size()) {
            if (w.body_left > 0) {
                const size_t n =
                    payload.size() - at < w.body_left ? payload.size() - at : size_t{w.body_left};
                w.body_left -= static_cast<uint32_t>(n);
                at += n;
                if (w.body_left == 0) on_record(w.type, uint32_t{w.length});
                continue;
            }
            w.header[w.have++] = payload[at++];
            if (w.have < sizeof(w.header)) continue;
            w.have = 0;
            if (!plausible_record_header(w.header)) return false;
            w.type = w.header[0];
            w.length = static_cast<uint16_t>(w.header[3] << 8 | w.header[4]);
            w.body_left = w.length;
            if (w.length == 0) on_record(w.type, 0u);
        }
        return true;
    }
    template <typename OnRecord>
    uint32_t walk_segment(uint32_t seq, std::span<const uint8_t> payload,
                          OnRecord& on_record) noexcept {
        const auto ahead = static_cast<int32_t>(seq - next_seq_);
        if (synced_ && ahead > 0 && walk_.have == 0 && walk_.body_left >= uint32_t(ahead)) {
            // Only body bytes are missing: nothing to read in them.
            walk_.body_left -= static_cast<uint32_t>(ahead);
            next_seq_ = seq;
            if (walk_.body_left == 0) on_record(walk_.type, uint32_t{walk_.length});
        }
        const uint8_t held_before = held_length_;
        if (!place(seq, payload)) {
            return held_length_ > held_before ? static_cast<uint32_t>(held_length_ - held_before)
                                              : 0;
        }
        if (!walk(payload, walk_, on_record)) {
            synced_ = false;  // not TLS records (any more): wait for a plausible header
            held_length_ = 0;
            note_lost();
        }
        return static_cast<uint32_t>(payload.size());
    }
    [[nodiscard]] bool fills_hole(uint32_t seq, size_t size) const noexcept {
        return hole_open_ && seq == hole_seq_ && size <= hole_end_ - hole_seq_;
    }
    void note_lost() noexcept {
        if (lost_ < UINT8_MAX) ++lost_;
    }
    // Where the segment stands against the next expected byte; trims `payload` to its new
    // bytes, or holds it beyond a hole. False: nothing to walk now.
    bool place(uint32_t& seq, std::span<const uint8_t>& payload) noexcept;
    bool hold(uint32_t seq, std::span<const uint8_t> payload) noexcept;

    uint32_t next_seq_ = 0;
    Walk walk_;
    // One hole the walker jumped over, to walk when its bytes come late (reordering).
    uint32_t hole_seq_ = 0;
    uint32_t hole_end_ = 0;
    Walk hole_walk_;
    // Small out-of-order bytes beyond a hole that hides a header.
    uint32_t held_seq_ = 0;
    uint8_t held_length_ = 0;
    uint8_t lost_ = 0;
    bool synced_ = false;
    bool hole_open_ = false;
    uint8_t held_[kHeldBytes] = {};
};

}  // namespace ottscope::tls
