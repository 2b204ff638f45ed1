#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "capture.h"
#include "deterministic_random.h"
#include "flow_clock.h"
#include "topology.h"

namespace ottscope::synth {

// One TCP connection between a subscriber (client) and a server: three-way handshake with
// Linux-like options (MSS 1460, SACK permitted, timestamps, window scale), data cut into
// 1448-byte segments (MSS minus the timestamp option), delayed-ACK behaviour, FIN teardown.
// Sequence and acknowledgement numbers are exact, so dissectors see no gaps.
class TcpSession {
public:
    TcpSession(Capture& capture, Drbg& rng, Endpoint client, Endpoint server, uint64_t start_us,
               uint64_t rtt_us);

    void open();
    // `think_us` is application time before `from` starts sending (e.g. a phone ringing).
    void send(Side from, std::span<const uint8_t> data, uint64_t think_us = 0);
    void close(Side initiator, uint64_t think_us = 0);

    uint64_t now() const { return clock_.now(); }

    static constexpr size_t kMss = 1448;

private:
    struct Host {
        Endpoint endpoint;
        uint32_t next_seq;
        uint16_t ip_id;
        uint32_t ts_base;
        uint32_t last_tsval = 0;
        bool owes_ack = false;  // holds data or a FIN it has not acknowledged yet
        uint16_t syn_window;
        uint16_t window;  // after the handshake, in units of 2^kWindowScale
    };

    Host& host(Side side) { return side == Side::kClient ? client_ : server_; }
    void settle_acks(Side from, uint64_t& think_us);
    void emit(Side from, uint8_t flags, std::span<const uint8_t> payload, uint64_t time_us);

    Capture& capture_;
    Drbg& rng_;
    FlowClock clock_;
    Host client_;
    Host server_;
};

}  // namespace ottscope::synth
