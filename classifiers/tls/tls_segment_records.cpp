#include "tls_segment_records.h"

#include "tls_records.h"

namespace ottscope::tls {

bool plausible_record_header(std::span<const uint8_t> bytes) noexcept {
    if (bytes.size() < 5) return false;
    const uint32_t length = uint32_t{bytes[3]} << 8 | bytes[4];
    return bytes[0] >= content::change_cipher_spec && bytes[0] <= 24 && bytes[1] == 3 &&
           bytes[2] <= 4 && length <= kMaxRecordLength;
}

bool SegmentRecordWalker::hold(uint32_t seq, std::span<const uint8_t> payload) noexcept {
    if (held_length_ == 0) {
        if (payload.size() > kHeldBytes) return false;
        held_seq_ = seq;
    } else {
        // Only a run of bytes right after the held ones (tiny segments in a row).
        const auto after = static_cast<int32_t>(seq - (held_seq_ + held_length_));
        if (after > 0 || static_cast<int32_t>(seq - held_seq_) < 0) return false;
        const auto overlap = static_cast<uint32_t>(-after);
        if (overlap >= payload.size()) return true;  // nothing new
        payload = payload.subspan(overlap);
        if (held_length_ + payload.size() > kHeldBytes) return false;
    }
    std::memcpy(held_ + held_length_, payload.data(), payload.size());
    held_length_ = static_cast<uint8_t>(held_length_ + payload.size());
    return true;
}

bool SegmentRecordWalker::place(uint32_t& seq, std::span<const uint8_t>& payload) noexcept {
    const auto resync = [&] {
        if (!plausible_record_header(payload)) return false;
        start(seq);
        return true;
    };
    if (!synced_) {
        if (!resync()) return false;
    } else {
        const auto ahead = static_cast<int32_t>(seq - next_seq_);
        if (ahead > 0) {
            // Bytes are missing before this segment, a header among them. A small segment
            // waits for them; a larger one is walked from its own record start, and the
            // missing bytes are walked when they come, from the state the walk is in now.
            if (hold(seq, payload)) return false;
            const bool can_wait = !hole_open_ && walk_.have == 0;
            if (can_wait) {
                hole_open_ = true;
                hole_seq_ = next_seq_;
                hole_end_ = seq;
                hole_walk_ = walk_;
            }
            if (held_length_ != 0) note_lost();  // the held bytes are given up
            synced_ = false;
            if (!resync()) {
                hole_open_ = false;
                note_lost();
                return false;
            }
            if (!can_wait) note_lost();
        } else if (ahead < 0) {
            const auto behind = static_cast<uint32_t>(-ahead);
            if (behind >= payload.size()) return false;  // a retransmission
            payload = payload.subspan(behind);
            seq += behind;
        }
    }
    next_seq_ = seq + static_cast<uint32_t>(payload.size());
    return true;
}

}  // namespace ottscope::tls
