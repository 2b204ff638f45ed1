// dissectors_exhausted() mirrors nDPI's own choice of dissectors: checked against nDPI itself
// (a payload packet on which no dissector runs makes nDPI stop the flow, fail_with_unknown),
// and the finding that dropped the ndpi-exhausted shortcut: with nDPI 4.2 an unnamed TCP flow
// always keeps TLS (and seven more) and an unnamed UDP flow always keeps DTLS and Xbox, so no
// unnamed flow is ever exhausted. Should a newer nDPI exclude them, the last two tests fail
// and the shortcut is worth measuring again (issue 19, ndpi-exhausted).

#include "tests/bench/ndpi_exhaustion.h"

#include <gtest/gtest.h>

extern "C" {
#include <ndpi/ndpi_api.h>
}

#include <algorithm>
#include <array>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "classifiers/ndpi/ndpi_classifier.h"
#include "tests/frame_builder.h"

namespace ottscope {
namespace {

using test::FrameBuilder;
constexpr size_t kEthernet = 14;
constexpr uint8_t kSyn = 0x02;
constexpr uint8_t kPush = 0x08;  // no ACK: nDPI takes no sequence numbers, so no retransmission

// Bytes no nDPI 4.2 dissector names (checked by the tests that feed them).
std::vector<uint8_t> opaque_payload(size_t length, uint8_t seed) {
    std::vector<uint8_t> payload(length);
    for (size_t i = 0; i < length; ++i) payload[i] = static_cast<uint8_t>(0xa5 ^ (seed + i * 7));
    return payload;
}

std::vector<uint8_t> tcp_packet(uint8_t flags, const std::vector<uint8_t>& payload,
                                uint16_t server_port = 5999) {
    FrameBuilder b;
    b.ethernet(0x0800)
        .ipv4({10, 0, 0, 1}, {192, 0, 2, 1}, 6, static_cast<uint16_t>(20 + payload.size()))
        .tcp(40000, server_port, flags)
        .append(payload);
    return b.frame();
}

std::vector<uint8_t> udp_packet(const std::vector<uint8_t>& payload) {
    FrameBuilder b;
    b.ethernet(0x0800)
        .ipv4({10, 0, 0, 1}, {192, 0, 2, 1}, 17, static_cast<uint16_t>(8 + payload.size()))
        .udp(40000, 5999, static_cast<uint16_t>(payload.size()))
        .append(payload);
    return b.frame();
}

struct FreeFlow {
    void operator()(ndpi_flow_struct* flow) const noexcept {
        ndpi_free_flow_data(flow);
        std::free(flow);
    }
};

class Exhaustion : public ::testing::Test {
protected:
    NdpiModule module_ = make_ndpi_module();
    std::unique_ptr<ndpi_flow_struct, FreeFlow> flow_{
        static_cast<ndpi_flow_struct*>(std::calloc(1, SIZEOF_FLOW_STRUCT))};
    uint64_t now_ms_ = 1;

