#include "packet_decoder.h"

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
constexpr int kMaxVlanTags = 4;
constexpr int kMaxMplsLabels = 8;
// Tunnels inside tunnels are legal but a hostile packet can nest them forever.
constexpr int kMaxTunnelDepth = 4;

constexpr uint8_t kProtoIpInIp = 4;
constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;
constexpr uint8_t kProtoIpv6InIp = 41;
constexpr uint16_t kGtpUserPort = 2152;

inline uint16_t read_be16(const uint8_t* p) noexcept {
    return static_cast<uint16_t>((p[0] << 8) | p[1]);
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

DecodeResult decode_ip(Cursor cursor, DecodedPacket& packet, int depth) noexcept;

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
            // GTP-U: the subscriber's packet inside is the flow worth classifying.
            if ((packet.source.port == kGtpUserPort || packet.destination.port == kGtpUserPort) &&
                depth < kMaxTunnelDepth && l4.has(8) && (l4.data[0] >> 5) == 1 &&
                l4.data[1] == 0xff) {
                const uint8_t flags = l4.data[0];
                size_t header = 8;
                if (flags & 0x07) {
                    if (!l4.has(12)) return DecodeResult::failed(DecodeError::truncated_tunnel);
                    header = 12;
                    if (flags & 0x04) {  // extension header chain, lengths in 4-byte units
                        uint8_t next = l4.data[11];
                        while (next != 0) {
                            if (!l4.has(header + 1))
                                return DecodeResult::failed(DecodeError::truncated_tunnel);
                            const size_t units = l4.data[header];
                            if (units == 0 || !l4.has(header + units * 4))
                                return DecodeResult::failed(DecodeError::truncated_tunnel);
                            header += units * 4;
                            next = l4.data[header - 1];
                        }
                    }
                }
                Cursor inner = l4;
                inner.skip(header);
                if (inner.has(1) && ((inner.data[0] >> 4) == 4 || (inner.data[0] >> 4) == 6)) {
                    return decode_ip(inner, packet, depth + 1);
                }
            }
            break;
        }
        default:
            return {};
    }
    packet.payload = l4.data;
    packet.payload_length = static_cast<uint16_t>(l4.length);
    return {};
}

DecodeResult decode_ipv4(Cursor cursor, DecodedPacket& packet, int depth) noexcept {
    if (!cursor.has(20)) return DecodeResult::failed(DecodeError::truncated_ipv4);
    const uint8_t* ip = cursor.data;
    const size_t header_length = (ip[0] & 0x0f) * 4u;
    if (header_length < 20) return DecodeResult::failed(DecodeError::bad_ipv4_header_length);
    const size_t total_length = read_be16(ip + 2);
    if (total_length < header_length)
        return DecodeResult::failed(DecodeError::bad_ipv4_total_length);
    if (cursor.length < total_length) return DecodeResult::failed(DecodeError::capture_truncated);

    packet.l3 = ip;
    packet.l3_length = static_cast<uint16_t>(total_length);
    packet.ip_version = 4;
    packet.ip_protocol = ip[9];
    packet.source = Endpoint{ipv4_mapped(ip + 12), 0};
    packet.destination = Endpoint{ipv4_mapped(ip + 16), 0};
    packet.tcp_flags = 0;

    const uint16_t fragment = read_be16(ip + 6);
    if ((fragment & 0x1fff) != 0) return {DecodeStatus::ip_fragment, DecodeError::count};

    Cursor l4{ip + header_length, total_length - header_length};
    if ((packet.ip_protocol == kProtoIpInIp || packet.ip_protocol == kProtoIpv6InIp) &&
        depth < kMaxTunnelDepth) {
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
            return true;
        default:
            return false;
    }
}

