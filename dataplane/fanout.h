#pragma once
// The receive lcore for single-queue ports: it reads bursts, hashes each packet's flow key
// symmetrically and hands it to that worker's ring, so both directions of a flow meet in
// one worker. Rings that are full make it wait: the NIC's own counters then show any loss.

#include <array>
#include <atomic>
#include <cstdint>
#include <vector>

#include "rx_poller.h"
#include "worker.h"

struct rte_ring;

namespace ottscope {

struct FanoutSetup {
    std::vector<RxQueueRef> queues;
    std::vector<rte_ring*> worker_rings;
    std::array<PortView, kMaxPorts> ports{};
    rte_mempool* pool = nullptr;
    const std::atomic<bool>* stop = nullptr;
    std::atomic<bool>* done = nullptr;   // set once every packet has been handed over
    WorkerCounters* counters = nullptr;  // packets it had to discard at shutdown
};

class Fanout {
public:
    explicit Fanout(FanoutSetup setup);
    void run() noexcept;
    static int launch(void* fanout) noexcept;
    [[nodiscard]] bool finished() const noexcept {
        return setup_.done->load(std::memory_order_acquire);
    }

private:
    [[nodiscard]] uint32_t worker_of(const struct rte_mbuf* mbuf) const noexcept;

    FanoutSetup setup_;
    RxPoller poller_;
};

}  // namespace ottscope
