#include "dataplane/packet_decoder.h"

#include <gtest/gtest.h>

#include "tests/frame_builder.h"

namespace ottscope {
namespace {

using test::FrameBuilder;

DecodeResult decode(LinkType link, const std::vector<uint8_t>& frame, DecodedPacket& packet) {
    return decode_packet(link, {frame.data(), frame.size()}, packet);
}

TEST(PacketDecoder, Ipv4TcpOverEthernet) {
    FrameBuilder b;
    b.ethernet(0x0800).ipv4({10, 0, 0, 1}, {10, 0, 0, 2}, 6, 20 + 5).tcp(40000, 443, 0x18);
    b.bytes({'h', 'e', 'l', 'l', 'o'});
    DecodedPacket packet;
    ASSERT_EQ(decode(LinkType::ethernet, b.frame(), packet).status, DecodeStatus::ok);
    EXPECT_EQ(packet.ip_version, 4);
    EXPECT_EQ(packet.ip_protocol, 6);
    EXPECT_EQ(packet.source.port, 40000);
    EXPECT_EQ(packet.destination.port, 443);
    EXPECT_EQ(packet.payload_length, 5);
    EXPECT_EQ(packet.l3_length, 45);
    EXPECT_EQ(packet.tcp_flags, 0x18);
}

TEST(PacketDecoder, EthernetPaddingIsNotPayload) {
    FrameBuilder b;
    b.ethernet(0x0800).ipv4({10, 0, 0, 1}, {10, 0, 0, 2}, 6, 20).tcp(1, 2, 0x10).zeros(6);
    DecodedPacket packet;
    ASSERT_EQ(decode(LinkType::ethernet, b.frame(), packet).status, DecodeStatus::ok);
    EXPECT_EQ(packet.payload_length, 0);
    EXPECT_EQ(packet.l3_length, 40);
}

TEST(PacketDecoder, StackedVlanTagsKeepInnermostId) {
    FrameBuilder b;
    b.ethernet(0x88a8).vlan(100, 0x8100).vlan(200, 0x0800);
    b.ipv4({10, 0, 0, 1}, {10, 0, 0, 2}, 17, 8).udp(53, 5353, 0);
    DecodedPacket packet;
    ASSERT_EQ(decode(LinkType::ethernet, b.frame(), packet).status, DecodeStatus::ok);
    EXPECT_EQ(packet.vlan, 200);
    EXPECT_EQ(packet.ip_protocol, 17);
}

TEST(PacketDecoder, Ipv6WithHopByHopExtension) {
    FrameBuilder b;
    b.ethernet(0x86dd).ipv6(0, 8 + 8, 1, 2);
    b.bytes({17, 0}).zeros(6);  // hop-by-hop: next header UDP, 8 bytes
    b.udp(5060, 5060, 0);
    DecodedPacket packet;
    ASSERT_EQ(decode(LinkType::ethernet, b.frame(), packet).status, DecodeStatus::ok);
    EXPECT_EQ(packet.ip_version, 6);
    EXPECT_EQ(packet.ip_protocol, 17);
    EXPECT_EQ(packet.source.port, 5060);
}

TEST(PacketDecoder, ArpIsNotIp) {
    FrameBuilder b;
    b.ethernet(0x0806).zeros(28);
    DecodedPacket packet;
    EXPECT_EQ(decode(LinkType::ethernet, b.frame(), packet).status, DecodeStatus::not_ip);
}

TEST(PacketDecoder, NonFirstFragmentIsCountedApart) {
    FrameBuilder b;
    b.ethernet(0x0800).ipv4({10, 0, 0, 1}, {10, 0, 0, 2}, 17, 16, /*fragment=*/185).zeros(16);
    DecodedPacket packet;
    EXPECT_EQ(decode(LinkType::ethernet, b.frame(), packet).status, DecodeStatus::ip_fragment);
}

TEST(PacketDecoder, TruncatedEthernetHeader) {
    FrameBuilder b;
    b.zeros(10);
    DecodedPacket packet;
    const DecodeResult r = decode(LinkType::ethernet, b.frame(), packet);
    EXPECT_EQ(r.status, DecodeStatus::error);
    EXPECT_EQ(r.error, DecodeError::truncated_link_header);
}

TEST(PacketDecoder, Ipv4HeaderLengthBelowMinimum) {
    FrameBuilder b;
    b.ethernet(0x0800).bytes({0x44}).zeros(39);
    DecodedPacket packet;
    const DecodeResult r = decode(LinkType::ethernet, b.frame(), packet);
    EXPECT_EQ(r.status, DecodeStatus::error);
    EXPECT_EQ(r.error, DecodeError::bad_ipv4_header_length);
}

TEST(PacketDecoder, SnapLengthShorterThanPacket) {
    FrameBuilder b;
    b.ethernet(0x0800).ipv4({10, 0, 0, 1}, {10, 0, 0, 2}, 6, 1000).tcp(1, 2, 0);
    DecodedPacket packet;
    const DecodeResult r = decode(LinkType::ethernet, b.frame(), packet);
    EXPECT_EQ(r.status, DecodeStatus::error);
    EXPECT_EQ(r.error, DecodeError::capture_truncated);
}

TEST(PacketDecoder, GarbageVersionNibble) {
    FrameBuilder b;
    b.bytes({0x95}).zeros(30);
    DecodedPacket packet;
    const DecodeResult r = decode(LinkType::raw_ip, b.frame(), packet);
    EXPECT_EQ(r.status, DecodeStatus::error);
    EXPECT_EQ(r.error, DecodeError::bad_ip_version);
}

TEST(PacketDecoder, BsdLoopbackHeader) {
    FrameBuilder b;
    b.bytes({2, 0, 0, 0}).ipv4({127, 0, 0, 1}, {127, 0, 0, 1}, 17, 8).udp(1000, 2000, 0);
    DecodedPacket packet;
    ASSERT_EQ(decode(LinkType::null_loopback, b.frame(), packet).status, DecodeStatus::ok);
    EXPECT_EQ(packet.destination.port, 2000);
}

TEST(PacketDecoder, LinuxCookedCapture) {
    FrameBuilder b;
    b.zeros(14).be16(0x0800).ipv4({10, 0, 0, 1}, {10, 0, 0, 2}, 17, 8).udp(1, 2, 0);
    DecodedPacket packet;
    ASSERT_EQ(decode(LinkType::linux_sll, b.frame(), packet).status, DecodeStatus::ok);
    EXPECT_EQ(packet.ip_protocol, 17);
}

TEST(PacketDecoder, GtpUserPlaneYieldsTheInnerFlow) {
    FrameBuilder inner;
    inner.ipv4({100, 64, 0, 1}, {198, 51, 100, 1}, 6, 20).tcp(50000, 443, 0x02);
    const auto& inner_bytes = inner.frame();
    FrameBuilder b;
    const auto gtp_length = static_cast<uint16_t>(inner_bytes.size());
    b.ethernet(0x0800).ipv4({10, 1, 0, 1}, {10, 1, 0, 2}, 17, 8 + 8 + gtp_length);
    b.udp(2152, 2152, 8 + gtp_length).bytes({0x30, 0xff}).be16(gtp_length).bytes({0, 0, 0, 7});
    for (uint8_t byte : inner_bytes) b.bytes({byte});
    DecodedPacket packet;
    ASSERT_EQ(decode(LinkType::ethernet, b.frame(), packet).status, DecodeStatus::ok);
    EXPECT_EQ(packet.destination.port, 443);
    EXPECT_EQ(packet.source.address[12], 100);
}

TEST(PacketDecoder, MplsLabelStackOverEthernet) {
    FrameBuilder b;
    b.ethernet(0x8847).bytes({0, 0x10, 0x00, 64}).bytes({0, 0x20, 0x01, 64});  // two labels
    b.ipv4({10, 0, 0, 1}, {10, 0, 0, 2}, 6, 20).tcp(179, 40000, 0x18);
    DecodedPacket packet;
    ASSERT_EQ(decode(LinkType::ethernet, b.frame(), packet).status, DecodeStatus::ok);
    EXPECT_EQ(packet.source.port, 179);
}

TEST(PacketDecoder, PppoeSession) {
    FrameBuilder b;
    b.ethernet(0x8864).bytes({0x11, 0x00, 0x00, 0x01}).be16(2 + 28).be16(0x0021);
    b.ipv4({10, 0, 0, 1}, {10, 0, 0, 2}, 17, 8).udp(1000, 53, 0);
    DecodedPacket packet;
    ASSERT_EQ(decode(LinkType::ethernet, b.frame(), packet).status, DecodeStatus::ok);
    EXPECT_EQ(packet.destination.port, 53);
}

TEST(PacketDecoder, EndlessMplsStackIsAnError) {
    FrameBuilder b;
    b.ethernet(0x8847);
    for (int i = 0; i < 20; ++i) b.bytes({0, 0x10, 0x00, 64});  // bottom-of-stack never set
    DecodedPacket packet;
    EXPECT_EQ(decode(LinkType::ethernet, b.frame(), packet).status, DecodeStatus::error);
}

TEST(PacketDecoder, EveryPrefixOfAFrameIsHandled) {
    // Hostile input: every truncation of a valid frame must decode or fail cleanly.
    FrameBuilder b;
    b.ethernet(0x8100).vlan(7, 0x86dd).ipv6(44, 8 + 8, 1, 2).bytes({17, 0, 0, 1, 0, 0, 0, 9});
    b.udp(1, 2, 0);
    for (size_t length = 0; length <= b.frame().size(); ++length) {
        DecodedPacket packet;
        const DecodeResult r =
            decode_packet(LinkType::ethernet, {b.frame().data(), length}, packet);
        if (length < b.frame().size()) {
            EXPECT_EQ(r.status, DecodeStatus::error) << length;
        }
    }
}

// --- Carrier encapsulations: each wraps the same inner TCP SYN 100.64.0.1:50000 ->
// 198.51.100.1:443.

std::vector<uint8_t> inner_ipv4_syn() {
    FrameBuilder inner;
    inner.ipv4({100, 64, 0, 1}, {198, 51, 100, 1}, 6, 20).tcp(50000, 443, 0x02);
    return inner.frame();
}

std::vector<uint8_t> inner_ethernet_syn() {
    FrameBuilder inner;
    inner.ethernet(0x0800).append(inner_ipv4_syn());
    return inner.frame();
}

void expect_inner_syn(const DecodedPacket& packet) {
    EXPECT_EQ(packet.ip_version, 4);
    EXPECT_EQ(packet.ip_protocol, 6);
    EXPECT_EQ(packet.source.address[12], 100);
    EXPECT_EQ(packet.destination.address[12], 198);
    EXPECT_EQ(packet.source.port, 50000);
    EXPECT_EQ(packet.destination.port, 443);
    EXPECT_EQ(packet.tcp_flags, 0x02);
    EXPECT_EQ(packet.l3_length, 40);
}

// Outer Ethernet + IPv4 10.1.0.1 -> 10.1.0.2 carrying `protocol` with `body` after it.
std::vector<uint8_t> outer_ipv4(uint8_t protocol, const std::vector<uint8_t>& body) {
    FrameBuilder b;
    b.ethernet(0x0800).ipv4({10, 1, 0, 1}, {10, 1, 0, 2}, protocol,
                            static_cast<uint16_t>(body.size()));
    return b.append(body).frame();
}

std::vector<uint8_t> udp_datagram(uint16_t source, uint16_t destination,
                                  const std::vector<uint8_t>& body) {
    FrameBuilder b;
    b.udp(source, destination, static_cast<uint16_t>(body.size()));
    return b.append(body).frame();
}

DecodedPacket decode_ok(const std::vector<uint8_t>& frame) {
    DecodedPacket packet;
    const DecodeResult r = decode(LinkType::ethernet, frame, packet);
    EXPECT_EQ(r.status, DecodeStatus::ok) << static_cast<int>(r.error);
    return packet;
}

DecodeError decode_error_of(const std::vector<uint8_t>& frame) {
    DecodedPacket packet;
    const DecodeResult r = decode(LinkType::ethernet, frame, packet);
    EXPECT_EQ(r.status, DecodeStatus::error);
    return r.error;
}

TEST(PacketDecoder, VlanTagOverIpv6) {
    FrameBuilder b;
    b.ethernet(0x8100).vlan(0x2064, 0x86dd).ipv6(17, 8, 1, 2).udp(5353, 53, 0);
    const DecodedPacket packet = decode_ok(b.frame());
    EXPECT_EQ(packet.vlan, 0x064);  // priority bits are not part of the id
    EXPECT_EQ(packet.ip_version, 6);
    EXPECT_EQ(packet.tunnel.type, TunnelType::none);
}

TEST(PacketDecoder, QinQWithOld9100Outer) {
    FrameBuilder b;
    b.ethernet(0x9100).vlan(30, 0x8100).vlan(40, 0x0800).append(inner_ipv4_syn());
    const DecodedPacket packet = decode_ok(b.frame());
    EXPECT_EQ(packet.vlan, 40);
    expect_inner_syn(packet);
}

TEST(PacketDecoder, FiveVlanTagsAreTooMany) {
    FrameBuilder b;
    b.ethernet(0x8100);
    for (int i = 0; i < 5; ++i) b.vlan(1, 0x8100);
    b.zeros(40);
    EXPECT_EQ(decode_error_of(b.frame()), DecodeError::truncated_vlan);
}

TEST(PacketDecoder, MplsPseudowireControlWordThenEthernet) {
    FrameBuilder b;
    b.ethernet(0x8847).bytes({0, 0x10, 0x01, 64});  // one label, bottom of stack
    b.be32(0x0000'0007);                            // control word: first nibble 0
    b.append(inner_ethernet_syn());
    expect_inner_syn(decode_ok(b.frame()));
}

TEST(PacketDecoder, MplsOverIpv6Payload) {
    FrameBuilder b;
    b.ethernet(0x8847).bytes({0, 0x10, 0x01, 64}).ipv6(6, 20, 1, 2).tcp(1, 443, 0x02);
    const DecodedPacket packet = decode_ok(b.frame());
    EXPECT_EQ(packet.ip_version, 6);
    EXPECT_EQ(packet.destination.port, 443);
}

TEST(PacketDecoder, MplsStackCutShort) {
    FrameBuilder b;
    b.ethernet(0x8847).bytes({0, 0x10, 0x00, 64}).bytes({0, 0x20});
    EXPECT_EQ(decode_error_of(b.frame()), DecodeError::bad_mpls);
}

TEST(PacketDecoder, PppoeWithCompressedProtocolField) {
    FrameBuilder b;
    b.ethernet(0x8864).bytes({0x11, 0x00, 0x00, 0x01}).be16(1 + 40).bytes({0x21});
    b.append(inner_ipv4_syn());
    expect_inner_syn(decode_ok(b.frame()));
}

TEST(PacketDecoder, PppoeIpv6AndLcp) {
    FrameBuilder v6;
    v6.ethernet(0x8864).bytes({0x11, 0, 0, 1}).be16(2 + 48).be16(0x0057);
    v6.ipv6(17, 8, 1, 2).udp(1, 2, 0);
    EXPECT_EQ(decode_ok(v6.frame()).ip_version, 6);
    FrameBuilder lcp;
    lcp.ethernet(0x8864).bytes({0x11, 0, 0, 1}).be16(6).be16(0xc021).zeros(4);
    DecodedPacket packet;
    EXPECT_EQ(decode(LinkType::ethernet, lcp.frame(), packet).status, DecodeStatus::not_ip);
}

TEST(PacketDecoder, TruncatedPppoeHeader) {
    FrameBuilder b;
    b.ethernet(0x8864).bytes({0x11, 0, 0, 1});
    EXPECT_EQ(decode_error_of(b.frame()), DecodeError::bad_pppoe);
}

TEST(PacketDecoder, GreWithChecksumKeyAndSequence) {
    FrameBuilder gre;
    gre.be16(0xb000).be16(0x0800).be32(0x1234'0000).be32(77).be32(9);
    gre.append(inner_ipv4_syn());
    const DecodedPacket packet = decode_ok(outer_ipv4(47, gre.frame()));
    expect_inner_syn(packet);
    EXPECT_EQ(packet.tunnel.type, TunnelType::gre);
    EXPECT_EQ(packet.tunnel.id, 77u);
    EXPECT_EQ(packet.tunnel.outer_source[15], 1);
    EXPECT_EQ(packet.tunnel.outer_destination[15], 2);
}

TEST(PacketDecoder, GreTransparentEthernetBridging) {
    FrameBuilder gre;
    gre.be16(0x0000).be16(0x6558).append(inner_ethernet_syn());
    const DecodedPacket packet = decode_ok(outer_ipv4(47, gre.frame()));
    expect_inner_syn(packet);
    EXPECT_EQ(packet.tunnel.type, TunnelType::gre);
}

TEST(PacketDecoder, GreOverIpv6CarryingIpv6) {
    FrameBuilder inner;
    inner.ipv6(17, 8, 7, 8).udp(4000, 53, 0);
    FrameBuilder b;
    b.ethernet(0x86dd).ipv6(47, static_cast<uint16_t>(4 + inner.frame().size()), 1, 2);
    b.be16(0).be16(0x86dd).append(inner.frame());
    const DecodedPacket packet = decode_ok(b.frame());
    EXPECT_EQ(packet.tunnel.outer_ip_version, 6);
    EXPECT_EQ(packet.source.address[15], 7);
    EXPECT_EQ(packet.destination.port, 53);
}

TEST(PacketDecoder, PptpEnhancedGreWithPpp) {
    FrameBuilder gre;
    const auto ip = inner_ipv4_syn();
    gre.be16(0x3081).be16(0x880b).be16(static_cast<uint16_t>(ip.size() + 4)).be16(0x0042);
    gre.be32(1).be32(0);  // sequence, acknowledgement
    gre.bytes({0xff, 0x03}).be16(0x0021).append(ip);
    const DecodedPacket packet = decode_ok(outer_ipv4(47, gre.frame()));
    expect_inner_syn(packet);
    EXPECT_EQ(packet.tunnel.id, 0x42u);
}

TEST(PacketDecoder, GreWithRoutingOrVersion2IsBad) {
    FrameBuilder routing;
    routing.be16(0x4000).be16(0x0800).zeros(8);
    EXPECT_EQ(decode_error_of(outer_ipv4(47, routing.frame())), DecodeError::bad_gre);
    FrameBuilder version;
    version.be16(0x0002).be16(0x0800).zeros(8);
    EXPECT_EQ(decode_error_of(outer_ipv4(47, version.frame())), DecodeError::bad_gre);
    FrameBuilder cut;
    cut.be16(0x3000).be16(0x0800).be16(1);  // key and sequence announced, not there
    EXPECT_EQ(decode_error_of(outer_ipv4(47, cut.frame())), DecodeError::bad_gre);
}

TEST(PacketDecoder, GreKeepaliveIsNotIp) {
    FrameBuilder gre;
    gre.be16(0).be16(0x0000);
    DecodedPacket packet;
    EXPECT_EQ(decode(LinkType::ethernet, outer_ipv4(47, gre.frame()), packet).status,
              DecodeStatus::not_ip);
}

TEST(PacketDecoder, ErspanTypeII) {
    FrameBuilder gre;
    gre.be16(0x1000).be16(0x88be).be32(5);                           // GRE with sequence
    gre.be32((1u << 28) | 33).be32(0).append(inner_ethernet_syn());  // version 1, session 33
    const DecodedPacket packet = decode_ok(outer_ipv4(47, gre.frame()));
    expect_inner_syn(packet);
    EXPECT_EQ(packet.tunnel.type, TunnelType::erspan);
    EXPECT_EQ(packet.tunnel.id, 33u);
}

TEST(PacketDecoder, ErspanTypeIWithoutHeader) {
    FrameBuilder gre;
    gre.be16(0x0000).be16(0x88be).append(inner_ethernet_syn());
    expect_inner_syn(decode_ok(outer_ipv4(47, gre.frame())));
}

TEST(PacketDecoder, ErspanTypeIIIWithAndWithoutPlatformSubheader) {
    for (const bool subheader : {false, true}) {
        FrameBuilder gre;
        gre.be16(0x1000).be16(0x22eb).be32(5);
        gre.be32((2u << 28) | 44).be32(123456).be32(subheader ? 0x57u : 0x56u);
        if (subheader) gre.be32(0x0c00'1234).be32(0xcafe);
        gre.append(inner_ethernet_syn());
        const DecodedPacket packet = decode_ok(outer_ipv4(47, gre.frame()));
        expect_inner_syn(packet);
        EXPECT_EQ(packet.tunnel.id, 44u);
    }
}

TEST(PacketDecoder, ErspanTypeIIIFrameTypeIp) {
    FrameBuilder gre;
    gre.be16(0x1000).be16(0x22eb).be32(5);
    gre.be32((2u << 28) | 44).be32(0).be32(2u << 10).append(inner_ipv4_syn());
    expect_inner_syn(decode_ok(outer_ipv4(47, gre.frame())));
}

TEST(PacketDecoder, ErspanWrongVersionOrTruncated) {
    FrameBuilder version;
    version.be16(0x1000).be16(0x88be).be32(5).be32(3u << 28).be32(0).append(inner_ethernet_syn());
    EXPECT_EQ(decode_error_of(outer_ipv4(47, version.frame())), DecodeError::bad_erspan);
    FrameBuilder cut;
    cut.be16(0x1000).be16(0x22eb).be32(5).be32(2u << 28).be32(0).be16(0);
    EXPECT_EQ(decode_error_of(outer_ipv4(47, cut.frame())), DecodeError::bad_erspan);
}

TEST(PacketDecoder, VxlanCarriesEthernet) {
    FrameBuilder vxlan;
    vxlan.be32(0x0800'0000).be32(4242u << 8).append(inner_ethernet_syn());
    const DecodedPacket packet =
        decode_ok(outer_ipv4(17, udp_datagram(50123, 4789, vxlan.frame())));
    expect_inner_syn(packet);
    EXPECT_EQ(packet.tunnel.type, TunnelType::vxlan);
    EXPECT_EQ(packet.tunnel.id, 4242u);
}

TEST(PacketDecoder, VxlanWithoutValidVniFlagOrTruncated) {
    FrameBuilder flag;
    flag.be32(0).be32(1u << 8).append(inner_ethernet_syn());
    EXPECT_EQ(decode_error_of(outer_ipv4(17, udp_datagram(1, 4789, flag.frame()))),
              DecodeError::bad_vxlan);
    FrameBuilder inner_cut;
    inner_cut.be32(0x0800'0000).be32(1u << 8).zeros(6);
    EXPECT_EQ(decode_error_of(outer_ipv4(17, udp_datagram(1, 4789, inner_cut.frame()))),
              DecodeError::truncated_tunnel);
}

TEST(PacketDecoder, GeneveWithOptionsCarryingEthernet) {
    FrameBuilder geneve;
    geneve.bytes({0x02, 0x00}).be16(0x6558).be32(10u << 8).zeros(8);  // 8 bytes of options
    geneve.append(inner_ethernet_syn());
    const DecodedPacket packet =
        decode_ok(outer_ipv4(17, udp_datagram(12618, 6081, geneve.frame())));
    expect_inner_syn(packet);
    EXPECT_EQ(packet.tunnel.type, TunnelType::geneve);
    EXPECT_EQ(packet.tunnel.id, 10u);
    // The VNI may differ by direction: it is not part of the discriminator.
    TunnelInfo reply = packet.tunnel;
    std::swap(reply.outer_source, reply.outer_destination);
    reply.id = 11;
    EXPECT_EQ(tunnel_discriminator(reply), tunnel_discriminator(packet.tunnel));
    FrameBuilder cut;
    cut.bytes({0x3f, 0x00}).be16(0x6558).be32(0);  // 252 bytes of options announced
    EXPECT_EQ(decode_error_of(outer_ipv4(17, udp_datagram(1, 6081, cut.frame()))),
              DecodeError::bad_vxlan);
}

TEST(PacketDecoder, VxlanFromPort4789AndVxlanGpe) {
    FrameBuilder vxlan;
    vxlan.be32(0x0c00'0003).be32(7u << 8).append(inner_ethernet_syn());  // GPE, next: Ethernet
    expect_inner_syn(decode_ok(outer_ipv4(17, udp_datagram(4789, 4790, vxlan.frame()))));
    FrameBuilder gpe_ip;
    gpe_ip.be32(0x0c00'0001).be32(7u << 8).append(inner_ipv4_syn());  // GPE, next: IPv4
    expect_inner_syn(decode_ok(outer_ipv4(17, udp_datagram(40000, 4790, gpe_ip.frame()))));
    // An ordinary datagram from an ephemeral port 4789 stays what it is.
    FrameBuilder dns;
    dns.be16(0x1234).be16(0x0100).zeros(30);
    const DecodedPacket packet = decode_ok(outer_ipv4(17, udp_datagram(4789, 53, dns.frame())));
    EXPECT_EQ(packet.tunnel.type, TunnelType::none);
    EXPECT_EQ(packet.destination.port, 53);
}

std::vector<uint8_t> gtpu(uint32_t teid, const std::vector<uint8_t>& extensions,
                          const std::vector<uint8_t>& payload) {
    FrameBuilder b;
    const bool with_extension = !extensions.empty();
    const size_t length = (with_extension ? 4 + extensions.size() : 0) + payload.size();
    b.bytes({static_cast<uint8_t>(with_extension ? 0x34 : 0x30), 0xff});
    b.be16(static_cast<uint16_t>(length)).be32(teid);
    if (with_extension) b.be16(0).bytes({0}).append(extensions);
    return b.append(payload).frame();
}

TEST(PacketDecoder, GtpuWithExtensionHeaderChain) {
    // Next extension type 0x85 (PDU session container), one 4-byte header, end of chain.
    const std::vector<uint8_t> extensions = {0x85, 1, 0x10, 0x09, 0x00};
    const auto body = gtpu(0x1000'0001, extensions, inner_ipv4_syn());
    const DecodedPacket packet = decode_ok(outer_ipv4(17, udp_datagram(2152, 2152, body)));
    expect_inner_syn(packet);
    EXPECT_EQ(packet.tunnel.type, TunnelType::gtpu);
    EXPECT_EQ(packet.tunnel.id, 0x1000'0001u);
}

TEST(PacketDecoder, GtpuBrokenExtensionChain) {
    const std::vector<uint8_t> zero_length = {0x85, 0, 0x10, 0x09, 0x00};
    EXPECT_EQ(decode_error_of(
                  outer_ipv4(17, udp_datagram(2152, 2152, gtpu(1, zero_length, inner_ipv4_syn())))),
              DecodeError::bad_gtpu);
    const std::vector<uint8_t> past_end = {0x85, 200, 0x10};
    EXPECT_EQ(decode_error_of(outer_ipv4(17, udp_datagram(2152, 2152, gtpu(1, past_end, {})))),
              DecodeError::bad_gtpu);
}

TEST(PacketDecoder, GtpuEchoAndGtpPrimeStayUdp) {
    FrameBuilder echo;
    echo.bytes({0x32, 0x01}).be16(4).be32(0).be32(0);
    const DecodedPacket packet = decode_ok(outer_ipv4(17, udp_datagram(2152, 2152, echo.frame())));
    EXPECT_EQ(packet.tunnel.type, TunnelType::none);
    EXPECT_EQ(packet.destination.port, 2152);
    FrameBuilder prime;  // protocol type 0: GTP', not a user-plane tunnel
    prime.bytes({0x2e, 0xff}).be16(0).be32(0);
    EXPECT_EQ(decode_ok(outer_ipv4(17, udp_datagram(2152, 2152, prime.frame()))).tunnel.type,
              TunnelType::none);
}

TEST(PacketDecoder, GtpuOverIpv6CarryingIpv6) {
    FrameBuilder inner;
    inner.ipv6(6, 20, 9, 10).tcp(40000, 443, 0x02);
    const auto body = udp_datagram(2152, 2152, gtpu(7, {}, inner.frame()));
    FrameBuilder b;
    b.ethernet(0x86dd).ipv6(17, static_cast<uint16_t>(body.size()), 1, 2).append(body);
    const DecodedPacket packet = decode_ok(b.frame());
    EXPECT_EQ(packet.ip_version, 6);
    EXPECT_EQ(packet.source.address[15], 9);
    EXPECT_EQ(packet.tunnel.outer_ip_version, 6);
    EXPECT_EQ(packet.tunnel.outer_source[15], 1);
}

TEST(PacketDecoder, GtpuDirectionsShareTheTunnelDiscriminator) {
    // Uplink 10.1.0.1 -> 10.1.0.2 with TEID 1, downlink the other way with TEID 2: same flow.
    const auto up = outer_ipv4(17, udp_datagram(2152, 2152, gtpu(1, {}, inner_ipv4_syn())));
    FrameBuilder reply_inner;
    reply_inner.ipv4({198, 51, 100, 1}, {100, 64, 0, 1}, 6, 20).tcp(443, 50000, 0x12);
    FrameBuilder down;
    const auto down_body = udp_datagram(2152, 2152, gtpu(2, {}, reply_inner.frame()));
    down.ethernet(0x0800).ipv4({10, 1, 0, 2}, {10, 1, 0, 1}, 17,
                               static_cast<uint16_t>(down_body.size()));
    down.append(down_body);
    const DecodedPacket a = decode_ok(up);
    const DecodedPacket b = decode_ok(down.frame());
    EXPECT_NE(tunnel_discriminator(a.tunnel), 0u);
    EXPECT_EQ(tunnel_discriminator(a.tunnel), tunnel_discriminator(b.tunnel));
    FlowKey ka;
    FlowKey kb;
    make_flow_key(a.source, a.destination, 6, 4, 0, 0, ka, tunnel_discriminator(a.tunnel));
    make_flow_key(b.source, b.destination, 6, 4, 0, 0, kb, tunnel_discriminator(b.tunnel));
    EXPECT_EQ(ka, kb);
    // Another pair of tunnel endpoints keeps its equal inner addresses apart.
    TunnelInfo other = a.tunnel;
    other.outer_destination[15] = 3;
    EXPECT_NE(tunnel_discriminator(other), tunnel_discriminator(a.tunnel));
}

TEST(PacketDecoder, FlowTunnelRecordsTeidPerDirection) {
    const auto up =
        decode_ok(outer_ipv4(17, udp_datagram(2152, 2152, gtpu(11, {}, inner_ipv4_syn()))));
    TunnelInfo down = up.tunnel;
    std::swap(down.outer_source, down.outer_destination);
    down.id = 22;
    FlowTunnel flow;
    flow.note(up.tunnel, 0);
    flow.note(down, 1);
    EXPECT_EQ(flow.type, TunnelType::gtpu);
    EXPECT_EQ(flow.id_up, 11u);
    EXPECT_EQ(flow.id_down, 22u);
    EXPECT_EQ(flow.outer_client[15], 1);
    EXPECT_EQ(flow.outer_server[15], 2);
}

TEST(PacketDecoder, NestedTunnelsStopAtTheDepthLimit) {
    // GRE in GRE in GRE ... until the limit: an error, never a stack overflow.
    std::vector<uint8_t> body = inner_ipv4_syn();
    for (int i = 0; i < 8; ++i) {
        FrameBuilder gre;
        gre.be16(0).be16(0x0800).append(body);
        FrameBuilder ip;
        ip.ipv4({10, 9, 0, 1}, {10, 9, 0, 2}, 47, static_cast<uint16_t>(gre.frame().size()));
        body = ip.append(gre.frame()).frame();
    }
    FrameBuilder b;
    b.ethernet(0x0800).append(body);
    EXPECT_EQ(decode_error_of(b.frame()), DecodeError::tunnel_too_deep);
}

TEST(PacketDecoder, IpInIpYieldsTheInnerPacket) {
    expect_inner_syn(decode_ok(outer_ipv4(4, inner_ipv4_syn())));
}

// --- IPv6 extension headers and fragments.

TEST(PacketDecoder, Ipv6RoutingDestinationAuthenticationAndMobilityHeaders) {
    FrameBuilder b;
    b.ethernet(0x86dd).ipv6(43, 8 + 8 + 12 + 8 + 8, 1, 2);
    b.bytes({60, 0, 0, 0}).zeros(4);  // routing (type 0, no segments left) -> dest opts
    b.bytes({51, 0}).zeros(6);        // destination options -> AH
    b.bytes({135, 1}).zeros(10);      // AH: (1 + 2) * 4 = 12 bytes -> mobility
    b.bytes({17, 0}).zeros(6);        // mobility header, 8 bytes -> UDP
    b.udp(1000, 5060, 0);
    const DecodedPacket packet = decode_ok(b.frame());
    EXPECT_EQ(packet.ip_protocol, 17);
    EXPECT_EQ(packet.destination.port, 5060);
}

TEST(PacketDecoder, Ipv6ExtensionRunningPastThePacket) {
    FrameBuilder b;
    b.ethernet(0x86dd).ipv6(0, 8 + 8, 1, 2).bytes({17, 4}).zeros(6).udp(1, 2, 0);
    EXPECT_EQ(decode_error_of(b.frame()), DecodeError::bad_ipv6_extension);
}

TEST(PacketDecoder, FirstIpv4FragmentGoesToReassembly) {
    FrameBuilder b;
    b.ethernet(0x0800).ipv4({10, 0, 0, 1}, {10, 0, 0, 2}, 6, 24, /*more fragments*/ 0x2000);
    b.tcp(1, 443, 0x18).zeros(4);
    DecodedPacket packet;
    EXPECT_EQ(decode(LinkType::ethernet, b.frame(), packet).status, DecodeStatus::ip_fragment);
    EXPECT_EQ(packet.l3_header_length, 20);
    EXPECT_EQ(packet.l3 - b.frame().data(), 14);
}

TEST(PacketDecoder, Ipv6FragmentHeaderRightAfterTheFixedHeader) {
    FrameBuilder b;
    b.ethernet(0x86dd).ipv6(44, 8 + 16, 1, 2).bytes({17, 0}).be16(0x0008).be32(99).zeros(16);
    DecodedPacket packet;
    EXPECT_EQ(decode(LinkType::ethernet, b.frame(), packet).status, DecodeStatus::ip_fragment);
    EXPECT_EQ(packet.l3_header_length, 48);
    EXPECT_EQ(packet.ip_protocol, 17);
}

TEST(PacketDecoder, Ipv6FragmentAfterOtherExtensionsCannotBeReassembled) {
    FrameBuilder b;
    b.ethernet(0x86dd).ipv6(0, 8 + 8 + 16, 1, 2).bytes({44, 0}).zeros(6);
    b.bytes({17, 0}).be16(0x0008).be32(99).zeros(16);
    DecodedPacket packet;
    EXPECT_EQ(decode(LinkType::ethernet, b.frame(), packet).status, DecodeStatus::ip_fragment);
    EXPECT_EQ(packet.l3_header_length, 0);
}

TEST(PacketDecoder, FragmentBeyondTheLargestDatagram) {
    FrameBuilder b;
    b.ethernet(0x0800).ipv4({10, 0, 0, 1}, {10, 0, 0, 2}, 17, 16, 0x1fff).zeros(16);
    EXPECT_EQ(decode_error_of(b.frame()), DecodeError::bad_ip_fragment);
}

TEST(PacketDecoder, FragmentsInsideATunnel) {
    FrameBuilder later;
    later.ipv4({100, 64, 0, 1}, {198, 51, 100, 1}, 17, 16, 185).zeros(16);
    DecodedPacket packet;
    EXPECT_EQ(decode(LinkType::ethernet,
                     outer_ipv4(17, udp_datagram(2152, 2152, gtpu(1, {}, later.frame()))), packet)
                  .status,
              DecodeStatus::tunnel_fragment);
    // The first one goes to reassembly too; given up on, it is decoded alone (ports and
    // the start of the payload).
    FrameBuilder first;
    first.ipv4({100, 64, 0, 1}, {198, 51, 100, 1}, 6, 24, 0x2000).tcp(50000, 443, 0x02).zeros(4);
    const auto framed = outer_ipv4(17, udp_datagram(2152, 2152, gtpu(1, {}, first.frame())));
    EXPECT_EQ(decode(LinkType::ethernet, framed, packet).status, DecodeStatus::tunnel_fragment);
    EXPECT_EQ(decode_packet(LinkType::ethernet, framed, packet, FragmentPolicy::first_alone).status,
              DecodeStatus::ok);
    EXPECT_EQ(packet.destination.port, 443);
}

TEST(PacketDecoder, ReassembledDatagramTrustsTheFrameOverOuterLengths) {
    // What rte_ip_frag builds from fragments inside GTP-U: the outer IPv4 header still says
    // the first fragment's length; the inner header says the whole datagram's.
    FrameBuilder inner;
    inner.ipv4({100, 64, 0, 1}, {198, 51, 100, 1}, 6, 20 + 400, 0).tcp(50000, 443, 0x18);
    inner.zeros(400);
    auto frame = outer_ipv4(17, udp_datagram(2152, 2152, gtpu(1, {}, inner.frame())));
    // Shrink the outer total length as the first fragment had it.
    const size_t outer_ip = 14;
    frame[outer_ip + 2] = 0;
    frame[outer_ip + 3] = 200;
    DecodedPacket packet;
    EXPECT_EQ(decode(LinkType::ethernet, frame, packet).status, DecodeStatus::error);
    EXPECT_EQ(decode_packet(LinkType::ethernet, frame, packet, FragmentPolicy::reassembled).status,
              DecodeStatus::ok);
    EXPECT_EQ(packet.payload_length, 400);
}

TEST(PacketDecoder, EveryPrefixOfEachEncapsulationIsHandled) {
    FrameBuilder vxlan;
    vxlan.be32(0x0800'0000).be32(1u << 8).append(inner_ethernet_syn());
    FrameBuilder erspan;
    erspan.be16(0x1000).be16(0x22eb).be32(5).be32((2u << 28) | 44).be32(0).be32(0x57);
    erspan.be32(0).be32(0).append(inner_ethernet_syn());
    const std::vector<std::vector<uint8_t>> frames = {
        outer_ipv4(17, udp_datagram(1, 4789, vxlan.frame())),
        outer_ipv4(47, erspan.frame()),
        outer_ipv4(17, udp_datagram(2152, 2152, gtpu(1, {0x85, 1, 0, 0, 0}, inner_ipv4_syn()))),
    };
    for (const auto& frame : frames) {
        for (size_t length = 0; length < frame.size(); ++length) {
            DecodedPacket packet;
            const DecodeResult r =
                decode_packet(LinkType::ethernet, {frame.data(), length}, packet);
            EXPECT_NE(r.status, DecodeStatus::ok) << length;
        }
    }
}

// --- Link types and tunnels of issue 17: LINUX_SLL2, NFLOG, PBB, GRE in UDP, Teredo, VXLAN
// with reserved or group-policy bits.

TEST(PacketDecoder, LinuxCookedCaptureVersion2) {
    FrameBuilder b;
    // Protocol type, reserved, interface index, ARPHRD_ETHER, outgoing, 6-byte address.
    b.be16(0x0800).be16(0).be32(3).be16(1).bytes({4, 6}).bytes({2, 0, 0, 0, 0, 1, 0, 0});
    b.append(inner_ipv4_syn());
    DecodedPacket packet;
    ASSERT_EQ(decode(LinkType::linux_sll2, b.frame(), packet).status, DecodeStatus::ok);
    expect_inner_syn(packet);
    FrameBuilder arp;
    arp.be16(0x0806).zeros(18).zeros(28);
    EXPECT_EQ(decode(LinkType::linux_sll2, arp.frame(), packet).status, DecodeStatus::not_ip);
    const std::vector<uint8_t> cut(b.frame().begin(), b.frame().begin() + 19);
    const DecodeResult r = decode(LinkType::linux_sll2, cut, packet);
    EXPECT_EQ(r.status, DecodeStatus::error);
    EXPECT_EQ(r.error, DecodeError::truncated_link_header);
}

// An NFLOG TLV: length (header included) and type in the given byte order, padded to 4.
void nflog_tlv(FrameBuilder& b, bool little, uint16_t type, const std::vector<uint8_t>& value) {
    const auto length = static_cast<uint16_t>(4 + value.size());
    if (little) {
        b.bytes({static_cast<uint8_t>(length), static_cast<uint8_t>(length >> 8),
                 static_cast<uint8_t>(type), static_cast<uint8_t>(type >> 8)});
    } else {
        b.be16(length).be16(type);
    }
    b.append(value).zeros((4 - value.size() % 4) % 4);
}

std::vector<uint8_t> nflog_frame(uint8_t family, bool little, const std::vector<uint8_t>& ip) {
    FrameBuilder b;
    b.bytes({family, 0}).be16(42);
    nflog_tlv(b, little, 1, {0x08, 0x00, 1, 0});  // packet header
    nflog_tlv(b, little, 10, {'f', 'w', 0});      // prefix, padded
    nflog_tlv(b, little, 9, ip);                  // payload
    nflog_tlv(b, little, 11, {0, 0, 3, 232});     // uid, after the payload
    return b.frame();
}

std::vector<uint8_t> inner_ipv6_syn() {
    FrameBuilder b;
    b.ipv6(6, 20, 1, 2).tcp(50000, 443, 0x02);
    return b.frame();
}

TEST(PacketDecoder, NflogPayloadInEitherByteOrder) {
    for (const bool little : {true, false}) {
        SCOPED_TRACE(little ? "little-endian TLVs" : "big-endian TLVs");
        DecodedPacket packet;
        ASSERT_EQ(decode(LinkType::nflog, nflog_frame(2, little, inner_ipv4_syn()), packet).status,
                  DecodeStatus::ok);
        expect_inner_syn(packet);
        ASSERT_EQ(decode(LinkType::nflog, nflog_frame(10, little, inner_ipv6_syn()), packet).status,
                  DecodeStatus::ok);
        EXPECT_EQ(packet.ip_version, 6);
        EXPECT_EQ(packet.destination.port, 443);
        EXPECT_EQ(packet.tunnel.type, TunnelType::none);
    }
}

TEST(PacketDecoder, NflogReassembledDatagramRunsPastItsPayloadTlv) {
    // The payload TLV announces the 20-byte first fragment; the datagram behind it is whole.
    FrameBuilder b;
    b.bytes({2, 0}).be16(0);
    nflog_tlv(b, true, 1, {0x08, 0x00, 1, 0});
    b.bytes({24, 0, 9, 0}).append(inner_ipv4_syn());
    DecodedPacket packet;
    const auto& frame = b.frame();
    EXPECT_EQ(decode_packet(LinkType::nflog, {frame.data(), frame.size()}, packet).error,
              DecodeError::capture_truncated);
    ASSERT_EQ(decode_packet(LinkType::nflog, {frame.data(), frame.size()}, packet,
                            FragmentPolicy::reassembled)
                  .status,
              DecodeStatus::ok);
    expect_inner_syn(packet);
}

TEST(PacketDecoder, NflogWithoutPayloadOrOfAnotherFamilyIsNotIp) {
    FrameBuilder b;
    b.bytes({2, 0}).be16(1);
    nflog_tlv(b, true, 1, {0x08, 0x00, 1, 0});
    DecodedPacket packet;
    EXPECT_EQ(decode(LinkType::nflog, b.frame(), packet).status, DecodeStatus::not_ip);
    EXPECT_EQ(decode(LinkType::nflog, nflog_frame(7, true, inner_ipv4_syn()), packet).status,
              DecodeStatus::not_ip);
}

TEST(PacketDecoder, HostileNflogTlvsAreCountedErrors) {
    const auto error_of = [](const std::vector<uint8_t>& frame) {
        DecodedPacket packet;
        const DecodeResult r = decode(LinkType::nflog, frame, packet);
        EXPECT_EQ(r.status, DecodeStatus::error);
        return r.error;
    };
    FrameBuilder short_tlv;  // a length below the TLV's own header: the walk would not advance
    short_tlv.bytes({2, 0}).be16(0).bytes({2, 0, 1, 0}).zeros(8);
    EXPECT_EQ(error_of(short_tlv.frame()), DecodeError::bad_nflog);
    FrameBuilder long_tlv;  // a length past the frame
    long_tlv.bytes({2, 0}).be16(0).bytes({0xff, 0x00, 9, 0}).append(inner_ipv4_syn());
    EXPECT_EQ(error_of(long_tlv.frame()), DecodeError::bad_nflog);
    FrameBuilder stub;  // 2 bytes where a TLV header should be
    stub.bytes({2, 0}).be16(0).bytes({8, 0});
    EXPECT_EQ(error_of(stub.frame()), DecodeError::bad_nflog);
    EXPECT_EQ(error_of({2, 0, 0}), DecodeError::truncated_link_header);
    // The family says IPv4, the payload is IPv6.
    EXPECT_EQ(error_of(nflog_frame(2, true, inner_ipv6_syn())), DecodeError::bad_ip_version);
    const std::vector<uint8_t> frame = nflog_frame(2, true, inner_ipv4_syn());
    for (size_t length = 0; length < frame.size() - 8; ++length) {  // the uid TLV is 8 bytes
        DecodedPacket packet;
        EXPECT_NE(decode_packet(LinkType::nflog, {frame.data(), length}, packet).status,
                  DecodeStatus::ok)
            << length;
    }
}

std::vector<uint8_t> pbb_frame(const std::vector<uint8_t>& customer_frame) {
    FrameBuilder b;
    b.ethernet(0x88a8).vlan(30, 0x88e7).be32(0x0001'2345).append(customer_frame);
    return b.frame();
}

TEST(PacketDecoder, ProviderBackboneBridgingOpensTheCustomerFrame) {
    FrameBuilder customer;
    customer.ethernet(0x8100).vlan(100, 0x0800).append(inner_ipv4_syn());
    DecodedPacket packet;
    // A GRE packet first, so that stale outer addresses would show.
    FrameBuilder gre;
    gre.be16(0x2000).be16(0x0800).be32(77).append(inner_ipv4_syn());
    ASSERT_EQ(decode(LinkType::ethernet, outer_ipv4(47, gre.frame()), packet).status,
              DecodeStatus::ok);
    ASSERT_EQ(decode(LinkType::ethernet, pbb_frame(customer.frame()), packet).status,
              DecodeStatus::ok);
    expect_inner_syn(packet);
    EXPECT_EQ(packet.vlan, 100);
    EXPECT_EQ(packet.tunnel.type, TunnelType::pbb);
    EXPECT_EQ(packet.tunnel.id, 0x12345u);
    EXPECT_EQ(packet.tunnel.outer_ip_version, 0);
    EXPECT_EQ(packet.tunnel.outer_source, IpAddress{});
    EXPECT_EQ(packet.tunnel.outer_destination, IpAddress{});
    EXPECT_NE(tunnel_discriminator(packet.tunnel), 0u);
}

TEST(PacketDecoder, TruncatedPbbItagOrCustomerFrame) {
    FrameBuilder cut_itag;
    cut_itag.ethernet(0x88e7).bytes({0x00, 0x01});
    EXPECT_EQ(decode_error_of(cut_itag.frame()), DecodeError::truncated_tunnel);
    EXPECT_EQ(decode_error_of(pbb_frame({2, 0, 0, 0, 0, 2, 2, 0})), DecodeError::truncated_tunnel);
}

TEST(PacketDecoder, GreInUdp) {
    FrameBuilder gre;
    gre.be16(0x2000).be16(0x0800).be32(99).append(inner_ipv4_syn());
    const DecodedPacket packet = decode_ok(outer_ipv4(17, udp_datagram(51234, 4754, gre.frame())));
    expect_inner_syn(packet);
    EXPECT_EQ(packet.tunnel.type, TunnelType::gre_udp);
    EXPECT_EQ(packet.tunnel.id, 99u);
    FrameBuilder cut_key;  // K flag set, key missing
    cut_key.be16(0x2000).be16(0x0800);
    EXPECT_EQ(decode_error_of(outer_ipv4(17, udp_datagram(51234, 4754, cut_key.frame()))),
              DecodeError::bad_gre);
    // Not a GRE header (version 2, reserved bits): an ordinary datagram to port 4754.
    FrameBuilder other;
    other.be16(0x0f02).be16(0x0800).zeros(20);
    const DecodedPacket plain = decode_ok(outer_ipv4(17, udp_datagram(51234, 4754, other.frame())));
    EXPECT_EQ(plain.tunnel.type, TunnelType::none);
    EXPECT_EQ(plain.destination.port, 4754);
    EXPECT_EQ(plain.payload_length, 24);
}

std::vector<uint8_t> teredo_origin() {
    return {0x00, 0x00, 0x63, 0xbf, 0x3f, 0xff, 0xfd, 0xfe};
}

std::vector<uint8_t> teredo_auth(uint8_t id_length, uint8_t auth_length) {
    FrameBuilder b;
    b.be16(0x0001).bytes({id_length, auth_length}).zeros(id_length + auth_length);
    return b.zeros(8).bytes({0}).frame();  // nonce, confirmation
}

TEST(PacketDecoder, TeredoPlainWithOriginAndWithAuthentication) {
    const std::vector<std::vector<uint8_t>> heads = {
        {}, teredo_origin(), teredo_auth(4, 8), teredo_auth(0, 0)};
    const std::vector<uint8_t> auth_then_origin = [] {
        FrameBuilder b;
        return b.append(teredo_auth(3, 5)).append(teredo_origin()).frame();
    }();
    std::vector<std::vector<uint8_t>> all = heads;
    all.push_back(auth_then_origin);
    for (const auto& head : all) {
        SCOPED_TRACE(head.size());
        FrameBuilder body;
        body.append(head).append(inner_ipv6_syn());
        for (const auto& [source, destination] : {std::pair{40000, 3544}, {3544, 40000}}) {
            const DecodedPacket packet = decode_ok(
                outer_ipv4(17, udp_datagram(static_cast<uint16_t>(source),
                                            static_cast<uint16_t>(destination), body.frame())));
            EXPECT_EQ(packet.tunnel.type, TunnelType::teredo);
            EXPECT_EQ(packet.tunnel.outer_ip_version, 4);
            EXPECT_EQ(packet.ip_version, 6);
            EXPECT_EQ(packet.ip_protocol, 6);
            EXPECT_EQ(packet.destination.port, 443);
        }
    }
}

TEST(PacketDecoder, TeredoLookalikesStayUdpFlows) {
    const auto stays_udp = [](const std::vector<uint8_t>& body) {
        const DecodedPacket packet = decode_ok(outer_ipv4(17, udp_datagram(40000, 3544, body)));
        EXPECT_EQ(packet.tunnel.type, TunnelType::none);
        EXPECT_EQ(packet.ip_version, 4);
        EXPECT_EQ(packet.destination.port, 3544);
        EXPECT_EQ(packet.payload_length, body.size());
    };
    std::vector<uint8_t> ipv6 = inner_ipv6_syn();
    FrameBuilder longer;  // the IPv6 payload length does not fill the datagram
    stays_udp(longer.append(ipv6).zeros(4).frame());
    std::vector<uint8_t> shorter(ipv6.begin(), ipv6.end() - 1);
    stays_udp(shorter);
    std::vector<uint8_t> ipv4 = inner_ipv4_syn();  // IPv4 is not Teredo
    stays_udp(ipv4);
    FrameBuilder auth_past_end;  // an authentication indicator longer than the datagram
    auth_past_end.be16(0x0001).bytes({200, 200}).append(ipv6);
    stays_udp(auth_past_end.frame());
    FrameBuilder origin_only;  // an origin indicator with nothing after it
    stays_udp(origin_only.append(teredo_origin()).frame());
    stays_udp({0x60});
}

TEST(PacketDecoder, VxlanReservedAndGroupPolicyBitsAreIgnored) {
    FrameBuilder reserved;  // every flag bit, reserved bytes not zero (P among them on 4789)
    reserved.be32(0xffab'cdef).be32((4242u << 8) | 0x5a).append(inner_ethernet_syn());
    FrameBuilder gbp;  // G flag, D and A bits, group policy id 0x1234
    gbp.bytes({0x88, 0x48}).be16(0x1234).be32(4242u << 8).append(inner_ethernet_syn());
    for (const auto& vxlan : {reserved.frame(), gbp.frame()}) {
        const DecodedPacket packet = decode_ok(outer_ipv4(17, udp_datagram(50123, 4789, vxlan)));
        expect_inner_syn(packet);
        EXPECT_EQ(packet.tunnel.type, TunnelType::vxlan);
        EXPECT_EQ(packet.tunnel.id, 4242u);
    }
}

TEST(PacketDecoder, EveryPrefixOfTheNewEncapsulationsIsHandled) {
    FrameBuilder customer;
    customer.ethernet(0x0800).append(inner_ipv4_syn());
    FrameBuilder gre;
    gre.be16(0x2000).be16(0x0800).be32(99).append(inner_ipv4_syn());
    FrameBuilder teredo;
    teredo.append(teredo_auth(2, 2)).append(teredo_origin()).append(inner_ipv6_syn());
    const std::vector<std::vector<uint8_t>> frames = {
        pbb_frame(customer.frame()),
        outer_ipv4(17, udp_datagram(1, 4754, gre.frame())),
        outer_ipv4(17, udp_datagram(1, 3544, teredo.frame())),
    };
    for (const auto& frame : frames) {
        for (size_t length = 0; length < frame.size(); ++length) {
            DecodedPacket packet;
            const DecodeResult r =
                decode_packet(LinkType::ethernet, {frame.data(), length}, packet);
            EXPECT_NE(r.status, DecodeStatus::ok) << length;
        }
    }
}

}  // namespace
}  // namespace ottscope
