// The worker's flow lifecycle end to end: frames go in through the worker's input ring (the
// ring the fan-out lcore feeds) with capture timestamps, flow records come out of its record
// ring. Timeouts, TCP closes, resets, eviction order and conservation are checked on them.

#include <gtest/gtest.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <atomic>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "dataplane/worker.h"
#include "tests/dataplane/worker_run.h"
#include "tests/frame_builder.h"

namespace ottscope {
namespace {

using test::FrameBuilder;
using test::WorkerRun;

constexpr uint64_t kSecond = 1'000'000;
constexpr uint8_t kSyn = 0x02, kAck = 0x10, kFin = 0x01, kRst = 0x04, kPsh = 0x08;

// One TCP segment between client 10.0.0.1:40000 and server 192.0.2.1:80 (or the n-th
// client 10.1.x.y for many flows).
std::vector<uint8_t> tcp_frame(bool from_client, uint8_t flags, uint16_t payload = 0,
                               uint32_t client = 1) {
    const std::initializer_list<uint8_t> c = {10, static_cast<uint8_t>(client >> 16),
                                              static_cast<uint8_t>(client >> 8),
                                              static_cast<uint8_t>(client)};
    const std::initializer_list<uint8_t> s = {192, 0, 2, 1};
    FrameBuilder b;
    b.ethernet(0x0800).ipv4(from_client ? c : s, from_client ? s : c, 6,
                            static_cast<uint16_t>(20 + payload));
    if (from_client)
        b.tcp(40000, 80, flags);
    else
        b.tcp(80, 40000, flags);
    for (uint16_t i = 0; i < payload; ++i) b.bytes({static_cast<uint8_t>('a' + i % 26)});
    return b.frame();
}

std::vector<uint8_t> udp_frame(uint16_t source_port) {
    FrameBuilder b;
    b.ethernet(0x0800).ipv4({10, 9, 9, 9}, {192, 0, 2, 53}, 17, 8 + 4).udp(source_port, 53, 4);
    b.bytes({1, 2, 3, 4});
    return b.frame();
}

const FlowRecord* tcp_record(const std::vector<FlowRecord>& records, uint32_t client = 1) {
    for (const FlowRecord& r : records)
        if (r.summary.key.ip_protocol == 6 &&
            r.summary.key.lower_address[15] == static_cast<uint8_t>(client) &&
            r.summary.key.lower_address[14] == static_cast<uint8_t>(client >> 8))
            return &r;
    return nullptr;
}

TEST(WorkerFlowLifecycle, SynOnlyFlowEndsAfterTheEmbryonicTimeout) {
    WorkerRun run;
    run.send(tcp_frame(true, kSyn), 0);
    run.send(udp_frame(5000), 21 * kSecond);  // moves the capture clock past 20 s
    const auto records = run.finish();
    ASSERT_EQ(records.size(), 2u);
    const FlowRecord* syn = tcp_record(records);
    ASSERT_NE(syn, nullptr);
    EXPECT_EQ(syn->end, FlowEnd::idle_timeout);
    EXPECT_EQ(run.evictions(FlowEnd::idle_timeout), 1u);
    EXPECT_TRUE(run.conserved());
}

TEST(WorkerFlowLifecycle, EstablishedFlowOutlivesTheEmbryonicTimeout) {
    WorkerRun run;
    run.send(tcp_frame(true, kSyn), 0);
    run.send(tcp_frame(false, kSyn | kAck), 1000);
    run.send(tcp_frame(true, kAck), 2000);
    run.send(udp_frame(5000), 200 * kSecond);  // past embryonic, within established (300 s)
    const auto records = run.finish();
    const FlowRecord* tcp = tcp_record(records);
    ASSERT_NE(tcp, nullptr);
    EXPECT_EQ(tcp->end, FlowEnd::shutdown);
    EXPECT_EQ(run.evictions(FlowEnd::idle_timeout), 0u);
    EXPECT_TRUE(run.conserved());
}

TEST(WorkerFlowLifecycle, EstablishedFlowEndsAfterItsOwnTimeout) {
    WorkerRun run;
    run.send(tcp_frame(true, kAck | kPsh, 10), 0);  // picked up mid-stream: payload
    run.send(udp_frame(5000), 301 * kSecond);
    const auto records = run.finish();
    const FlowRecord* tcp = tcp_record(records);
    ASSERT_NE(tcp, nullptr);
    EXPECT_EQ(tcp->end, FlowEnd::idle_timeout);
}

void handshake_and_data(WorkerRun& run, uint64_t t) {
    run.send(tcp_frame(true, kSyn), t);
    run.send(tcp_frame(false, kSyn | kAck), t + 100);
    run.send(tcp_frame(true, kAck), t + 200);
    run.send(tcp_frame(true, kAck | kPsh, 40), t + 300);
    run.send(tcp_frame(false, kAck | kPsh, 40), t + 400);
}

TEST(WorkerFlowLifecycle, FinFromBothSidesEndsAsTcpFinAfterTheLinger) {
    WorkerRun run;
    handshake_and_data(run, 0);
    run.send(tcp_frame(true, kFin | kAck), 500);
    run.send(tcp_frame(false, kFin | kAck), 600);
    run.send(tcp_frame(true, kAck), 700);                  // last ACK: absorbed
    run.send(tcp_frame(false, kFin | kAck), 2 * kSecond);  // retransmitted FIN: absorbed
    run.send(udp_frame(5000), 13 * kSecond);               // past the 10 s linger
    const auto records = run.finish();
    ASSERT_EQ(records.size(), 2u);
    const FlowRecord* tcp = tcp_record(records);
    ASSERT_NE(tcp, nullptr);
    EXPECT_EQ(tcp->end, FlowEnd::tcp_fin);
    EXPECT_EQ(tcp->summary.packets[0] + tcp->summary.packets[1], 9u);
    EXPECT_EQ(run.evictions(FlowEnd::tcp_fin), 1u);
    EXPECT_EQ(run.evictions(FlowEnd::idle_timeout), 0u);
    EXPECT_TRUE(run.conserved());
}

TEST(WorkerFlowLifecycle, ClosedFlowFlushedAtShutdownKeepsTcpFin) {
    WorkerRun run;
    handshake_and_data(run, 0);
    run.send(tcp_frame(true, kFin | kAck), 500);
    run.send(tcp_frame(false, kFin | kAck), 600);
    const auto records = run.finish();
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].end, FlowEnd::tcp_fin);
    EXPECT_EQ(run.evictions(FlowEnd::shutdown), 0u);
}

