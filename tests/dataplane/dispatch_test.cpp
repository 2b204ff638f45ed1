// Single-queue ports read by the receiver worker (worker 0) or by the dedicated fan-out, over
// a real net_pcap vdev reading a capture written here: both directions of every flow meet
// in one worker, the receiver keeps the share of flows its redirection table gives it, full
// rings hold the receiver back without losing anything, and a stop while a ring is full
// counts what could not be placed. Every packet the port delivered is counted once.

#include "dataplane/dispatch.h"

#include <gtest/gtest.h>
#include <rte_bus_vdev.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include "dataplane/capture_file.h"
#include "dataplane/fanout.h"
#include "dataplane/ports.h"
#include "dataplane/worker.h"
#include "tests/frame_builder.h"

namespace ottscope {
namespace {

using test::FrameBuilder;

// --- The redirection table.

TEST(RedirectionTable, ReceiverWithHalfAShareGetsAThirdOfTheBuckets) {
    const RedirectionTable table(worker_shares(2, 0, 0.5));
    EXPECT_EQ(table.buckets_of(0), 85u);
    EXPECT_EQ(table.buckets_of(1), 171u);
}

TEST(RedirectionTable, EqualSharesSplitEvenly) {
    const RedirectionTable two(worker_shares(2, 0, 1.0));
    EXPECT_EQ(two.buckets_of(0), 128u);
    EXPECT_EQ(two.buckets_of(1), 128u);
    const RedirectionTable dedicated(worker_shares(3, kNoWorker, 0.5));  // share unused
    EXPECT_EQ(dedicated.buckets_of(0) + dedicated.buckets_of(1) + dedicated.buckets_of(2), 256u);
    for (uint16_t w = 0; w < 3; ++w) EXPECT_GE(dedicated.buckets_of(w), 85u);
}

TEST(RedirectionTable, ThreeWorkersWithAReceiver) {
    const RedirectionTable table(worker_shares(3, 0, 0.5));
    EXPECT_EQ(table.buckets_of(0), 51u);
    EXPECT_EQ(table.buckets_of(0) + table.buckets_of(1) + table.buckets_of(2), 256u);
    EXPECT_GE(std::min(table.buckets_of(1), table.buckets_of(2)), 102u);
}

TEST(RedirectionTable, EveryWorkerKeepsABucketHoweverSmallItsShare) {
    const RedirectionTable table(worker_shares(128, 0, 0.001));
    EXPECT_EQ(table.buckets_of(0), 1u);
    size_t total = 0;
    for (uint16_t w = 0; w < 128; ++w) {
        EXPECT_GE(table.buckets_of(w), 1u) << w;
        total += table.buckets_of(w);
    }
    EXPECT_EQ(total, 256u);
}

TEST(RedirectionTable, BucketsOfAWorkerAreSpreadNotInOneBlock) {
    const RedirectionTable table(worker_shares(2, 0, 0.5));
    size_t longest = 0, run = 0;
    for (uint32_t bucket = 0; bucket < kRedirectionBuckets; ++bucket) {
        run = table.worker_of(bucket) == 1 && bucket > 0 && table.worker_of(bucket - 1) == 1
                  ? run + 1
                  : 1;
        longest = std::max(longest, run);
    }
    EXPECT_LE(longest, 3u);
    EXPECT_EQ(table.worker_of(7), table.worker_of(7 + kRedirectionBuckets)) << "hash % 256";
}

TEST(RedirectionTable, HostileSharesAreRefused) {
    const std::vector<double> zero = {0.0, 1.0};
    EXPECT_THROW(RedirectionTable{zero}, std::invalid_argument);
    const std::vector<double> too_many(kRedirectionBuckets + 1, 1.0);
    EXPECT_THROW(RedirectionTable{too_many}, std::invalid_argument);
    EXPECT_THROW(RedirectionTable{std::vector<double>{}}, std::invalid_argument);
}

// --- Frames and a capture of them.

std::vector<uint8_t> udp_frame(uint32_t flow, bool from_client) {
    const std::initializer_list<uint8_t> client = {10, 1, static_cast<uint8_t>(flow >> 8),
                                                   static_cast<uint8_t>(flow)};
    const std::initializer_list<uint8_t> server = {192, 0, 2, static_cast<uint8_t>(flow % 7)};
    const auto client_port = static_cast<uint16_t>(20000 + flow);
    FrameBuilder b;
    b.ethernet(0x0800).ipv4(from_client ? client : server, from_client ? server : client, 17,
                            8 + 4);
    if (from_client)
        b.udp(client_port, 5001, 4);
    else
        b.udp(5001, client_port, 4);
    return b.bytes({1, 2, 3, 4}).frame();
}

// The first fragment of a UDP datagram (ports inside) and a later one (no ports).
std::vector<uint8_t> fragment(bool first) {
    FrameBuilder b;
    b.ethernet(0x0800).ipv4({10, 2, 0, 1}, {192, 0, 2, 9}, 17, 16,
                            first ? uint16_t{0x2000} : uint16_t{2});  // MF / offset 16 bytes
    if (first) b.udp(33000, 5001, 40);
    return b.zeros(first ? 8 : 16).frame();
}

class PcapFile {
public:
    explicit PcapFile(const std::string& path) : out_(path, std::ios::binary) {
        const uint32_t header[] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1};
        out_.write(reinterpret_cast<const char*>(header), sizeof(header));
    }
    void add(const std::vector<uint8_t>& frame) {
        ++packets_;
        const uint32_t record[] = {1700000000 + packets_ / 1000, packets_ % 1000 * 1000,
                                   static_cast<uint32_t>(frame.size()),
                                   static_cast<uint32_t>(frame.size())};
        out_.write(reinterpret_cast<const char*>(record), sizeof(record));
        out_.write(reinterpret_cast<const char*>(frame.data()),
                   static_cast<std::streamsize>(frame.size()));
    }

private:
    std::ofstream out_;
    uint32_t packets_ = 0;
};

// 3 packets from the client and 2 answers per flow, the flows interleaved.
constexpr uint32_t kFlows = 600;
constexpr uint64_t kPackets = kFlows * 5;

// The capture, written once per test program and removed at its end.
class FlowsCapture {
public:
    FlowsCapture() {
        char pattern[] = "/tmp/ottscope-dispatch-XXXXXX";
        dir_ = mkdtemp(pattern);
        path_ = dir_ + "/flows.pcap";
        PcapFile pcap(path_);
        for (int round = 0; round < 5; ++round)
            for (uint32_t flow = 0; flow < kFlows; ++flow)
                pcap.add(udp_frame(flow, round % 2 == 0));
    }
    ~FlowsCapture() {
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    FlowsCapture(const FlowsCapture&) = delete;
    FlowsCapture& operator=(const FlowsCapture&) = delete;
    [[nodiscard]] const std::string& path() const { return path_; }

private:
    std::string dir_;
    std::string path_;
};

TEST(DispatchHash, BothDirectionsAndEveryFragmentOfAFlowHashAlike) {
    rte_mempool* pool = rte_pktmbuf_pool_create("dh_pool", 63, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
    ASSERT_NE(pool, nullptr);
    const auto hash_of = [pool](const std::vector<uint8_t>& frame, uint16_t port = 0) {
        rte_mbuf* m = rte_pktmbuf_alloc(pool);
        std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size())), frame.data(),
                    frame.size());
        m->port = port;
        const uint32_t hash = dispatch_hash(m, PortView{});
        rte_pktmbuf_free(m);
        return hash;
    };
    EXPECT_EQ(hash_of(udp_frame(5, true)), hash_of(udp_frame(5, false)));
    EXPECT_NE(hash_of(udp_frame(5, true)), hash_of(udp_frame(6, true)));
    EXPECT_EQ(hash_of(fragment(true)), hash_of(fragment(false)));
    // Not IP: no flow, placed by its port.
    const std::vector<uint8_t> arp = FrameBuilder().ethernet(0x0806).zeros(28).frame();
    EXPECT_EQ(hash_of(arp, 3), 3u);
    rte_mempool_free(pool);
}

