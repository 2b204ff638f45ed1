// nDPI state is allocated at a flow's first payload packet and freed at its verdict: SYN-only
// and scan flows hold none.

#include "classifiers/ndpi/ndpi_classifier.h"

#include <gtest/gtest.h>

extern "C" {
#include <ndpi/ndpi_api.h>
}

#include <string_view>

#include "tests/frame_builder.h"

namespace ottscope {
namespace {

using test::FrameBuilder;
constexpr size_t kEthernet = 14;

std::vector<uint8_t> tcp_segment(uint8_t flags, std::string_view payload, bool from_client = true) {
    FrameBuilder b;
    if (from_client)
        b.ethernet(0x0800)
            .ipv4({10, 0, 0, 1}, {192, 0, 2, 1}, 6, static_cast<uint16_t>(20 + payload.size()))
            .tcp(40000, 80, flags);
    else
        b.ethernet(0x0800)
            .ipv4({192, 0, 2, 1}, {10, 0, 0, 1}, 6, static_cast<uint16_t>(20 + payload.size()))
            .tcp(80, 40000, flags);
    for (const char c : payload) b.bytes({static_cast<uint8_t>(c)});
    return b.frame();
}

PacketView view_of(const std::vector<uint8_t>& frame, size_t payload, uint32_t nth) {
    PacketView view;
    view.l3 = frame.data() + kEthernet;
    view.l3_length = static_cast<uint16_t>(frame.size() - kEthernet);
    view.payload = {frame.data() + frame.size() - payload, payload};
    view.ip_protocol = 6;
    view.tcp_flags = frame[kEthernet + 20 + 13];
    view.timestamp_ms = nth;
    view.flow_packets = nth;
    return view;
}

// nDPI memory is counted from the classifier's first packet on (the module's own tables are
// not flow state): a first flow, ended at once, starts the count.
void start_counting(NdpiClassifier& ndpi) {
    void* state = nullptr;
    Verdict verdict;
    const auto syn = tcp_segment(0x02, "");
    ndpi.inspect(state, view_of(syn, 0, 1), verdict);
    ndpi.conclude(state, PacketView{}, verdict);
}

TEST(NdpiClassifier, SynOnlyFlowHoldsNoState) {
    NdpiClassifier ndpi(0, NdpiSettings{}, nullptr);
    start_counting(ndpi);
    void* state = nullptr;
    Verdict verdict;
    const auto syn = tcp_segment(0x02, "");
    const size_t before = ndpi.state_bytes_in_use();
    EXPECT_EQ(ndpi.inspect(state, view_of(syn, 0, 1), verdict), Progress::need_more);
    EXPECT_EQ(ndpi.inspect(state, view_of(syn, 0, 2), verdict), Progress::need_more);
    EXPECT_EQ(ndpi.state_bytes_in_use(), before);  // the slot at most marks "SYN seen"
    // At the end it gets nDPI's port guess, as ndpiReader gives one to SYN-only flows: from
    // the client-to-server headers the worker rebuilds for conclude() (here, the SYN's own).
    ndpi.conclude(state, view_of(syn, 0, 2), verdict);
    EXPECT_EQ(state, nullptr);
    EXPECT_EQ(verdict.ndpi_app, NDPI_PROTOCOL_HTTP);
    EXPECT_EQ(ndpi.state_bytes_in_use(), before);
}

TEST(NdpiClassifier, StateArrivesWithTheFirstPayloadAndLeavesWithTheVerdict) {
    NdpiClassifier ndpi(0, NdpiSettings{}, nullptr);
    start_counting(ndpi);
    void* state = nullptr;
    Verdict verdict;
    const auto syn = tcp_segment(0x02, "");
    const auto synack = tcp_segment(0x12, "", false);
    const std::string_view request = "GET / HTTP/1.1\r\nHost: example.org\r\n\r\n";
    const auto get = tcp_segment(0x18, request);
    const size_t before = ndpi.state_bytes_in_use();
    ndpi.inspect(state, view_of(syn, 0, 1), verdict);
    ndpi.inspect(state, view_of(synack, 0, 2), verdict);
    EXPECT_EQ(ndpi.state_bytes_in_use(), before);
    Progress progress = ndpi.inspect(state, view_of(get, request.size(), 3), verdict);
    if (progress == Progress::need_more) {
        EXPECT_NE(state, nullptr);
        EXPECT_GE(ndpi.state_bytes_in_use(), before + SIZEOF_FLOW_STRUCT);
        ndpi.conclude(state, PacketView{}, verdict);
    }
    EXPECT_EQ(state, nullptr);
    EXPECT_EQ(verdict.ndpi_app, NDPI_PROTOCOL_HTTP);
    EXPECT_EQ(ndpi.state_bytes_in_use(), before);
}

}  // namespace
}  // namespace ottscope
