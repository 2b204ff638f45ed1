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

}  // namespace
}  // namespace ottscope
