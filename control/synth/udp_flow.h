#pragma once

#include <cstdint>
#include <span>

#include "capture.h"
#include "deterministic_random.h"
#include "flow_clock.h"
#include "topology.h"

namespace ottscope::synth {

// A UDP conversation (DNS, SIP): each send() is one datagram.
class UdpFlow {
public:
    UdpFlow(Capture& capture, Drbg& rng, Endpoint client, Endpoint server, uint64_t start_us,
            uint64_t rtt_us);

    void send(Side from, std::span<const uint8_t> payload, uint64_t think_us = 0);
    uint64_t now() const { return clock_.now(); }

private:
    Capture& capture_;
    FlowClock clock_;
    Endpoint client_;
    Endpoint server_;
    uint16_t client_ip_id_;
    uint16_t server_ip_id_;
};

}  // namespace ottscope::synth
