#pragma once
// The largest active flows of one worker, for the control plane's /api/v1/flows. The worker
// builds a snapshot only when asked, a few table slots per loop iteration, and hands it over
// through a triple buffer: no lock, no allocation and no shared mutable flow on the packet path.

#include <array>
#include <atomic>
#include <cstdint>

#include "flow_summary.h"

namespace ottscope {

class FlowTable;

constexpr uint32_t kTopFlowsMax = 100;

struct FlowSnapshotEntry {
    FlowSummary summary;
    bool classified = false;  // false: still being inspected, the app is not decided yet
};

struct FlowSnapshot {
    uint64_t generation = 0;  // the request this snapshot answers
    uint32_t table_size = 0;  // flows in the table when the scan ended
    uint32_t count = 0;       // entries used, largest first
    std::array<FlowSnapshotEntry, kTopFlowsMax> entries{};
};

// One writer (the worker lcore) and one reader at a time (the control side serializes its
// readers). Ownership of the three buffers moves only through the atomic exchange.
class FlowSnapshotMailbox {
public:
    // Control side: asks for a fresh snapshot; returns the generation that will answer it.
    uint64_t request() noexcept { return requested_.fetch_add(1, std::memory_order_acq_rel) + 1; }
    [[nodiscard]] uint64_t published() const noexcept {
        return published_.load(std::memory_order_acquire);
    }
    [[nodiscard]] bool closed() const noexcept { return closed_.load(std::memory_order_acquire); }
    // Control side: the newest complete snapshot (stays valid until the next call).
    const FlowSnapshot& latest() noexcept {
        if ((middle_.load(std::memory_order_acquire) & kFresh) != 0)
            front_ = static_cast<uint8_t>(middle_.exchange(front_, std::memory_order_acq_rel) &
                                          kIndexMask);
        return buffers_[front_];
    }

    // Worker side.
    [[nodiscard]] uint64_t requested() const noexcept {
        return requested_.load(std::memory_order_acquire);
    }
    FlowSnapshot& back() noexcept { return buffers_[back_]; }
    void publish() noexcept {
        const uint64_t generation = buffers_[back_].generation;
        back_ = static_cast<uint8_t>(
            middle_.exchange(static_cast<uint8_t>(back_ | kFresh), std::memory_order_acq_rel) &
            kIndexMask);
        published_.store(generation, std::memory_order_release);
    }
    void close() noexcept { closed_.store(true, std::memory_order_release); }

private:
    static constexpr uint8_t kFresh = 0x4;
    static constexpr uint8_t kIndexMask = 0x3;
    std::array<FlowSnapshot, 3> buffers_{};
    std::atomic<uint8_t> middle_{1};
    uint8_t back_ = 0;   // worker-owned
    uint8_t front_ = 2;  // reader-owned
    std::atomic<uint64_t> requested_{0};
    std::atomic<uint64_t> published_{0};
    std::atomic<bool> closed_{false};
};

// Worker side: walks the table a bounded number of slots per call while a request is open,
// keeps the largest flows in a small heap, and publishes when the walk is done.
class TopFlowsScanner {
public:
    explicit TopFlowsScanner(FlowSnapshotMailbox* mailbox) noexcept : mailbox_(mailbox) {}
    void step(FlowTable& table, uint32_t slot_budget) noexcept;
    // The worker is done: publish an empty snapshot and tell readers not to wait any more.
    void close() noexcept;

private:
    void offer(const struct Flow& flow) noexcept;
    void finish(uint32_t table_size) noexcept;

    FlowSnapshotMailbox* mailbox_;
    uint64_t serving_ = 0;  // generation of the scan in progress, 0 when idle
    uint64_t served_ = 0;
    uint32_t next_slot_ = 0;
};

}  // namespace ottscope
