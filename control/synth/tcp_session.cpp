#include "tcp_session.h"

#include <algorithm>

#include "packet_builder.h"

namespace ottscope::synth {

namespace {

constexpr uint8_t kWindowScale = 7;
constexpr uint64_t kDelayedAckUs = 40'000;  // Linux's minimum delayed-ACK timeout

// MSS 1460, SACK permitted, timestamps, NOP, window scale in a SYN (Linux's order); NOP, NOP,
// timestamps on every other segment.
Bytes tcp_options(bool syn, uint32_t tsval, uint32_t tsecr) {
    Bytes out;
    ByteWriter w(out);
    if (syn) {
        w.u8(2);
        w.u8(4);
        w.u16be(1460);
        w.u8(4);
        w.u8(2);
    } else {
        w.u8(1);
        w.u8(1);
    }
    w.u8(8);
    w.u8(10);
    w.u32be(tsval);
    w.u32be(tsecr);
    if (syn) {
        w.u8(1);
        w.u8(3);
        w.u8(3);
        w.u8(kWindowScale);
    }
    return out;
}

}  // namespace

TcpSession::TcpSession(Capture& capture, Drbg& rng, Endpoint client, Endpoint server,
                       uint64_t start_us, uint64_t rtt_us)
    : capture_(capture),
      rng_(rng),
      clock_(rng, start_us, rtt_us),
      client_{client,
              static_cast<uint32_t>(rng.next_u64()),
              static_cast<uint16_t>(rng.next_u64()),
              static_cast<uint32_t>(rng.next_u64()),
              0,
              false,
              64240,
              501},
      server_{server,
              static_cast<uint32_t>(rng.next_u64()),
              static_cast<uint16_t>(rng.next_u64()),
              static_cast<uint32_t>(rng.next_u64()),
              0,
              false,
              65160,
              509} {}

void TcpSession::emit(Side from, uint8_t flags, std::span<const uint8_t> payload,
                      uint64_t time_us) {
    Host& self = host(from);
    Host& other = host(peer_of(from));
    const bool syn = (flags & tcp_flags::kSyn) != 0;
    // Timestamps tick in milliseconds of each host's own clock.
    const uint32_t tsval = self.ts_base + static_cast<uint32_t>(time_us / 1000);
    const uint32_t tsecr = (flags & tcp_flags::kAck) != 0 ? other.last_tsval : 0;
    const Bytes options = tcp_options(syn, tsval, tsecr);

    const EthernetHeader eth = from == Side::kClient
                                   ? EthernetHeader{kSubscriberSideMac, kNetworkSideMac}
                                   : EthernetHeader{kNetworkSideMac, kSubscriberSideMac};
    const Ipv4Header ip{self.endpoint.addr, other.endpoint.addr, ttl_seen_from(from), self.ip_id++,
                        true};
    const TcpHeader tcp{self.endpoint.port,
                        other.endpoint.port,
                        self.next_seq,
                        (flags & tcp_flags::kAck) != 0 ? other.next_seq : 0,
                        flags,
                        syn ? self.syn_window : self.window,
                        options};
    capture_.add(time_us, build_tcp_frame(eth, ip, tcp, payload));

    self.last_tsval = tsval;
    self.next_seq += static_cast<uint32_t>(payload.size());
    if (syn || (flags & tcp_flags::kFin) != 0) ++self.next_seq;
    if ((flags & tcp_flags::kAck) != 0) self.owes_ack = false;
    if (!payload.empty() || syn || (flags & tcp_flags::kFin) != 0) other.owes_ack = true;
}

void TcpSession::open() {
    emit(Side::kClient, tcp_flags::kSyn, {}, clock_.next(Side::kClient));
    emit(Side::kServer, tcp_flags::kSyn | tcp_flags::kAck, {}, clock_.next(Side::kServer));
    emit(Side::kClient, tcp_flags::kAck, {}, clock_.immediately(Side::kClient));
}

void TcpSession::settle_acks(Side from, uint64_t& think_us) {
    const Side other = peer_of(from);
    // The peer still holds unacknowledged data from us and we pause longer than its delayed-ACK
    // timer: its ACK arrives before we send again.
    if (host(other).owes_ack && think_us > kDelayedAckUs) {
        emit(other, tcp_flags::kAck, {}, clock_.next(other));
    }
    // We hold data from the peer but take longer than the delayed-ACK timer to answer.
    if (host(from).owes_ack && think_us > kDelayedAckUs) {
        emit(from, tcp_flags::kAck, {}, clock_.next(from, kDelayedAckUs));
        think_us -= kDelayedAckUs;
    }
}

void TcpSession::send(Side from, std::span<const uint8_t> data, uint64_t think_us) {
    if (data.empty()) return;
    settle_acks(from, think_us);
    const Side other = peer_of(from);
    size_t segments = 0;
    for (size_t offset = 0; offset < data.size(); offset += kMss) {
        const size_t len = std::min(kMss, data.size() - offset);
        const bool last = offset + len == data.size();
        const uint64_t t = segments == 0 ? clock_.next(from, think_us) : clock_.burst(from);
        emit(from, tcp_flags::kAck | (last ? tcp_flags::kPsh : 0), data.subspan(offset, len), t);
        ++segments;
        // The subscriber ACKs every second full segment of a download as it arrives.
        if (other == Side::kClient && segments % 2 == 0 && !last) {
            emit(other, tcp_flags::kAck, {}, clock_.immediately(other));
        }
    }
}

void TcpSession::close(Side initiator, uint64_t think_us) {
    settle_acks(initiator, think_us);
    const Side other = peer_of(initiator);
    emit(initiator, tcp_flags::kFin | tcp_flags::kAck, {}, clock_.next(initiator, think_us));
    emit(other, tcp_flags::kFin | tcp_flags::kAck, {}, clock_.next(other));
    emit(initiator, tcp_flags::kAck, {}, clock_.next(initiator));
}

}  // namespace ottscope::synth