TEST(WorkerFlowLifecycle, FinFromOneSideIsOnlyClosing) {
    WorkerRun run;
    handshake_and_data(run, 0);
    run.send(tcp_frame(true, kFin | kAck), 500);
    run.send(tcp_frame(false, kAck | kPsh, 100), 1000);  // half close: server still sends
    run.send(udp_frame(5000), 61 * kSecond);             // past tcp_closing (60 s)
    const auto records = run.finish();
    const FlowRecord* tcp = tcp_record(records);
    ASSERT_NE(tcp, nullptr);
    EXPECT_EQ(tcp->end, FlowEnd::idle_timeout);
}

TEST(WorkerFlowLifecycle, RstEndsAsTcpRstAndAbsorbsWhatFollows) {
    WorkerRun run;
    handshake_and_data(run, 0);
    run.send(tcp_frame(false, kRst | kAck), 500);
    run.send(tcp_frame(true, kAck), 600);  // in flight when the RST was sent
    run.send(udp_frame(5000), 11 * kSecond);
    const auto records = run.finish();
    ASSERT_EQ(records.size(), 2u);
    const FlowRecord* tcp = tcp_record(records);
    ASSERT_NE(tcp, nullptr);
    EXPECT_EQ(tcp->end, FlowEnd::tcp_rst);
    EXPECT_EQ(tcp->summary.packets[0] + tcp->summary.packets[1], 7u);
    EXPECT_EQ(run.evictions(FlowEnd::tcp_rst), 1u);
    EXPECT_TRUE(run.conserved());
}