// --- The receiving lcores on a real port.

// A net_pcap port replaying the capture once, and the pieces the receiving lcore needs.
class SingleQueuePort {
public:
    explicit SingleQueuePort(const std::string& capture, unsigned mbufs = 8191)
        : name_("net_pcap_dispatch" + std::to_string(next_id_++)) {
        pool_ = rte_pktmbuf_pool_create((name_ + "_pool").c_str(), mbufs, 0, 0,
                                        RTE_MBUF_DEFAULT_BUF_SIZE, 0);
        CaptureFileError error;
        auto info = inspect_capture_file(capture, error);
        if (pool_ == nullptr || !info ||
            rte_dev_probe((name_ + ",rx_pcap=" + capture).c_str()) != 0)
            return;
        PortConfig config;
        config.name = name_;
        config.device = name_;
        config.captures = {*info};
        expected_.store(info->packets);
        config.expected_packets = {&expected_};
        ports_ = start_ports({config}, 1, pool_);
        queue_ = RxQueueRef{ports_[0].id, 0, true, &expected_, &rx_};
    }
    ~SingleQueuePort() {
        if (!ports_.empty()) stop_ports(ports_);
        rte_eal_hotplug_remove("vdev", name_.c_str());
        rte_mempool_free(pool_);
    }
    SingleQueuePort(const SingleQueuePort&) = delete;
    SingleQueuePort& operator=(const SingleQueuePort&) = delete;

