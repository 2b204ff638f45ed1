#include "fanout.h"

#include <rte_pause.h>

#include <sched.h>

namespace ottscope {
namespace {
// Spin this many empty polls (nothing read, nothing placed) before yielding the core.
constexpr unsigned kIdlePollsBeforeYield = 256;
}  // namespace

Fanout::Fanout(FanoutSetup setup)
    : stop_(setup.stop),
      done_(setup.dispatch.done),
      counters_(setup.counters),
      dispatcher_(std::move(setup.dispatch)) {}

int Fanout::launch(void* fanout) noexcept {
    static_cast<Fanout*>(fanout)->run();
    return 0;
}

void Fanout::run() noexcept {
    std::array<rte_mbuf*, kBurstSize> mbufs{};  // the burst read; all of it goes to rings
    unsigned idle_polls = 0;
    for (;;) {
        bool moved = false;
        dispatcher_.poll(mbufs.data(), stop_->load(std::memory_order_relaxed), *counters_, moved);
        if (dispatcher_.finished()) break;
        if (moved) {
            idle_polls = 0;
        } else if (++idle_polls > kIdlePollsBeforeYield) {
            sched_yield();
        } else {
            rte_pause();
        }
    }
}

}  // namespace ottscope
