#pragma once
// The dedicated fan-out lcore for single-queue ports (dataplane.fanout: dedicated): an lcore
// that only reads the ports and hands every packet to the ring of the worker owning its
// flow (see dispatch.h). It costs an lcore of its own, which pays off where cores are
// plentiful and reading is the bottleneck; otherwise worker 0 does the receiving itself.
// Rings that are full make it wait: the NIC's own counters then show any loss.

#include <atomic>

#include "dispatch.h"

namespace ottscope {

struct FanoutSetup {
    DispatchSetup dispatch;  // self is kNoWorker: every packet goes to a ring
    const std::atomic<bool>* stop = nullptr;
    WorkerCounters* counters = nullptr;  // packets it had to discard at shutdown
};

class Fanout {
public:
    explicit Fanout(FanoutSetup setup);
    void run() noexcept;
    static int launch(void* fanout) noexcept;
    // True once every packet has been handed over (read after rte_eal_mp_wait_lcore()).
    [[nodiscard]] bool finished() const noexcept { return done_->load(std::memory_order_acquire); }

private:
    const std::atomic<bool>* stop_;
    const std::atomic<bool>* done_;
    WorkerCounters* counters_;
    Dispatcher dispatcher_;
};

}  // namespace ottscope
