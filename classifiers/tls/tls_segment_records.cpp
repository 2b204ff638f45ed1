#include "tls_segment_records.h"

#include "tls_records.h"

namespace ottscope::tls {

bool plausible_record_header(std::span<const uint8_t> bytes) noexcept {
    if (bytes.size() < 5) return false;
    const uint32_t length = uint32_t{bytes[3]} << 8 | bytes[4];
    return bytes[0] >= content::change_cipher_spec && bytes[0] <= 24 && bytes[1] == 3 &&
           bytes[2] <= 4 && length <= kMaxRecordLength;
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
            // Bytes are missing before this segment. If they are only late, they can be walked
            // when they come, from the state the walk is in now.
            const bool can_wait = !hole_open_ && header_have_ == 0;
            if (can_wait) {
                hole_open_ = true;
                hole_seq_ = next_seq_;
                hole_end_ = seq;
                hole_body_left_ = body_left_;
            }
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
