#include "rx_poller.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>

#include "capture_counter.h"

namespace ottscope {
namespace {
// A capture that stops short of its packet count (the PMD hit a read error, or lost packets
// for want of mbufs on a queue that cannot tell its losses) is declared finished after this
// long without progress, and the shortfall is counted as rx_error.
constexpr uint64_t kStallSeconds = 2;
}  // namespace

RxPoller::RxPoller(const std::vector<RxQueueRef>& queues, rte_mempool* pool) : pool_(pool) {
    for (const RxQueueRef& ref : queues) {
        queues_.push_back(State{ref});
        all_finite_ = all_finite_ && ref.finite;
        ++remaining_;
    }
}

void RxPoller::check_done(State& state) noexcept {
    if (!state.ref.finite || state.done) return;
    rte_eth_stats stats{};
    uint64_t lost = 0;
    if (state.ref.alone_on_port && rte_eth_stats_get(state.ref.port, &stats) == 0)
        lost = stats.rx_nombuf;
    const uint64_t now = rte_get_tsc_cycles();
    // A count still being taken says nothing yet: neither complete nor short.
    const uint64_t expected = expected_packets(state.ref.expected_packets);
    if (expected == CaptureCounter::kUnknown) return;
    const bool complete = state.delivered + lost >= expected;
    const bool stalled =
        state.idle_since_tsc != 0 && now - state.idle_since_tsc > kStallSeconds * rte_get_tsc_hz();
    if (state.idle_since_tsc == 0) state.idle_since_tsc = now;
    if (complete || stalled) {
        state.done = true;
        --remaining_;
    }
}

uint16_t RxPoller::receive(rte_mbuf** mbufs, uint16_t max) noexcept {
    const size_t count = queues_.size();
    for (size_t tried = 0; tried < count; ++tried) {
        State& state = queues_[next_];
        next_ = next_ + 1 == count ? 0 : next_ + 1;
        if (state.done) continue;
        // Counting the pool's free mbufs walks every lcore's cache: it is done once per
        // kReserveCheckBursts bursts, which take far fewer mbufs than the reserve holds.
        if (state.ref.finite && reserve_checks_++ % kReserveCheckBursts == 0 &&
            rte_mempool_avail_count(pool_) < kMbufReserve) {
            reserve_checks_ = 0;  // short: look again at the next call
            return 0;
        }
        const uint16_t received = rte_eth_rx_burst(state.ref.port, state.ref.queue, mbufs, max);
        if (received == 0) {
            check_done(state);
            continue;
        }
        state.idle_since_tsc = 0;
        state.delivered += received;
        uint64_t bytes = 0;
        for (uint16_t i = 0; i < received; ++i) bytes += rte_pktmbuf_pkt_len(mbufs[i]);
        state.ref.counters->packets.add(received);
        state.ref.counters->bytes.add(bytes);
        if (state.ref.finite && state.delivered >= expected_packets(state.ref.expected_packets)) {
            state.done = true;
            --remaining_;
        }
        return received;
    }
    return 0;
}

}  // namespace ottscope