DecodeResult decode_ipv6(Cursor cursor, DecodedPacket& packet, int depth) noexcept {
    if (!cursor.has(40)) return DecodeResult::failed(DecodeError::truncated_ipv6);
    const uint8_t* ip = cursor.data;
    const size_t total_length = 40u + read_be16(ip + 4);
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
    while (is_ipv6_extension(next_header)) {
        if (!rest.has(8)) return DecodeResult::failed(DecodeError::bad_ipv6_extension);
        size_t length = next_header == 51 ? (rest.data[1] + 2u) * 4u : (rest.data[1] + 1u) * 8u;
        if (next_header == 44) {
            length = 8;
            if ((read_be16(rest.data + 2) & 0xfff8) != 0) {
                packet.ip_protocol = rest.data[0];
                return {DecodeStatus::ip_fragment, DecodeError::count};
            }
        }
        if (!rest.has(length)) return DecodeResult::failed(DecodeError::bad_ipv6_extension);
        next_header = rest.data[0];
        rest.skip(length);
    }
    packet.ip_protocol = next_header;
    if ((next_header == kProtoIpInIp || next_header == kProtoIpv6InIp) && depth < kMaxTunnelDepth) {
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
// nibble tells IPv4 from IPv6 (0 is a pseudowire control word, whose Ethernet we skip).
DecodeResult decode_mpls(Cursor cursor, DecodedPacket& packet) noexcept {
    for (int labels = 0;; ++labels) {
        if (labels == kMaxMplsLabels || !cursor.has(4))
            return DecodeResult::failed(DecodeError::truncated_link_header);
        const bool bottom = (cursor.data[2] & 0x01) != 0;
        cursor.skip(4);
        if (bottom) break;
    }
    if (!cursor.has(1)) return DecodeResult::failed(DecodeError::truncated_link_header);
    switch (cursor.data[0] >> 4) {
        case 4:
            return decode_ipv4(cursor, packet, 0);
        case 6:
            return decode_ipv6(cursor, packet, 0);
        case 0:
            if (!cursor.has(4 + 14))
                return DecodeResult::failed(DecodeError::truncated_link_header);
            cursor.skip(4 + 14);
            if (read_be16(cursor.data - 2) == kEtherTypeIpv4) return decode_ipv4(cursor, packet, 0);
            if (read_be16(cursor.data - 2) == kEtherTypeIpv6) return decode_ipv6(cursor, packet, 0);
            return {DecodeStatus::not_ip, DecodeError::count};
        default:
            return {DecodeStatus::not_ip, DecodeError::count};
    }
}

DecodeResult decode_ethertype(uint16_t ether_type, Cursor cursor, DecodedPacket& packet) noexcept {
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
            return decode_ipv4(cursor, packet, 0);
        case kEtherTypeIpv6:
            return decode_ipv6(cursor, packet, 0);
        case kEtherTypeMplsUnicast:
        case kEtherTypeMplsMulticast:
            return decode_mpls(cursor, packet);
        case kEtherTypePppoeSession: {
            // PPPoE session header (6 bytes), then the PPP protocol number.
            if (!cursor.has(8)) return DecodeResult::failed(DecodeError::truncated_link_header);
            const uint16_t protocol = read_be16(cursor.data + 6);
            cursor.skip(8);
            if (protocol == 0x0021) return decode_ipv4(cursor, packet, 0);
            if (protocol == 0x0057) return decode_ipv6(cursor, packet, 0);
            return {DecodeStatus::not_ip, DecodeError::count};
        }
        default:
            return {DecodeStatus::not_ip, DecodeError::count};
    }
}

}  // namespace

DecodeResult decode_packet(LinkType link, std::span<const uint8_t> frame,
                           DecodedPacket& packet) noexcept {
    packet.vlan = 0;
    Cursor cursor{frame.data(), frame.size()};
    switch (link) {
        case LinkType::ethernet:
            if (!cursor.has(14)) return DecodeResult::failed(DecodeError::truncated_link_header);
            cursor.skip(14);
            return decode_ethertype(read_be16(frame.data() + 12), cursor, packet);
        case LinkType::raw_ip:
            return decode_ip(cursor, packet, 0);
        case LinkType::null_loopback: {
            // BSD loopback: a 4-byte address family in the capturing host's byte order.
            if (!cursor.has(4)) return DecodeResult::failed(DecodeError::truncated_link_header);
            cursor.skip(4);
            if (!cursor.has(1)) return DecodeResult::failed(DecodeError::truncated_ipv4);
            const uint8_t version = cursor.data[0] >> 4;
            if (version != 4 && version != 6) return {DecodeStatus::not_ip, DecodeError::count};
            return decode_ip(cursor, packet, 0);
        }
        case LinkType::linux_sll:
            if (!cursor.has(16)) return DecodeResult::failed(DecodeError::truncated_link_header);
            cursor.skip(16);
            return decode_ethertype(read_be16(frame.data() + 14), cursor, packet);
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
            if (protocol == 0x0021 || protocol == kEtherTypeIpv4)
                return decode_ipv4(cursor, packet, 0);
            if (protocol == 0x0057 || protocol == kEtherTypeIpv6)
                return decode_ipv6(cursor, packet, 0);
            if (protocol == kEtherTypeMplsUnicast || protocol == 0x0281)
                return decode_mpls(cursor, packet);
            return {DecodeStatus::not_ip, DecodeError::count};
        }
    }
    return DecodeResult::failed(DecodeError::unsupported_link_type);
}

}  // namespace ottscope