    ndpi_protocol feed(const std::vector<uint8_t>& frame) {
        return ndpi_detection_process_packet(module_.get(), flow_.get(), frame.data() + kEthernet,
                                             static_cast<uint16_t>(frame.size() - kEthernet),
                                             now_ms_++);
    }
    bool exhausted() const { return dissectors_exhausted(*module_, *flow_); }
    std::vector<uint16_t> eligible() const {
        std::array<uint16_t, 256> ids{};
        const unsigned count = eligible_dissectors(*module_, *flow_, ids);
        return {ids.begin(), ids.begin() + std::min<size_t>(count, ids.size())};
    }
    static bool has(const std::vector<uint16_t>& ids, uint16_t id) {
        return std::find(ids.begin(), ids.end(), id) != ids.end();
    }
};

TEST_F(Exhaustion, NotBeforeTheFirstPacket) {
    EXPECT_FALSE(exhausted());
}

TEST_F(Exhaustion, NotForANamedFlow) {
    const std::string request = "GET / HTTP/1.1\r\nHost: example.org\r\n\r\n";
    feed(tcp_packet(kSyn, {}, 80));
    const ndpi_protocol named = feed(tcp_packet(kPush, {request.begin(), request.end()}, 80));
    ASSERT_EQ(named.app_protocol, NDPI_PROTOCOL_HTTP);
    EXPECT_FALSE(exhausted());
}

// With every dissector excluded the next payload packet runs none: nDPI itself gives the flow
// up (fail_with_unknown), as the predicate said.
TEST_F(Exhaustion, AgreesWithNdpiWhenEveryDissectorIsExcluded) {
    feed(tcp_packet(kSyn, {}));
    feed(tcp_packet(kPush, opaque_payload(48, 1)));
    ASSERT_EQ(flow_->detected_protocol_stack[0], NDPI_PROTOCOL_UNKNOWN);
    ASSERT_FALSE(exhausted());
    NDPI_BITMASK_SET_ALL(flow_->excluded_protocol_bitmask);
    EXPECT_TRUE(exhausted());
    EXPECT_TRUE(eligible().empty());
    ASSERT_EQ(flow_->fail_with_unknown, 0);
    feed(tcp_packet(kPush, opaque_payload(48, 2)));
    EXPECT_EQ(flow_->fail_with_unknown, 1);
    EXPECT_TRUE(exhausted());
}

// One dissector left (TLS) is called on the next payload packet: nDPI keeps the flow open.
TEST_F(Exhaustion, AgreesWithNdpiWhenOneDissectorIsLeft) {
    feed(tcp_packet(kSyn, {}));
    feed(tcp_packet(kPush, opaque_payload(48, 1)));
    NDPI_BITMASK_SET_ALL(flow_->excluded_protocol_bitmask);
    NDPI_DEL_PROTOCOL_FROM_BITMASK(flow_->excluded_protocol_bitmask, NDPI_PROTOCOL_TLS);
    EXPECT_FALSE(exhausted());
    EXPECT_EQ(eligible(), std::vector<uint16_t>{NDPI_PROTOCOL_TLS});
    feed(tcp_packet(kPush, opaque_payload(48, 2)));
    EXPECT_EQ(flow_->fail_with_unknown, 0);
}

// nDPI 4.2's TLS dissector buffers any TCP payload as a possible record and never excludes
// itself; RSYNC, Oracle, Corba, CiscoSkinny, AMQP, RTCP and PPStream exclude only on non-TCP
// packets. An unnamed TCP flow is never exhausted within nDPI's 32 dissected packets.
TEST_F(Exhaustion, UnnamedTcpFlowKeepsTlsAndOthersInNdpi42) {
    feed(tcp_packet(kSyn, {}));
    for (uint8_t i = 0; i < 40; ++i) {
        feed(tcp_packet(kPush, opaque_payload(32 + i, i)));
        ASSERT_EQ(flow_->detected_protocol_stack[0], NDPI_PROTOCOL_UNKNOWN) << i;
        ASSERT_FALSE(exhausted()) << i;
    }
    const std::vector<uint16_t> ids = eligible();
    for (const uint16_t id :
         {NDPI_PROTOCOL_TLS, NDPI_PROTOCOL_RSYNC, NDPI_PROTOCOL_ORACLE, NDPI_PROTOCOL_CORBA,
          NDPI_PROTOCOL_SKINNY, NDPI_PROTOCOL_AMQP, NDPI_PROTOCOL_RTCP, NDPI_PROTOCOL_PPSTREAM})
        EXPECT_TRUE(has(ids, id)) << ndpi_get_proto_name(module_.get(), id);
}

// The DTLS entry runs nDPI's TLS code, which excludes TLS, not DTLS; Xbox excludes itself on
// UDP only once HTTP (a TCP dissector) is excluded; Radius only on its own ports.
TEST_F(Exhaustion, UnnamedUdpFlowKeepsDtlsXboxAndRadiusInNdpi42) {
    for (uint8_t i = 0; i < 24; ++i) {
        feed(udp_packet(opaque_payload(40 + i, i)));
        ASSERT_EQ(flow_->detected_protocol_stack[0], NDPI_PROTOCOL_UNKNOWN) << i;
        ASSERT_FALSE(exhausted()) << i;
    }
    const std::vector<uint16_t> ids = eligible();
    for (const uint16_t id : {NDPI_PROTOCOL_DTLS, NDPI_PROTOCOL_XBOX, NDPI_PROTOCOL_RADIUS})
        EXPECT_TRUE(has(ids, id)) << ndpi_get_proto_name(module_.get(), id);
}

}  // namespace
}  // namespace ottscope
