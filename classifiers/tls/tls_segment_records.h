#pragma once
// TLS record headers read straight from one direction's TCP segments, without reassembly:
// only where each record starts, its content type and its length are needed, so the walker
// keeps the sequence number of the next byte, how much of the current record's body is still
// to come and up to four bytes of a header cut by a segment boundary (a dozen bytes in all).
//
// Segments are taken in arrival order. A retransmission is skipped, a partial one is trimmed
// to its new bytes. A hole (a segment beyond the next expected byte: loss or reordering)
// moves the walk on to that segment if it starts with a plausible record header (TLS stacks
// usually start a segment with a record) and remembers the hole: when its bytes come late
// (two segments swapped), they are walked from where the hole began. A hole that is never
// filled that way, or bytes that are not TLS, are counted, so that the caller knows records
// may be missing.

#include <cstdint>
#include <span>

namespace ottscope::tls {

// True when the five bytes could be a TLS record header (types 20-24, SSL 3.0 to TLS 1.3
// record versions, a length within the TLSCiphertext limit).
bool plausible_record_header(std::span<const uint8_t> bytes) noexcept;

class SegmentRecordWalker {
public:
    // The segment starting at `seq` begins a record (the direction's first payload byte).
    void start(uint32_t seq) noexcept {
        next_seq_ = seq;
        body_left_ = 0;
        header_have_ = 0;
        synced_ = true;
    }
    [[nodiscard]] bool synced() const noexcept { return synced_; }
    // Times record boundaries were lost (holes not filled in time, bytes that are not TLS).
    [[nodiscard]] uint8_t holes() const noexcept { return lost_; }
    // A hole is still waiting for its late bytes.
    [[nodiscard]] bool hole_open() const noexcept { return hole_open_; }

    // One segment of the direction: `on_record(type, length)` for every record header that
    // completes in it.
    template <typename OnRecord>
    void feed(uint32_t seq, std::span<const uint8_t> payload, OnRecord&& on_record) noexcept {
        if (payload.empty()) return;
        if (fills_hole(seq, payload.size())) {
            // The late segment of a swapped pair: walk it from where the hole began.
            uint8_t header[5];
            uint8_t have = 0;
            uint32_t body_left = hole_body_left_;
            const bool fine = walk(payload, body_left, header, have, on_record) && have == 0;
            hole_seq_ += static_cast<uint32_t>(payload.size());
            hole_body_left_ = body_left;
            if (!fine || (hole_seq_ == hole_end_ && body_left != 0)) {
                hole_open_ = false;
                note_lost();
            } else if (hole_seq_ == hole_end_) {
                hole_open_ = false;  // filled, and it ends where the walk resumed: nothing lost
            }
            return;
        }
        if (!place(seq, payload)) return;
        if (!walk(payload, body_left_, header_, header_have_, on_record)) {
            synced_ = false;  // not TLS records (any more): wait for a plausible header
            note_lost();
        }
    }

private:
    template <typename OnRecord>
    static bool walk(std::span<const uint8_t> payload, uint32_t& body_left, uint8_t (&header)[5],
                     uint8_t& have, OnRecord& on_record) noexcept {
        size_t at = 0;
        while (at < payload.size()) {
            if (body_left > 0) {
                const size_t n =
                    payload.size() - at < body_left ? payload.size() - at : size_t{body_left};
                body_left -= static_cast<uint32_t>(n);
                at += n;
                continue;
            }
            header[have++] = payload[at++];
            if (have < sizeof(header)) continue;
            have = 0;
            if (!plausible_record_header(header)) return false;
            body_left = uint32_t{header[3]} << 8 | header[4];
            on_record(header[0], body_left);
        }
        return true;
    }
    [[nodiscard]] bool fills_hole(uint32_t seq, size_t size) const noexcept {
        return hole_open_ && seq == hole_seq_ && size <= hole_end_ - hole_seq_;
    }
    void note_lost() noexcept {
        if (lost_ < UINT8_MAX) ++lost_;
    }
    // Where the segment stands against the next expected byte; trims `payload` to its new
    // bytes. False: nothing to walk.
    bool place(uint32_t& seq, std::span<const uint8_t>& payload) noexcept;

    uint32_t next_seq_ = 0;
    uint32_t body_left_ = 0;
    // One hole the walker jumped over, to walk when its bytes come late (reordering).
    uint32_t hole_seq_ = 0;
    uint32_t hole_end_ = 0;
    uint32_t hole_body_left_ = 0;
    uint8_t header_[5] = {};
    uint8_t header_have_ = 0;
    uint8_t lost_ = 0;
    bool synced_ = false;
    bool hole_open_ = false;
};

}  // namespace ottscope::tls
