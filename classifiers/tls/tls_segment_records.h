#pragma once
// TLS record headers read straight from one direction's TCP segments, without reassembly:
// only where each record starts, its content type and its length are needed, so the walker
// keeps the sequence number of the next byte, how much of the current record's body is still
// to come and up to four bytes of a header cut by a segment boundary (a dozen bytes in all).
//
// Segments are taken in arrival order. A retransmission is skipped, a partial one is trimmed
// to its new bytes. A hole (a segment beyond the next expected byte: loss or reordering)
// loses the record boundaries; the walker finds them again only at a segment that starts
// with a plausible record header (TLS stacks usually start a segment with a record), and
// counts the hole, so that the caller knows records may be missing.

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
    [[nodiscard]] uint8_t holes() const noexcept { return holes_; }

    // One segment of the direction: `on_record(type, length)` for every record header that
    // completes in it.
    template <typename OnRecord>
    void feed(uint32_t seq, std::span<const uint8_t> payload, OnRecord&& on_record) noexcept {
        if (payload.empty()) return;
        if (!place(seq, payload)) return;
        size_t at = 0;
        while (at < payload.size()) {
            if (body_left_ > 0) {
                const size_t n =
                    payload.size() - at < body_left_ ? payload.size() - at : size_t{body_left_};
                body_left_ -= static_cast<uint32_t>(n);
                at += n;
                continue;
            }
            header_[header_have_++] = payload[at++];
            if (header_have_ < sizeof(header_)) continue;
            header_have_ = 0;
            if (!plausible_record_header(header_)) {
                synced_ = false;  // not TLS records (any more): wait for a plausible header
                if (holes_ < UINT8_MAX) ++holes_;
                return;
            }
            body_left_ = uint32_t{header_[3]} << 8 | header_[4];
            on_record(header_[0], body_left_);
        }
    }

private:
    // Where the segment stands against the next expected byte; trims `payload` to its new
    // bytes. False: nothing to walk.
    bool place(uint32_t& seq, std::span<const uint8_t>& payload) noexcept;

    uint32_t next_seq_ = 0;
    uint32_t body_left_ = 0;
    uint8_t header_[5] = {};
    uint8_t header_have_ = 0;
    uint8_t holes_ = 0;
    bool synced_ = false;
};

}  // namespace ottscope::tls
