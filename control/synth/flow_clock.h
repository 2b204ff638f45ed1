#pragma once

#include <cstdint>
#include <optional>

#include "deterministic_random.h"
#include "topology.h"

namespace ottscope::synth {

// Capture-time model of one flow as seen at a mirror next to the subscriber: a server's answer
// shows up one round trip plus its processing time after the request, the subscriber's own
// reactions only cost local processing, and back-to-back packets from one host are microseconds
// apart.
class FlowClock {
public:
    FlowClock(Drbg& rng, uint64_t start_us, uint64_t rtt_us)
        : rng_(rng), now_us_(start_us), rtt_us_(rtt_us) {}

    uint64_t now() const { return now_us_; }

    // Time of the next packet from `from`, which needed `think_us` of application time before
    // sending it; becomes the current time.
    uint64_t next(Side from, uint64_t think_us = 0) {
        uint64_t gap = 0;
        if (!last_sender_) {
            gap = 0;
        } else if (*last_sender_ == from) {
            gap = rng_.uniform(30, 300);
        } else if (from == Side::kServer) {
            gap = rtt_us_ + rng_.uniform(0, rtt_us_ / 10) + rng_.uniform(150, 2000);
        } else {
            gap = rng_.uniform(200, 4000);
        }
        return advance(from, gap + think_us);
    }

    // The next segment of a burst `from` is already sending: paced by serialization only, even
    // when the peer's ACKs are interleaved.
    uint64_t burst(Side from) { return advance(from, rng_.uniform(30, 300)); }

    // An immediate acknowledgement by the subscriber-side host of what it just received.
    uint64_t immediately(Side from) { return advance(from, rng_.uniform(15, 80)); }

private:
    uint64_t advance(Side from, uint64_t gap) {
        now_us_ += gap;
        last_sender_ = from;
        return now_us_;
    }

    Drbg& rng_;
    uint64_t now_us_;
    uint64_t rtt_us_;
    std::optional<Side> last_sender_;
};

}  // namespace ottscope::synth
