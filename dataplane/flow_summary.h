#pragma once
// What a flow, its record and its snapshot entry say alike: which flow it is, what it was
// found to be and how much it carried. A Flow keeps one; the worker hands it over whole, by
// one assignment, to the record when the flow ends and to the top-flows snapshot while it runs.

#include <cstdint>

#include "classifiers/classifier.h"
#include "flow_key.h"

namespace ottscope {

// client_is_lower sits in the padding after the 14-byte Verdict: one byte of padding in all.
struct FlowSummary {
    FlowKey key;
    Verdict verdict;
    bool client_is_lower = true;  // the client is the key's lower end
    uint64_t first_seen_us = 0;
    uint64_t last_seen_us = 0;
    uint64_t bytes[2] = {};  // indexed by Direction
    uint64_t packets[2] = {};

    [[nodiscard]] uint64_t total_packets() const noexcept { return packets[0] + packets[1]; }
    [[nodiscard]] uint64_t total_bytes() const noexcept { return bytes[0] + bytes[1]; }
};
static_assert(sizeof(FlowSummary) == 112, "FlowSummary grew: it is in every Flow and record");

}  // namespace ottscope
