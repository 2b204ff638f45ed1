#include "packet_decoder.h"

#include <algorithm>
#include <cstring>

namespace ottscope {
namespace {

constexpr uint16_t kEtherTypeIpv4 = 0x0800;
constexpr uint16_t kEtherTypeIpv6 = 0x86dd;
constexpr uint16_t kEtherTypeVlan = 0x8100;
constexpr uint16_t kEtherTypeQinQ = 0x88a8;
constexpr uint16_t kEtherTypeQinQOld = 0x9100;
constexpr uint16_t kEtherTypeMplsUnicast = 0x8847;
constexpr uint16_t kEtherTypeMplsMulticast = 0x8848;
constexpr uint16_t kEtherTypePppoeSession = 0x8864;
constexpr uint16_t kEtherTypeTransparentBridging = 0x6558;
constexpr uint16_t kEtherTypeErspan2 = 0x88be;
constexpr uint16_t kEtherTypeErspan3 = 0x22eb;
constexpr uint16_t kEtherTypePpp = 0x880b;
constexpr uint16_t kEtherTypePbb = 0x88e7;
constexpr uint16_t kPppIpv4 = 0x0021;
constexpr uint16_t kPppIpv6 = 0x0057;
constexpr int kMaxVlanTags = 4;
constexpr int kMaxMplsLabels = 8;
// Tunnels inside tunnels are legal but a hostile packet can nest them forever.
constexpr int kMaxTunnelDepth = 4;

constexpr uint8_t kProtoIpInIp = 4;
constexpr uint8_t kProtoTcp = ip_protocol::tcp;
constexpr uint8_t kProtoUdp = ip_protocol::udp;
constexpr uint8_t kProtoIpv6InIp = 41;
constexpr uint8_t kProtoGre = 47;
constexpr uint16_t kGtpUserPort = 2152;
constexpr uint16_t kVxlanPort = 4789;
constexpr uint16_t kVxlanGpePort = 4790;
constexpr uint16_t kGenevePort = 6081;
constexpr uint16_t kGreUdpPort = 4754;
constexpr uint16_t kTeredoPort = 3544;
constexpr uint8_t kGpeIpv4 = 1;
constexpr uint8_t kGpeIpv6 = 2;
constexpr uint8_t kGpeEthernet = 3;

constexpr size_t kEthernetHeader = 14;
constexpr size_t kSll2Header = 20;
constexpr uint8_t kAfInet = 2;
constexpr uint8_t kAfInet6 = 10;
constexpr uint16_t kNflogPayload = 9;  // NFULA_PAYLOAD

inline uint16_t read_be16(const uint8_t* p) noexcept {
    return static_cast<uint16_t>((p[0] << 8) | p[1]);
}
inline uint32_t read_be32(const uint8_t* p) noexcept {
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

struct Cursor {
    const uint8_t* data;
    size_t length;

    [[nodiscard]] bool has(size_t n) const noexcept { return length >= n; }
    void skip(size_t n) noexcept {
        data += n;
        length -= n;
    }
};

constexpr DecodeResult kNotIp{DecodeStatus::not_ip, DecodeError::count};

DecodeResult decode_ip(Cursor cursor, DecodedPacket& packet, int depth) noexcept;
DecodeResult decode_ipv6(Cursor cursor, DecodedPacket& packet, int depth) noexcept;
DecodeResult decode_ethernet(Cursor cursor, DecodedPacket& packet, int depth) noexcept;
DecodeResult decode_mpls(Cursor cursor, DecodedPacket& packet, int depth) noexcept;

// Entering a tunnel: the addresses decoded so far are its outer ones.
bool enter_tunnel(DecodedPacket& packet, TunnelType type, uint32_t id, int depth) noexcept {
    if (depth + 1 >= kMaxTunnelDepth) return false;
    packet.tunnel.type = type;
    packet.tunnel.id = id;
    packet.tunnel.outer_ip_version = packet.ip_version;
    packet.tunnel.outer_source = packet.source.address;
    packet.tunnel.outer_destination = packet.destination.address;
    return true;
}

// GTP-U (3GPP TS 29.281): only G-PDUs (version 1, protocol type 1, message 0xff) carry
// subscriber packets; echo, error indication, end marker and GTP' stay a UDP flow on port
// 2152, as nDPI sees them.
DecodeResult decode_gtpu(Cursor gtp, DecodedPacket& packet, int depth, bool& handled) noexcept {
    handled = false;
    if (!gtp.has(8) || (gtp.data[0] & 0xf0) != 0x30 || gtp.data[1] != 0xff) return {};
    handled = true;
    const uint8_t flags = gtp.data[0];
    const uint32_t teid = read_be32(gtp.data + 4);
    size_t header = 8;
    if (flags & 0x07) {  // sequence, N-PDU or extension flag: the optional 4 bytes are there
        if (!gtp.has(12)) return DecodeResult::failed(DecodeError::bad_gtpu);
        header = 12;
        if (flags & 0x04) {  // extension header chain, lengths in 4-byte units
            uint8_t next = gtp.data[11];
            while (next != 0) {
                if (!gtp.has(header + 1)) return DecodeResult::failed(DecodeError::bad_gtpu);
                const size_t units = gtp.data[header];
                if (units == 0 || !gtp.has(header + units * 4))
                    return DecodeResult::failed(DecodeError::bad_gtpu);
                header += units * 4;
                next = gtp.data[header - 1];
            }
        }
    }
    gtp.skip(header);
    if (!gtp.has(1)) return kNotIp;  // an empty G-PDU
    const uint8_t version = gtp.data[0] >> 4;
    if (version != 4 && version != 6) return kNotIp;  // Ethernet or unstructured PDU sessions
    if (!enter_tunnel(packet, TunnelType::gtpu, teid, depth))
        return DecodeResult::failed(DecodeError::tunnel_too_deep);
    return decode_ip(gtp, packet, depth + 1);
}

// VXLAN (RFC 7348): 8 bytes, the I flag says the VNI is valid, then an Ethernet frame.
// Every other bit is reserved and ignored on receipt, as the RFC says: VXLAN-GBP
// (draft-smith-vxlan-group-policy) puts its G, D, A flags and group policy id there, and
// the frame inside is the same. Only on UDP 4790 (`gpe`) does the P flag mean VXLAN-GPE,
// whose next-protocol byte may also say IPv4 or IPv6; on 4789 that bit is reserved too.
DecodeResult decode_vxlan(Cursor vxlan, DecodedPacket& packet, int depth, bool gpe) noexcept {
    if (!vxlan.has(8) || (vxlan.data[0] & 0x08) == 0)
        return DecodeResult::failed(DecodeError::bad_vxlan);
    const uint32_t vni = read_be32(vxlan.data + 4) >> 8;
    const uint8_t next = gpe && (vxlan.data[0] & 0x04) != 0 ? vxlan.data[3] : kGpeEthernet;
    vxlan.skip(8);
    if (next != kGpeIpv4 && next != kGpeIpv6 && next != kGpeEthernet) return kNotIp;
    if (!enter_tunnel(packet, TunnelType::vxlan, vni, depth))
        return DecodeResult::failed(DecodeError::tunnel_too_deep);
    return next == kGpeEthernet ? decode_ethernet(vxlan, packet, depth + 1)
                                : decode_ip(vxlan, packet, depth + 1);
}

// Geneve (RFC 8926): 8 bytes, options (length in 4-byte units), then the protocol the
// header names: Ethernet, IPv4 or IPv6.
DecodeResult decode_geneve(Cursor geneve, DecodedPacket& packet, int depth) noexcept {
    if (!geneve.has(8) || (geneve.data[0] >> 6) != 0)
        return DecodeResult::failed(DecodeError::bad_vxlan);
    const size_t header = 8 + (geneve.data[0] & 0x3f) * 4u;
    const uint16_t protocol = read_be16(geneve.data + 2);
    const uint32_t vni = read_be32(geneve.data + 4) >> 8;
    if (!geneve.has(header)) return DecodeResult::failed(DecodeError::bad_vxlan);
    geneve.skip(header);
    if (protocol != kEtherTypeTransparentBridging && protocol != kEtherTypeIpv4 &&
        protocol != kEtherTypeIpv6)
        return kNotIp;
    if (!enter_tunnel(packet, TunnelType::geneve, vni, depth))
        return DecodeResult::failed(DecodeError::tunnel_too_deep);
    return protocol == kEtherTypeTransparentBridging ? decode_ethernet(geneve, packet, depth + 1)
                                                     : decode_ip(geneve, packet, depth + 1);
}

DecodeResult decode_transport(Cursor l4, DecodedPacket& packet, int depth) noexcept;

// ERSPAN type II (version 1) and type III (version 2): a mirrored Ethernet frame behind a
// header naming the session. Type III may carry an 8-byte platform-specific subheader
// (O flag) and may say the mirrored frame starts at IP (frame type 2).
DecodeResult decode_erspan(Cursor erspan, DecodedPacket& packet, int depth, bool type3) noexcept {
    if (!erspan.has(8)) return DecodeResult::failed(DecodeError::bad_erspan);
    const uint8_t version = erspan.data[0] >> 4;
    const uint32_t session = read_be16(erspan.data + 2) & 0x03ff;
    bool ip_frame = false;
    if (!type3) {
        if (version != 1) return DecodeResult::failed(DecodeError::bad_erspan);
        erspan.skip(8);
    } else {
        if (version != 2 || !erspan.has(12)) return DecodeResult::failed(DecodeError::bad_erspan);
        const uint8_t frame_type = (erspan.data[10] >> 2) & 0x1f;
        const bool subheader = (erspan.data[11] & 0x01) != 0;
        if (frame_type != 0 && frame_type != 2)
            return DecodeResult::failed(DecodeError::bad_erspan);
        ip_frame = frame_type == 2;
        erspan.skip(12);
        if (subheader) {
            if (!erspan.has(8)) return DecodeResult::failed(DecodeError::bad_erspan);
            erspan.skip(8);
        }
    }
    if (!enter_tunnel(packet, TunnelType::erspan, session, depth))
        return DecodeResult::failed(DecodeError::tunnel_too_deep);
    return ip_frame ? decode_ip(erspan, packet, depth + 1)
                    : decode_ethernet(erspan, packet, depth + 1);
}

// A PPP protocol field of two bytes, or of one when compressed (odd first byte, RFC 1661
// protocol-field compression); 0 when cut short.
uint16_t read_ppp_protocol(Cursor& ppp) noexcept {
    if (!ppp.has(1)) return 0;
    if ((ppp.data[0] & 0x01) != 0) {
        const uint16_t protocol = ppp.data[0];
        ppp.skip(1);
        return protocol;
    }
    if (!ppp.has(2)) return 0;
    const uint16_t protocol = read_be16(ppp.data);
    ppp.skip(2);
    return protocol;
}

// PPP inside PPTP's enhanced GRE: optional address/control bytes, then the protocol.
DecodeResult decode_ppp_payload(Cursor ppp, DecodedPacket& packet, int depth) noexcept {
    if (ppp.has(2) && ppp.data[0] == 0xff && ppp.data[1] == 0x03) ppp.skip(2);
    const uint16_t protocol = read_ppp_protocol(ppp);
    if (protocol == 0) return DecodeResult::failed(DecodeError::bad_gre);
    if (protocol != kPppIpv4 && protocol != kPppIpv6) return kNotIp;  // LCP, CCP, compressed
    return decode_ip(ppp, packet, depth);
}

// GRE (RFC 2784/2890): flags say which of checksum(+reserved), key and sequence follow.
// Version 1 is PPTP's enhanced GRE (RFC 2637) with a mandatory key and optional ack.
// `carrier` names the tunnel when it is not ERSPAN: GRE over IP, or GRE in UDP (RFC 8086).
DecodeResult decode_gre(Cursor gre, DecodedPacket& packet, int depth,
                        TunnelType carrier = TunnelType::gre) noexcept {
    if (!gre.has(4)) return DecodeResult::failed(DecodeError::bad_gre);
    const uint16_t flags = read_be16(gre.data);
    const uint16_t protocol = read_be16(gre.data + 2);
    const uint8_t version = flags & 0x07;
    const bool checksum = (flags & 0x8000) != 0;
    const bool routing = (flags & 0x4000) != 0;
    const bool has_key = (flags & 0x2000) != 0;
    const bool sequence = (flags & 0x1000) != 0;
    if (routing || version > 1) return DecodeResult::failed(DecodeError::bad_gre);
    size_t header = 4;
    uint32_t key = 0;
    if (version == 1) {
        const bool ack = (flags & 0x0080) != 0;
        if (!has_key || protocol != kEtherTypePpp)
            return DecodeResult::failed(DecodeError::bad_gre);
        header = 8 + (sequence ? 4 : 0) + (ack ? 4 : 0);
        if (!gre.has(header)) return DecodeResult::failed(DecodeError::bad_gre);
        key = read_be16(gre.data + 6);  // the call id; the payload length is not part of it
    } else {
        if (checksum) header += 4;
        if (has_key) {
            if (!gre.has(header + 4)) return DecodeResult::failed(DecodeError::bad_gre);
            key = read_be32(gre.data + header);
            header += 4;
        }
        if (sequence) header += 4;
        if (!gre.has(header)) return DecodeResult::failed(DecodeError::bad_gre);
    }
    gre.skip(header);
    // ERSPAN type I has no sequence number and no ERSPAN header: the frame follows GRE.
    const bool erspan1 = protocol == kEtherTypeErspan2 && !sequence;
    const TunnelType type = (protocol == kEtherTypeErspan2 || protocol == kEtherTypeErspan3)
                                ? TunnelType::erspan
                                : carrier;
    switch (protocol) {
        case kEtherTypeIpv4:
        case kEtherTypeIpv6:
        case kEtherTypeTransparentBridging:
        case kEtherTypeMplsUnicast:
        case kEtherTypePpp:
        case kEtherTypeErspan2:
        case kEtherTypeErspan3:
            break;
        default:
            return kNotIp;  // keepalives, WCCP, other payloads: nothing for DPI here
    }
    if (type == TunnelType::erspan && !erspan1) {
        return decode_erspan(gre, packet, depth, protocol == kEtherTypeErspan3);
    }
    if (!enter_tunnel(packet, type, key, depth))
        return DecodeResult::failed(DecodeError::tunnel_too_deep);
    switch (protocol) {
        case kEtherTypeIpv4:
        case kEtherTypeIpv6:
            return decode_ip(gre, packet, depth + 1);
        case kEtherTypePpp:
            return decode_ppp_payload(gre, packet, depth + 1);
        case kEtherTypeMplsUnicast:
            return decode_mpls(gre, packet, depth + 1);
        default:  // transparent Ethernet bridging, ERSPAN type I
            return decode_ethernet(gre, packet, depth + 1);
    }
}

// GRE in UDP (RFC 8086) is found by its destination port alone (the source port is flow
// entropy), so the GRE header must look right before 4754 stops being an ordinary port:
// version 0, no routing, reserved bits clear.
bool looks_like_gre(Cursor gre) noexcept {
    return gre.has(4) && (read_be16(gre.data) & 0x4ff8) == 0 && (gre.data[1] & 0x07) == 0;
}

// Teredo (RFC 4380): an IPv6 packet in UDP to or from 3544, possibly behind an
// authentication indicator (0x0001, id and value lengths, id, value, 8-byte nonce,
// confirmation byte) and then an origin indicator (0x0000, obfuscated port and address).
// Only when what follows is an IPv6 header whose payload length fills the datagram is it
// Teredo: anything else on 3544 stays an ordinary UDP flow. Advances `teredo` to the IPv6
// header when it is.
bool teredo_ipv6(Cursor& teredo) noexcept {
    Cursor at = teredo;
    if (at.has(4) && read_be16(at.data) == 0x0001) {
        const size_t indicator = 4u + at.data[2] + at.data[3] + 8u + 1u;
        if (!at.has(indicator)) return false;
        at.skip(indicator);
    }
    if (at.has(8) && read_be16(at.data) == 0x0000) at.skip(8);
    if (!at.has(40) || (at.data[0] >> 4) != 6 || 40u + read_be16(at.data + 4) != at.length)
        return false;
    teredo = at;
    return true;
}

DecodeResult decode_transport(Cursor l4, DecodedPacket& packet, int depth) noexcept {
    packet.payload = l4.data;
    packet.payload_length = 0;
    switch (packet.ip_protocol) {
        case kProtoTcp: {
            if (!l4.has(20)) return {};  // a flow without ports, as nDPI sees it
            packet.source.port = read_be16(l4.data);
            packet.destination.port = read_be16(l4.data + 2);
            packet.tcp_flags = l4.data[13];
            packet.tcp_seq =
                static_cast<uint32_t>(read_be16(l4.data + 4)) << 16 | read_be16(l4.data + 6);
            const size_t header = std::min<size_t>((l4.data[12] >> 4) * 4u, l4.length);
            l4.skip(header);
            break;
        }
        case kProtoUdp: {
            if (!l4.has(8)) return {};
            packet.source.port = read_be16(l4.data);
            packet.destination.port = read_be16(l4.data + 2);
            l4.skip(8);
            // GTP-U and VXLAN: the subscriber's (or tenant's) packet inside is the flow.
            if (packet.source.port == kGtpUserPort || packet.destination.port == kGtpUserPort) {
                bool handled = false;
                const DecodeResult inner = decode_gtpu(l4, packet, depth, handled);
                if (handled) return inner;
            } else if (packet.destination.port == kVxlanPort ||
                       packet.destination.port == kVxlanGpePort) {
                return decode_vxlan(l4, packet, depth, packet.destination.port == kVxlanGpePort);
            } else if (packet.destination.port == kGenevePort) {
                return decode_geneve(l4, packet, depth);
            } else if (packet.destination.port == kGreUdpPort && looks_like_gre(l4)) {
                return decode_gre(l4, packet, depth, TunnelType::gre_udp);
            } else if (packet.source.port == kTeredoPort ||
                       packet.destination.port == kTeredoPort) {
                Cursor ipv6 = l4;
                if (teredo_ipv6(ipv6)) {
                    if (!enter_tunnel(packet, TunnelType::teredo, 0, depth))
                        return DecodeResult::failed(DecodeError::tunnel_too_deep);
                    return decode_ipv6(ipv6, packet, depth + 1);
                }
            } else if ((packet.source.port == kVxlanPort || packet.source.port == kVxlanGpePort) &&
                       l4.has(8 + kEthernetHeader) && (l4.data[0] & 0x08) != 0) {
                // Some VTEPs answer from 4789 to another port: VXLAN when it looks like it,
                // an ordinary flow from an ephemeral port 4789 otherwise.
                return decode_vxlan(l4, packet, depth, packet.source.port == kVxlanGpePort);
            }
            break;
        }
        case kProtoGre:
            return decode_gre(l4, packet, depth);
        default:
            return {};
    }
    packet.payload = l4.data;
    packet.payload_length = static_cast<uint16_t>(l4.length);
    return {};
}

// A fragment, outer or inside a tunnel: both go to reassembly.
DecodeResult fragment_result(int depth) noexcept {
    return {depth == 0 ? DecodeStatus::ip_fragment : DecodeStatus::tunnel_fragment,
            DecodeError::count};
}

DecodeResult decode_ipv4(Cursor cursor, DecodedPacket& packet, int depth) noexcept {
    if (!cursor.has(20)) return DecodeResult::failed(DecodeError::truncated_ipv4);
    const uint8_t* ip = cursor.data;
    const size_t header_length = (ip[0] & 0x0f) * 4u;
    if (header_length < 20) return DecodeResult::failed(DecodeError::bad_ipv4_header_length);
    size_t total_length = read_be16(ip + 2);
    if (total_length < header_length)
        return DecodeResult::failed(DecodeError::bad_ipv4_total_length);
    if (packet.outer_lengths_short && cursor.length > total_length) total_length = cursor.length;
    if (cursor.length < total_length) return DecodeResult::failed(DecodeError::capture_truncated);

    packet.l3 = ip;
    packet.l3_length = static_cast<uint16_t>(total_length);
    packet.ip_version = 4;
    packet.ip_protocol = ip[9];
    packet.source = Endpoint{ipv4_mapped(ip + 12), 0};
    packet.destination = Endpoint{ipv4_mapped(ip + 16), 0};
    packet.tcp_flags = 0;

    const uint16_t fragment = read_be16(ip + 6);
    const size_t offset = (fragment & 0x1fffu) * 8u;
    const bool more_fragments = (fragment & 0x2000) != 0;
    if (offset != 0 || more_fragments) {
        if (offset + (total_length - header_length) > 0xffff)
            return DecodeResult::failed(DecodeError::bad_ip_fragment);
        packet.l3_header_length = static_cast<uint16_t>(header_length);
        if (offset != 0 || !packet.first_fragment_alone) return fragment_result(depth);
    }

    Cursor l4{ip + header_length, total_length - header_length};
    if (packet.ip_protocol == kProtoIpInIp || packet.ip_protocol == kProtoIpv6InIp) {
        if (depth + 1 >= kMaxTunnelDepth) return DecodeResult::failed(DecodeError::tunnel_too_deep);
        return decode_ip(l4, packet, depth + 1);
    }
    return decode_transport(l4, packet, depth);
}

bool is_ipv6_extension(uint8_t next_header) noexcept {
    switch (next_header) {
        case 0:    // hop-by-hop options
        case 43:   // routing
        case 44:   // fragment
        case 51:   // authentication header
        case 60:   // destination options
        case 135:  // mobility
        case 139:  // host identity protocol
        case 140:  // shim6
            return true;
        default:
            return false;
    }
}

DecodeResult decode_ipv6(Cursor cursor, DecodedPacket& packet, int depth) noexcept {
    if (!cursor.has(40)) return DecodeResult::failed(DecodeError::truncated_ipv6);
    const uint8_t* ip = cursor.data;
    size_t total_length = 40u + read_be16(ip + 4);
    if (packet.outer_lengths_short && cursor.length > total_length) total_length = cursor.length;
    if (cursor.length < total_length) return DecodeResult::failed(DecodeError::capture_truncated);

    packet.l3 = ip;
    packet.l3_length = static_cast<uint16_t>(std::min<size_t>(total_length, 0xffff));
    packet.ip_version = 6;
    packet.source = Endpoint{};
    packet.destination = Endpoint{};
    std::memcpy(packet.source.address.data(), ip + 8, 16);
    std::memcpy(packet.destination.address.data(), ip + 24, 16);
    packet.tcp_flags = 0;

    uint8_t next_header = ip[6];
    Cursor rest{ip + 40, total_length - 40};
    for (int headers = 0; is_ipv6_extension(next_header); ++headers) {
        if (!rest.has(8) || headers == 16)
            return DecodeResult::failed(DecodeError::bad_ipv6_extension);
        size_t length = next_header == 51 ? (rest.data[1] + 2u) * 4u : (rest.data[1] + 1u) * 8u;
        if (next_header == 44) {
            length = 8;
            const uint16_t fragment = read_be16(rest.data + 2);
            const size_t offset = fragment & 0xfff8u;
            if (offset != 0 || (fragment & 0x0001) != 0) {
                packet.ip_protocol = rest.data[0];
                if (offset + (rest.length - 8) > 0xffff)
                    return DecodeResult::failed(DecodeError::bad_ip_fragment);
                // rte_ip_frag finds the fragment header only right after the fixed header.
                packet.l3_header_length = rest.data == ip + 40 ? 48 : 0;
                if (offset != 0 || !packet.first_fragment_alone) return fragment_result(depth);
            }
        }
        if (!rest.has(length)) return DecodeResult::failed(DecodeError::bad_ipv6_extension);
        next_header = rest.data[0];
        rest.skip(length);
    }
    packet.ip_protocol = next_header;
    if (next_header == kProtoIpInIp || next_header == kProtoIpv6InIp) {
        if (depth + 1 >= kMaxTunnelDepth) return DecodeResult::failed(DecodeError::tunnel_too_deep);
        return decode_ip(rest, packet, depth + 1);
    }
    return decode_transport(rest, packet, depth);
}

DecodeResult decode_ip(Cursor cursor, DecodedPacket& packet, int depth) noexcept {
    if (!cursor.has(1)) return DecodeResult::failed(DecodeError::truncated_ipv4);
    switch (cursor.data[0] >> 4) {
        case 4:
            return decode_ipv4(cursor, packet, depth);
        case 6:
            return decode_ipv6(cursor, packet, depth);
        default:
            return DecodeResult::failed(DecodeError::bad_ip_version);
    }
}

// An MPLS label stack says nothing about its payload: after the bottom label, the first
// nibble tells IPv4 from IPv6; 0 is a pseudowire control word (RFC 4385) before an
// Ethernet frame.
DecodeResult decode_mpls(Cursor cursor, DecodedPacket& packet, int depth) noexcept {
    for (int labels = 0;; ++labels) {
        if (labels == kMaxMplsLabels || !cursor.has(4))
            return DecodeResult::failed(DecodeError::bad_mpls);
        const bool bottom = (cursor.data[2] & 0x01) != 0;
        cursor.skip(4);
        if (bottom) break;
    }
    if (!cursor.has(1)) return DecodeResult::failed(DecodeError::bad_mpls);
    switch (cursor.data[0] >> 4) {
        case 4:
            return decode_ipv4(cursor, packet, depth);
        case 6:
            return decode_ipv6(cursor, packet, depth);
        case 0:
            if (!cursor.has(4 + kEthernetHeader))
                return DecodeResult::failed(DecodeError::bad_mpls);
            cursor.skip(4);
            return decode_ethernet(cursor, packet, depth);
        default:
            return kNotIp;
    }
}

DecodeResult decode_ethertype(uint16_t ether_type, Cursor cursor, DecodedPacket& packet,
                              int depth) noexcept {
    for (int tags = 0; ether_type == kEtherTypeVlan || ether_type == kEtherTypeQinQ ||
                       ether_type == kEtherTypeQinQOld;
         ++tags) {
        if (tags == kMaxVlanTags || !cursor.has(4))
            return DecodeResult::failed(DecodeError::truncated_vlan);
        // The innermost tag names the customer VLAN, the one flows belong to.
        packet.vlan = read_be16(cursor.data) & 0x0fff;
        ether_type = read_be16(cursor.data + 2);
        cursor.skip(4);
    }
    switch (ether_type) {
        case kEtherTypeIpv4:
            return decode_ipv4(cursor, packet, depth);
        case kEtherTypeIpv6:
            return decode_ipv6(cursor, packet, depth);
        case kEtherTypeMplsUnicast:
        case kEtherTypeMplsMulticast:
            return decode_mpls(cursor, packet, depth);
        case kEtherTypePbb: {
            // 802.1ah (MAC-in-MAC): a 4-byte I-TAG whose low 24 bits are the service
            // instance (I-SID), then the customer's Ethernet frame. The backbone has no IP
            // addresses: the tunnel's outer ones stay zero.
            if (!cursor.has(4)) return DecodeResult::failed(DecodeError::truncated_tunnel);
            const uint32_t isid = read_be32(cursor.data) & 0x00ffffffu;
            cursor.skip(4);
            if (!enter_tunnel(packet, TunnelType::pbb, isid, depth))
                return DecodeResult::failed(DecodeError::tunnel_too_deep);
            packet.tunnel.outer_ip_version = 0;
            packet.tunnel.outer_source = IpAddress{};
            packet.tunnel.outer_destination = IpAddress{};
            return decode_ethernet(cursor, packet, depth + 1);
        }
        case kEtherTypePppoeSession: {
            // PPPoE session header (6 bytes), then the PPP protocol number.
            if (!cursor.has(7)) return DecodeResult::failed(DecodeError::bad_pppoe);
            cursor.skip(6);
            const uint16_t protocol = read_ppp_protocol(cursor);
            if (protocol == 0) return DecodeResult::failed(DecodeError::bad_pppoe);
            if (protocol == kPppIpv4) return decode_ipv4(cursor, packet, depth);
            if (protocol == kPppIpv6) return decode_ipv6(cursor, packet, depth);
            return kNotIp;
        }
        default:
            return kNotIp;
    }
}

DecodeResult decode_ethernet(Cursor cursor, DecodedPacket& packet, int depth) noexcept {
    if (!cursor.has(kEthernetHeader))
        return DecodeResult::failed(depth == 0 ? DecodeError::truncated_link_header
                                               : DecodeError::truncated_tunnel);
    const uint16_t ether_type = read_be16(cursor.data + 12);
    cursor.skip(kEthernetHeader);
    return decode_ethertype(ether_type, cursor, packet, depth);
}

// The NFLOG TLVs' length and type are in the capturing host's byte order, which the file
// does not say. The first TLV tells: its type is a small NFULA_* number (netlink's two flag
// bits aside) in one order and a multiple of 256 in the other.
bool nflog_little_endian(Cursor tlvs) noexcept {
    if (!tlvs.has(4)) return true;
    const unsigned little_type = (tlvs.data[2] | (tlvs.data[3] << 8)) & 0x3fffu;
    return little_type != 0 && little_type < 0x100;
}

// NFLOG (LINKTYPE_NFLOG): address family, version and resource id, then netlink TLVs padded
// to 4 bytes; NFULA_PAYLOAD holds the packet from its IP header. The family says which IP.
DecodeResult decode_nflog(Cursor cursor, DecodedPacket& packet) noexcept {
    if (!cursor.has(4)) return DecodeResult::failed(DecodeError::truncated_link_header);
    const uint8_t family = cursor.data[0];
    cursor.skip(4);
    const bool little = nflog_little_endian(cursor);
    const auto read16 = [little](const uint8_t* p) noexcept {
        return little ? static_cast<uint16_t>(p[0] | (p[1] << 8)) : read_be16(p);
    };
    // Each TLV takes at least 4 bytes, so the walk ends within the frame.
    while (cursor.length != 0) {
        if (!cursor.has(4)) return DecodeResult::failed(DecodeError::bad_nflog);
        const size_t length = read16(cursor.data);
        const uint16_t type = read16(cursor.data + 2) & 0x3fffu;
        if (length < 4 || !cursor.has(length)) return DecodeResult::failed(DecodeError::bad_nflog);
        if (type == kNflogPayload) {
            // A datagram reassembled from fragments keeps the first fragment's TLV header in
            // front of it, whose length covers that fragment only: the datagram runs to the
            // end of the frame.
            const Cursor ip{cursor.data + 4,
                            (packet.outer_lengths_short ? cursor.length : length) - 4};
            if (family != kAfInet && family != kAfInet6) return kNotIp;
            if (!ip.has(1)) return DecodeResult::failed(DecodeError::truncated_ipv4);
            const uint8_t version = ip.data[0] >> 4;
            if (version != (family == kAfInet ? 4 : 6))
                return DecodeResult::failed(DecodeError::bad_ip_version);
            return version == 4 ? decode_ipv4(ip, packet, 0) : decode_ipv6(ip, packet, 0);
        }
        // The last TLV's padding may be missing.
        cursor.skip(std::min(cursor.length, (length + 3) & ~size_t{3}));
    }
    return kNotIp;  // logged without its packet (an nflog range of 0)
}

}  // namespace

DecodeResult decode_packet(LinkType link, std::span<const uint8_t> frame, DecodedPacket& packet,
                           FragmentPolicy policy) noexcept {
    packet.first_fragment_alone = policy == FragmentPolicy::first_alone;
    packet.outer_lengths_short = policy == FragmentPolicy::reassembled;
    packet.vlan = 0;
    packet.l3_header_length = 0;
    packet.tunnel.type = TunnelType::none;
    packet.tunnel.id = 0;
    Cursor cursor{frame.data(), frame.size()};
    switch (link) {
        case LinkType::ethernet:
            return decode_ethernet(cursor, packet, 0);
        case LinkType::raw_ip:
            return decode_ip(cursor, packet, 0);
        case LinkType::null_loopback: {
            // BSD loopback: a 4-byte address family in the capturing host's byte order.
            if (!cursor.has(4)) return DecodeResult::failed(DecodeError::truncated_link_header);
            cursor.skip(4);
            if (!cursor.has(1)) return DecodeResult::failed(DecodeError::truncated_ipv4);
            const uint8_t version = cursor.data[0] >> 4;
            if (version != 4 && version != 6) return kNotIp;
            return decode_ip(cursor, packet, 0);
        }
        case LinkType::linux_sll:
            if (!cursor.has(16)) return DecodeResult::failed(DecodeError::truncated_link_header);
            cursor.skip(16);
            return decode_ethertype(read_be16(frame.data() + 14), cursor, packet, 0);
        case LinkType::linux_sll2:
            // Protocol type first, then interface index, ARPHRD type, packet type and the
            // link-layer address; the protocol type is an EtherType as in LINUX_SLL.
            if (!cursor.has(kSll2Header))
                return DecodeResult::failed(DecodeError::truncated_link_header);
            cursor.skip(kSll2Header);
            return decode_ethertype(read_be16(frame.data()), cursor, packet, 0);
        case LinkType::nflog:
            return decode_nflog(cursor, packet);
        case LinkType::ppp:
        case LinkType::cisco_hdlc: {
            // Cisco HDLC and framed PPP (address 0xff, control 0x03) carry the protocol number
            // in bytes 2-3; unframed PPP starts with it.
            // PPP-serial captures also carry Cisco HDLC frames (address 0x0f or 0x8f).
            const bool framed =
                link == LinkType::cisco_hdlc ||
                (cursor.has(2) && ((frame[0] == 0xff && frame[1] == 0x03) ||
                                   ((frame[0] == 0x0f || frame[0] == 0x8f) && frame[1] == 0x00)));
            const size_t header = framed ? 4 : 2;
            if (!cursor.has(header))
                return DecodeResult::failed(DecodeError::truncated_link_header);
            const uint16_t protocol = read_be16(frame.data() + header - 2);
            cursor.skip(header);
            if (protocol == kPppIpv4 || protocol == kEtherTypeIpv4)
                return decode_ipv4(cursor, packet, 0);
            if (protocol == kPppIpv6 || protocol == kEtherTypeIpv6)
                return decode_ipv6(cursor, packet, 0);
            if (protocol == kEtherTypeMplsUnicast || protocol == 0x0281)
                return decode_mpls(cursor, packet, 0);
            return kNotIp;
        }
    }
    return DecodeResult::failed(DecodeError::unsupported_link_type);
}

}  // namespace ottscope
