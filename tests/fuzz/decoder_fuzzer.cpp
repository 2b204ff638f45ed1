// libFuzzer target for the packet decoder: first byte picks the link type, the rest is the
// frame. Besides "no crash, no sanitizer report", checks what callers rely on: everything
// the decoder points at lies inside the frame, and the flow key is symmetric.

#include <cstddef>
#include <cstdint>
#include <iterator>

#include "dataplane/flow_key.h"
#include "dataplane/packet_decoder.h"
#include "dataplane/tunnel.h"

namespace {

void check(bool holds) {
    if (!holds) __builtin_trap();
}

bool inside(const uint8_t* begin, const uint8_t* end, const uint8_t* p, size_t n) {
    return p >= begin && p <= end && n <= static_cast<size_t>(end - p);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ottscope;
    if (size < 1) return 0;
    // Seeds name their link type by index here (make_decoder_seeds.py): append only.
    constexpr LinkType kLinks[] = {LinkType::ethernet,   LinkType::raw_ip, LinkType::null_loopback,
                                   LinkType::linux_sll,  LinkType::ppp,    LinkType::cisco_hdlc,
                                   LinkType::linux_sll2, LinkType::nflog};
    const LinkType link = kLinks[data[0] % std::size(kLinks)];
    const uint8_t* frame = data + 1;
    const size_t length = size - 1;
    for (const FragmentPolicy policy : {FragmentPolicy::reassemble, FragmentPolicy::first_alone}) {
        DecodedPacket packet;
        const DecodeResult result = decode_packet(link, {frame, length}, packet, policy);
        if (result.status == DecodeStatus::error) check(result.error < DecodeError::count);
        if (result.status != DecodeStatus::ok && result.status != DecodeStatus::ip_fragment)
            continue;
        check(inside(frame, frame + length, packet.l3, packet.l3_length));
        if (result.status == DecodeStatus::ip_fragment) {
            check(packet.l3_header_length == 0 || packet.l3_header_length <= packet.l3_length);
            continue;
        }
        check(inside(frame, frame + length, packet.payload, packet.payload_length));
        const uint32_t tunnel = tunnel_discriminator(packet.tunnel);
        check((tunnel == 0) == (packet.tunnel.type == TunnelType::none));
        FlowKey forward;
        FlowKey backward;
        const bool f = make_flow_key(packet.source, packet.destination, packet.ip_protocol,
                                     packet.ip_version, packet.vlan, 0, forward, tunnel);
        TunnelInfo reversed = packet.tunnel;
        reversed.outer_source = packet.tunnel.outer_destination;
        reversed.outer_destination = packet.tunnel.outer_source;
        const bool b =
            make_flow_key(packet.destination, packet.source, packet.ip_protocol, packet.ip_version,
                          packet.vlan, 0, backward, tunnel_discriminator(reversed));
        check(forward == backward);
        check(f != b || packet.source.address == packet.destination.address);
    }
    return 0;
}
