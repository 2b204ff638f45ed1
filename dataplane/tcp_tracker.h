#pragma once
// Where a TCP conversation stands, from the flags and payload a passive observer sees (no
// sequence-number checks: a mirror port cannot tell a forged RST from a real one, and the
// worker must not spend per-packet work on it). The state picks the flow's idle timeout
// and, once the connection has ended, its end reason.
//
// Policy (see flow_table.h for the timeouts of each state):
//  - embryonic: every new TCP flow, until it carries payload or completes a handshake (an
//    ACK without SYN once both sides have sent an ACK). SYN floods, scans and backscatter
//    never leave this state.
//  - established: payload seen, or the handshake completed.
//  - closing: one side sent FIN; the other may go on sending (half close).
//  - closed: both sides sent FIN. The flow lingers for the short closed timeout so the last
//    ACK and retransmitted FINs are absorbed instead of opening ghost flows; it then ends
//    as tcp_fin (also when evicted or flushed at shutdown while lingering).
//  - reset: a RST from either side. Lingers like closed, absorbing retransmits and the
//    peer's in-flight segments, then ends as tcp_rst. Payload after a RST means the peers
//    ignored it (an out-of-window or injected RST): the flow is established again.
//  - A SYN without ACK on a closed or reset flow is a new connection reusing the ports: the
//    worker ends the old flow and starts a new one.

#include <cstdint>

#include "packet_decoder.h"  // tcp_flag

namespace ottscope {

enum class TcpState : uint8_t { none, embryonic, established, closing, closed, reset };

// Flags seen so far, per direction (bit 0: client to server, bit 1: server to client).
struct TcpSeen {
    uint8_t fin : 2 = 0;
    uint8_t ack : 2 = 0;
};

// Advances `state` for one packet sent in `direction` (0: client to server).
constexpr TcpState next_tcp_state(TcpState state, TcpSeen& seen, uint8_t flags, uint8_t direction,
                                  bool has_payload) noexcept {
    const auto bit = static_cast<uint8_t>(1u << direction);
    if ((flags & tcp_flag::rst) != 0) return TcpState::reset;
    if ((flags & tcp_flag::ack) != 0) seen.ack = static_cast<uint8_t>(seen.ack | bit);
    if ((flags & tcp_flag::fin) != 0) {
        seen.fin = static_cast<uint8_t>(seen.fin | bit);
        return seen.fin == 3 ? TcpState::closed : TcpState::closing;
    }
    switch (state) {
        case TcpState::none:
        case TcpState::embryonic: {
            const bool handshake_done =
                seen.ack == 3 && (flags & (tcp_flag::syn | tcp_flag::ack)) == tcp_flag::ack;
            return has_payload || handshake_done ? TcpState::established : TcpState::embryonic;
        }
        case TcpState::reset:
            return has_payload ? TcpState::established : TcpState::reset;
        default:
            return state;
    }
}

// A SYN without ACK on a connection that has ended opens a new one on the same ports.
constexpr bool starts_new_connection(TcpState state, uint8_t flags) noexcept {
    return (state == TcpState::closed || state == TcpState::reset) &&
           (flags & (tcp_flag::syn | tcp_flag::ack)) == tcp_flag::syn;
}

}  // namespace ottscope
