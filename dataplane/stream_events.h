#pragma once
// What TCP stream reassembly saw, as bounded Prometheus label values
// (ottscope_stream_events_total{event}).

#include <array>
#include <cstdint>
#include <string_view>

namespace ottscope {

enum class StreamEvent : uint8_t {
    in_order,          // a segment that extended the contiguous prefix
    out_of_order,      // a segment held beyond a gap until the gap fills
    retransmitted,     // every byte already held, and identical
    overlap_conflict,  // a segment disagreed with bytes already held (first seen kept)
    before_start,      // bytes before the stream start (mid-stream pickup): ignored
    truncated,         // a direction reached the depth bound; later bytes are not kept
    held_ranges_full,  // an out-of-order segment found no free gap-list entry: dropped
    pool_exhausted,    // no stream buffer left for a new flow: it is not reassembled
    count
};

constexpr std::array<std::string_view, static_cast<size_t>(StreamEvent::count)> kStreamEventNames =
    {"in_order",     "out_of_order", "retransmitted",    "overlap_conflict",
     "before_start", "truncated",    "held_ranges_full", "pool_exhausted"};

}  // namespace ottscope
