#include "dataplane/flow_key.h"

#include <gtest/gtest.h>

#include "dataplane/flow_table.h"

namespace ottscope {
namespace {

Endpoint v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port) {
    const uint8_t bytes[4] = {a, b, c, d};
    return Endpoint{ipv4_mapped(bytes), port};
}

TEST(FlowKey, BothDirectionsGiveTheSameKeyAndHash) {
    FlowKey forward;
    FlowKey backward;
    const bool f = make_flow_key(v4(10, 0, 0, 1, 40000), v4(10, 0, 0, 2, 443), 6, 4, 0, 0, forward);
    const bool b =
        make_flow_key(v4(10, 0, 0, 2, 443), v4(10, 0, 0, 1, 40000), 6, 4, 0, 0, backward);
    EXPECT_EQ(forward, backward);
    EXPECT_NE(f, b);
    EXPECT_EQ(FlowTable::hash_key(forward), FlowTable::hash_key(backward));
}

TEST(FlowKey, SameAddressOrderedByPort) {
    FlowKey one;
    FlowKey other;
    make_flow_key(v4(10, 0, 0, 1, 5000), v4(10, 0, 0, 1, 6000), 17, 4, 0, 0, one);
    make_flow_key(v4(10, 0, 0, 1, 6000), v4(10, 0, 0, 1, 5000), 17, 4, 0, 0, other);
    EXPECT_EQ(one, other);
    EXPECT_EQ(one.lower_port, 5000);
}

TEST(FlowKey, ZoneVlanAndProtocolSeparateFlows) {
    FlowKey base;
    make_flow_key(v4(1, 1, 1, 1, 1), v4(2, 2, 2, 2, 2), 6, 4, 0, 0, base);
    FlowKey zone;
    make_flow_key(v4(1, 1, 1, 1, 1), v4(2, 2, 2, 2, 2), 6, 4, 0, 1, zone);
    FlowKey vlan;
    make_flow_key(v4(1, 1, 1, 1, 1), v4(2, 2, 2, 2, 2), 6, 4, 10, 0, vlan);
    FlowKey udp;
    make_flow_key(v4(1, 1, 1, 1, 1), v4(2, 2, 2, 2, 2), 17, 4, 0, 0, udp);
    EXPECT_FALSE(base == zone);
    EXPECT_FALSE(base == vlan);
    EXPECT_FALSE(base == udp);
}

}  // namespace
}  // namespace ottscope
