#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "byte_writer.h"

namespace ottscope::synth {

struct Packet {
    uint64_t time_us;  // microseconds since the Unix epoch
    Bytes frame;       // Ethernet frame
};

// Flows are synthesized one after another but overlap in time, so packets are collected first
// and ordered by timestamp at the end; the stable sort keeps each flow's own order on ties.
class Capture {
public:
    void add(uint64_t time_us, Bytes frame) { packets_.push_back({time_us, std::move(frame)}); }

    std::vector<Packet> take_sorted() {
        std::stable_sort(packets_.begin(), packets_.end(),
                         [](const Packet& a, const Packet& b) { return a.time_us < b.time_us; });
        return std::move(packets_);
    }

private:
    std::vector<Packet> packets_;
};

}  // namespace ottscope::synth
