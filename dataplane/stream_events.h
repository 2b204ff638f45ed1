#pragma once
// What TCP stream reassembly saw, as bounded Prometheus label values
// (ottscope_stream_events_total{event}).

#include <cstdint>

#include "classifiers/enum_names.h"

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

inline constexpr auto kStreamEventNames = enum_names<StreamEvent>({
    {StreamEvent::in_order, "in_order"},
    {StreamEvent::out_of_order, "out_of_order"},
    {StreamEvent::retransmitted, "retransmitted"},
    {StreamEvent::overlap_conflict, "overlap_conflict"},
    {StreamEvent::before_start, "before_start"},
    {StreamEvent::truncated, "truncated"},
    {StreamEvent::held_ranges_full, "held_ranges_full"},
    {StreamEvent::pool_exhausted, "pool_exhausted"},
});

}  // namespace ottscope
