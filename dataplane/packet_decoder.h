#pragma once
// Turns a frame into the addresses, ports and payload a flow needs. Layers are separate
// functions that hand over to each other by protocol number: Ethernet, 802.1Q/QinQ, 802.1ah
// PBB, MPLS (with pseudowire control word), PPPoE, IPv4/IPv6 with extension headers,
// IP-in-IP, GRE (v0 with checksum/key/sequence, v1 PPTP; also in UDP), ERSPAN II/III, VXLAN
// (GBP and reserved bits ignored), Geneve, GTP-U and Teredo. The innermost IP packet is the
// flow; the innermost tunnel is reported beside it.

#include <cstdint>
#include <span>

#include "classifiers/protocol_numbers.h"
#include "drop_reasons.h"
#include "flow_key.h"
#include "link_type.h"
#include "tunnel.h"

namespace ottscope {

struct DecodedPacket {
    Endpoint source;
    Endpoint destination;
    const uint8_t* l3 = nullptr;  // the (innermost) IP header, as nDPI wants it
    uint16_t l3_length = 0;       // IP total length, Ethernet padding trimmed
    const uint8_t* payload = nullptr;
    uint16_t payload_length = 0;
    uint16_t vlan = 0;
    // For DecodeStatus::ip_fragment: bytes from l3 to the fragment's payload (IPv4 header,
    // or IPv6 header plus a fragment header right after it), what rte_ip_frag calls l3_len;
    // 0 when rte_ip_frag cannot reassemble it (IPv6 extension headers before the fragment).
    uint16_t l3_header_length = 0;
    TunnelInfo tunnel;
    bool first_fragment_alone = false;  // set by decode_packet from its FragmentPolicy
    bool outer_lengths_short = false;   // FragmentPolicy::reassembled
    uint8_t ip_protocol = 0;
    uint8_t ip_version = 0;
    uint8_t tcp_flags = 0;
    uint32_t tcp_seq = 0;  // for stream reassembly
};

// ip_fragment: a fragment of an outer packet, to be reassembled and decoded again;
// tunnel_fragment: a fragment of a packet inside a tunnel, reassembled the same way (the
// outer headers of its first fragment stand in for link headers).
enum class DecodeStatus : uint8_t { ok, not_ip, ip_fragment, tunnel_fragment, error };

struct DecodeResult {
    DecodeStatus status = DecodeStatus::ok;
    DecodeError error = DecodeError::count;

    static constexpr DecodeResult failed(DecodeError why) noexcept {
        return {DecodeStatus::error, why};
    }
};

// reassemble: every fragment is DecodeStatus::ip_fragment (outer) or tunnel_fragment (inner).
// first_alone: a first fragment (offset 0) decodes as a packet of its own, for datagrams whose
// other fragments never came: its ports and payload start are still worth classifying.
// reassembled: the frame is a datagram rte_ip_frag put together; the headers in front of the
// reassembled IP header come from its first fragment, so their length fields cover that
// fragment only, and the frame's own length is taken instead (it carries no padding).
enum class FragmentPolicy : uint8_t { reassemble, first_alone, reassembled };

DecodeResult decode_packet(LinkType link, std::span<const uint8_t> frame, DecodedPacket& packet,
                           FragmentPolicy policy = FragmentPolicy::reassemble) noexcept;

}  // namespace ottscope