    [[nodiscard]] bool ready() const { return !ports_.empty(); }
    [[nodiscard]] const RxQueueRef& queue() const { return queue_; }
    [[nodiscard]] rte_mempool* pool() const { return pool_; }
    [[nodiscard]] uint64_t received() const { return rx_.packets.read(); }

private:
    std::atomic<uint64_t> expected_{0};
    static inline int next_id_ = 0;
    std::string name_;
    rte_mempool* pool_ = nullptr;
    std::vector<Port> ports_;
    RxQueueRef queue_;
    RxCounters rx_;
};

rte_ring* make_ring(const std::string& name, unsigned size) {
    return rte_ring_create(name.c_str(), size, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
}

uint64_t counted(const WorkerCounters& counters) {
    uint64_t total = 0;
    for (const AppCounters& app : counters.apps)
        total += app.packets[0].read() + app.packets[1].read();
    for (const Counter& drop : counters.drops) total += drop.read();
    return total;
}

// Workers 0..n-1 over one port, worker 0 receiving or a dedicated fan-out.
class ReceivingRun {
public:
    ReceivingRun(SingleQueuePort& port, unsigned workers, bool dedicated, double share,
                 unsigned ring_size)
        : counters_(workers) {
        const std::string id = std::to_string(next_id_++);
        DispatchSetup dispatch;
        dispatch.queues = {port.queue()};
        dispatch.pool = port.pool();
        dispatch.self = dedicated ? kNoWorker : 0;
        dispatch.table = RedirectionTable(worker_shares(workers, dispatch.self, share));
        dispatch.done = &done_;
        for (unsigned w = 0; w < workers; ++w) {
            rte_ring* ring = dedicated || w != 0
                                 ? make_ring("dt_in" + id + "_" + std::to_string(w), ring_size)
                                 : nullptr;
            if (ring != nullptr) rings_.push_back(ring);
            dispatch.rings.push_back(ring);
            WorkerSetup setup;
            setup.index = static_cast<uint16_t>(w);
            setup.input_ring = ring;
            setup.input_done = ring != nullptr ? &done_ : nullptr;
            setup.stop = &stop_;
            setup.pool = port.pool();
            setup.flow_capacity = 4096;
            setup.counters = &counters_[w];
            setups_.push_back(setup);
        }
        if (dedicated) {
            fanout_ = std::make_unique<Fanout>(FanoutSetup{dispatch, &stop_, &fanout_counters_});
        } else {
            setups_[0].dispatch = dispatch;
        }
    }
    ~ReceivingRun() {
        for (rte_ring* ring : rings_) rte_ring_free(ring);
    }
    ReceivingRun(const ReceivingRun&) = delete;
    ReceivingRun& operator=(const ReceivingRun&) = delete;

    // Every lcore at once, as the appliance runs them (threads here).
    void run_concurrently() {
        std::vector<std::thread> threads;
        std::vector<std::unique_ptr<Worker>> workers;
        for (WorkerSetup& setup : setups_) workers.push_back(std::make_unique<Worker>(setup));
        if (fanout_) threads.emplace_back([this] { fanout_->run(); });
        for (size_t w = 1; w < workers.size(); ++w)
            threads.emplace_back([&workers, w] { workers[w]->run(); });
        workers[0]->run();
        for (std::thread& thread : threads) thread.join();
        for (const auto& worker : workers) EXPECT_TRUE(worker->finished());
    }

    // The receiving lcore alone, its rings filling up and nobody emptying them, until stop;
    // then the other workers run and empty their rings.
    void stop_while_rings_are_full(const SingleQueuePort& port) {
        std::vector<std::unique_ptr<Worker>> workers;
        for (WorkerSetup& setup : setups_) workers.push_back(std::make_unique<Worker>(setup));
        std::thread receiver([&] {
            if (fanout_)
                fanout_->run();
            else
                workers[0]->run();
        });
        // Until a ring is full and the port stops delivering: the receiver holds what no ring
        // takes and reads nothing more.
        const auto any_full = [this] {
            return std::any_of(rings_.begin(), rings_.end(), rte_ring_full);
        };
        uint64_t seen = 0;
        for (int i = 0; i < 500 && (!any_full() || seen == 0 || port.received() != seen); ++i) {
            seen = port.received();
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        full_before_stop_ = any_full();
        stop_.store(true);
        receiver.join();  // must not wait for the rings
        EXPECT_TRUE(done_.load());
        for (size_t w = fanout_ ? 0 : 1; w < workers.size(); ++w) workers[w]->run();
        for (const auto& worker : workers) EXPECT_TRUE(worker->finished());
    }

    [[nodiscard]] const WorkerCounters& counters(unsigned w) const { return counters_[w]; }
    [[nodiscard]] const WorkerCounters& fanout_counters() const { return fanout_counters_; }
    [[nodiscard]] bool full_before_stop() const { return full_before_stop_; }
    [[nodiscard]] uint64_t all_counted() const {
        uint64_t total = counted(fanout_counters_);
        for (const WorkerCounters& block : counters_) total += counted(block);
        return total;
    }
    [[nodiscard]] uint64_t all_taken_in() const {
        uint64_t total = fanout_counters_.packets.read();
        for (const WorkerCounters& block : counters_) total += block.packets.read();
        return total;
    }
    [[nodiscard]] uint64_t flows() const {
        uint64_t total = 0;
        for (const WorkerCounters& block : counters_) total += block.flows_created.read();
        return total;
    }
    [[nodiscard]] uint64_t shutdown_drops() const {
        uint64_t total = fanout_counters_.drops[index_of(DropReason::shutdown)].read();
        for (const WorkerCounters& block : counters_)
            total += block.drops[index_of(DropReason::shutdown)].read();
        return total;
    }

private:
    static inline int next_id_ = 0;
    std::vector<WorkerCounters> counters_;
    WorkerCounters fanout_counters_;
    std::vector<WorkerSetup> setups_;
    std::vector<rte_ring*> rings_;
    std::unique_ptr<Fanout> fanout_;
    std::atomic<bool> done_{false};
    std::atomic<bool> stop_{false};
    bool full_before_stop_ = false;
};

const std::string& capture() {
    static const FlowsCapture written;
    return written.path();
}

struct Mode {
    unsigned workers;
    bool dedicated;
    double share;
};

class Receiving : public testing::TestWithParam<Mode> {};

// Rings of 64 against 3000 packets: the receiver runs into full rings all the time and
// must wait for room without losing a packet or splitting a flow.
TEST_P(Receiving, EveryFlowMeetsInOneWorkerAndEveryPacketIsCounted) {
    const Mode mode = GetParam();
    SingleQueuePort port(capture());
    ASSERT_TRUE(port.ready());
    ReceivingRun run(port, mode.workers, mode.dedicated, mode.share, 64);
    run.run_concurrently();
    EXPECT_EQ(port.received(), kPackets);
    EXPECT_EQ(run.all_taken_in(), kPackets);
    EXPECT_EQ(run.all_counted(), kPackets);
    EXPECT_EQ(run.shutdown_drops(), 0u);
    // A flow split between two workers would be created in each.
    EXPECT_EQ(run.flows(), kFlows);
    // Each worker took about the flows its buckets give it.
    const std::vector<double> shares =
        worker_shares(mode.workers, mode.dedicated ? kNoWorker : 0, mode.share);
    double total_share = 0;
    for (double share : shares) total_share += share;
    for (unsigned w = 0; w < mode.workers; ++w) {
        const double expected = kFlows * shares[w] / total_share;
        EXPECT_NEAR(static_cast<double>(run.counters(w).flows_created.read()), expected,
                    expected * 0.3)
            << "worker " << w;
    }
}

TEST_P(Receiving, StopWhileRingsAreFullCountsWhatCouldNotBePlaced) {
    const Mode mode = GetParam();
    SingleQueuePort port(capture());
    ASSERT_TRUE(port.ready());
    ReceivingRun run(port, mode.workers, mode.dedicated, mode.share, 16);
    run.stop_while_rings_are_full(port);
    EXPECT_TRUE(run.full_before_stop());
    EXPECT_GT(port.received(), 0u);
    EXPECT_LT(port.received(), kPackets) << "the receiver went on reading past full rings";
    EXPECT_GT(run.shutdown_drops(), 0u);
    EXPECT_EQ(run.all_taken_in(), port.received());
    EXPECT_EQ(run.all_counted(), port.received());
}

INSTANTIATE_TEST_SUITE_P(
    Modes, Receiving,
    testing::Values(Mode{2, false, 0.5}, Mode{2, false, 1.0}, Mode{3, false, 0.5},
                    Mode{2, true, 0.5}, Mode{3, true, 0.5}),
    [](const auto& info) {
        const Mode& m = info.param;
        return std::to_string(m.workers) + "Workers" +
               (m.dedicated ? std::string("Dedicated")
                            : "Receiver" + std::to_string(static_cast<int>(m.share * 10)));
    });

}  // namespace
}  // namespace ottscope