TEST(WorkerFlowLifecycle, ScanProbeAnsweredByRstEndsAsTcpRst) {
    WorkerRun run;
    run.send(tcp_frame(true, kSyn), 0);
    run.send(tcp_frame(false, kRst | kAck), 100);
    const auto records = run.finish();
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].end, FlowEnd::tcp_rst);
}

TEST(WorkerFlowLifecycle, NewSynOnClosedPortsStartsANewFlow) {
    WorkerRun run;
    handshake_and_data(run, 0);
    run.send(tcp_frame(true, kFin | kAck), 500);
    run.send(tcp_frame(false, kFin | kAck), 600);
    run.send(tcp_frame(true, kSyn), kSecond);  // the client reuses its port at once
    const auto records = run.finish();
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[0].end, FlowEnd::tcp_fin);
    EXPECT_EQ(records[0].summary.packets[0] + records[0].summary.packets[1], 7u);
    EXPECT_EQ(records[1].end, FlowEnd::shutdown);
    EXPECT_EQ(records[1].summary.packets[0], 1u);
    EXPECT_EQ(run.counters().flows_created.read(), 2u);
    EXPECT_TRUE(run.conserved());
}

TEST(WorkerFlowLifecycle, FullTableEndsEmbryonicFlowsBeforeEstablishedOnes) {
    WorkerRun run(/*capacity=*/16);
    run.send(tcp_frame(true, kAck | kPsh, 10, 1), 0);  // established, idle longest
    for (uint32_t i = 0; i < 20; ++i) run.send(tcp_frame(true, kSyn, 0, 100 + i), 1000 + i);
    const auto records = run.finish();
    EXPECT_EQ(run.evictions(FlowEnd::table_full), 5u);
    // The first five SYN flows made room, oldest first; the established flow stayed.
    for (uint32_t i = 0; i < 5; ++i) {
        ASSERT_LT(i, records.size());
        EXPECT_EQ(records[i].end, FlowEnd::table_full);
        EXPECT_EQ(records[i].summary.key.lower_address[15], 100 + i);
    }
    const FlowRecord* established = tcp_record(records, 1);
    ASSERT_NE(established, nullptr);
    EXPECT_EQ(established->end, FlowEnd::shutdown);
    EXPECT_EQ(records.size(), 21u);
    EXPECT_TRUE(run.conserved());
}

TEST(WorkerFlowLifecycle, SynFloodHoldsNoClassifierState) {
    WorkerRun run(/*capacity=*/64);
    for (uint32_t i = 0; i < 40; ++i) run.send(tcp_frame(true, kSyn, 0, 100 + i), i);
    run.finish();
    // Reported after each burst and at the end: SYN-only flows never allocated nDPI state.
    EXPECT_EQ(run.counters().classifier_state_bytes.read(), 0u);
}

}  // namespace
}  // namespace ottscope

namespace ottscope {
namespace {

TEST(WorkerFlowLifecycle, AFlowFirstSeenAtTheServersSynAckKeepsItsClient) {
    // The capture began after the SYN: the SYN-ACK's receiver is the client.
    WorkerRun run;
    run.send(tcp_frame(false, kSyn | kAck), kSecond);
    run.send(tcp_frame(true, kAck), kSecond + 10);
    run.send(tcp_frame(true, kAck | kPsh, 100), kSecond + 20);
    const auto records = run.finish();
    const FlowRecord* flow = tcp_record(records);
    ASSERT_NE(flow, nullptr);
    EXPECT_TRUE(flow->summary.client_is_lower) << "10.0.0.1 is the client, 192.0.2.1 the server";
    EXPECT_EQ(flow->summary.packets[0], 2u) << "client to server";
    EXPECT_EQ(flow->summary.packets[1], 1u) << "server to client";
    EXPECT_TRUE(run.conserved());
}

}  // namespace
}  // namespace ottscope
