#include "dataplane/flow_headers.h"

#include <gtest/gtest.h>

#include "dataplane/packet_decoder.h"
#include "dataplane/tunnel.h"

namespace ottscope {
namespace {

FlowKey key_of(uint8_t version, uint8_t protocol, const IpAddress& a, uint16_t a_port,
               const IpAddress& b, uint16_t b_port) {
    FlowKey key;
    make_flow_key({a, a_port}, {b, b_port}, protocol, version, 0, 0, key);
    return key;
}

IpAddress v4(uint8_t last) {
    IpAddress address{};
    address[10] = 0xff;
    address[11] = 0xff;
    address[12] = 100;
    address[13] = 64;
    address[15] = last;
    return address;
}

IpAddress v6(uint8_t last) {
    IpAddress address{0x20, 0x01, 0x0d, 0xb8};
    address[15] = last;
    return address;
}

// The rebuilt headers decode to the same flow, sent by the client, as a payload-less packet.
void expect_round_trip(uint8_t version, uint8_t protocol, const IpAddress& client,
                       uint16_t client_port, const IpAddress& server, uint16_t server_port) {
    const FlowKey key = key_of(version, protocol, client, client_port, server, server_port);
    const bool client_is_lower = key.lower_address == client && key.lower_port == client_port;
    FlowHeaders headers{};
    const size_t length = rebuild_client_headers(key, client_is_lower, headers);
    DecodedPacket packet;
    const DecodeResult result = decode_packet(LinkType::raw_ip, {headers.data(), length}, packet);
    ASSERT_EQ(result.status, DecodeStatus::ok);
    EXPECT_EQ(packet.source.address, client);
    EXPECT_EQ(packet.source.port, client_port);
    EXPECT_EQ(packet.destination.address, server);
    EXPECT_EQ(packet.destination.port, server_port);
    EXPECT_EQ(packet.ip_protocol, protocol);
    EXPECT_EQ(packet.payload_length, 0u);
    if (protocol == 6) {
        EXPECT_EQ(packet.tcp_flags, 0x02) << "a SYN";
    }
    FlowKey again;
    make_flow_key(packet.source, packet.destination, packet.ip_protocol, packet.ip_version,
                  packet.vlan, 0, again, tunnel_discriminator(packet.tunnel));
    EXPECT_TRUE(again == key);
}

TEST(FlowHeaders, RebuiltHeadersDecodeToTheSameFlowFromItsClient) {
    expect_round_trip(4, 6, v4(9), 50000, v4(1), 443);  // client is the upper endpoint
    expect_round_trip(4, 6, v4(1), 50000, v4(9), 80);   // client is the lower endpoint
    expect_round_trip(4, 17, v4(7), 5353, v4(3), 53);
    expect_round_trip(6, 6, v6(5), 40000, v6(2), 5061);
    expect_round_trip(6, 17, v6(2), 40000, v6(5), 443);
}

}  // namespace
}  // namespace ottscope
