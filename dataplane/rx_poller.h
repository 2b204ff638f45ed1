#pragma once
// Polls a set of RX queues round-robin and knows when finite sources (capture files) have
// delivered all their packets. Owned by the one lcore that polls those queues.

#include <atomic>
#include <cstdint>
#include <vector>

#include "counters.h"
#include "link_type.h"

struct rte_mbuf;
struct rte_mempool;

namespace ottscope {

// A capture port reads from a file: waiting for free mbufs loses nothing, whereas polling
// with an empty pool makes the pcap PMD read a packet and drop it for want of an mbuf. So a
// capture is read only while this many mbufs stay free.
constexpr unsigned kMbufReserve = 2048;
// Bursts between two looks at the reserve (at most this many bursts of mbufs taken unseen).
constexpr unsigned kReserveCheckBursts = 8;

constexpr uint16_t kBurstSize = 32;
constexpr size_t kMaxPorts = 64;

// What a receiving lcore needs to know of a port to decode its frames.
struct PortView {
    LinkType link = LinkType::ethernet;
    uint16_t zone = 0;
};

struct RxQueueRef {
    uint16_t port = 0;
    uint16_t queue = 0;
    bool finite = false;
    // The capture's packet count (CaptureCounter), possibly still being taken.
    const std::atomic<uint64_t>* expected_packets = nullptr;
    RxCounters* counters = nullptr;
    // The port's only queue: the port's packets lost for want of mbufs are this queue's.
    // DPDK counts those per port, so a queue beside others cannot tell its own.
    bool alone_on_port = true;
};

class RxPoller {
public:
    RxPoller(const std::vector<RxQueueRef>& queues, rte_mempool* pool);

    uint16_t receive(rte_mbuf** mbufs, uint16_t max) noexcept;
    [[nodiscard]] bool finished() const noexcept { return remaining_ == 0 && all_finite_; }
    [[nodiscard]] bool empty() const noexcept { return queues_.empty(); }

private:
    struct State {
        RxQueueRef ref;
        uint64_t delivered = 0;
        uint64_t idle_since_tsc = 0;
        bool done = false;
    };
    void check_done(State& state) noexcept;

    std::vector<State> queues_;
    rte_mempool* pool_;
    size_t next_ = 0;
    size_t remaining_ = 0;
    unsigned reserve_checks_ = 0;
    bool all_finite_ = true;
};

}  // namespace ottscope
