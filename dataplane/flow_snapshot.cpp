#include "flow_snapshot.h"

#include <algorithm>

#include "flow_table.h"

namespace ottscope {
namespace {

// Min-heap on bytes: the smallest of the kept flows sits at the front, ready to be replaced.
bool larger(const FlowSnapshotEntry& a, const FlowSnapshotEntry& b) noexcept {
    return a.summary.total_bytes() > b.summary.total_bytes();
}

}  // namespace

void TopFlowsScanner::step(FlowTable& table, uint32_t slot_budget) noexcept {
    if (mailbox_ == nullptr) return;
    if (serving_ == 0) {
        const uint64_t wanted = mailbox_->requested();
        if (wanted == served_) [[likely]]
            return;
        serving_ = wanted;
        next_slot_ = 0;
        mailbox_->back().count = 0;
    }
    const uint32_t end = std::min(table.slots_used(), next_slot_ + slot_budget);
    for (uint32_t slot = next_slot_; slot < end; ++slot)
        if (table.in_use(slot)) offer(table[slot]);
    next_slot_ = end;
    if (next_slot_ == table.slots_used()) finish(table.size());
}

void TopFlowsScanner::offer(const Flow& flow) noexcept {
    FlowSnapshot& snapshot = mailbox_->back();
    auto* const first = snapshot.entries.data();
    const uint64_t bytes = flow.summary.total_bytes();
    if (snapshot.count == kTopFlowsMax) {
        if (bytes <= first->summary.total_bytes()) return;
        std::pop_heap(first, first + snapshot.count, larger);
        --snapshot.count;
    }
    FlowSnapshotEntry& entry = snapshot.entries[snapshot.count++];
    entry.summary = flow.summary;
    entry.classified = flow.credited;
    std::push_heap(first, first + snapshot.count, larger);
}

void TopFlowsScanner::finish(uint32_t table_size) noexcept {
    FlowSnapshot& snapshot = mailbox_->back();
    std::sort_heap(snapshot.entries.data(), snapshot.entries.data() + snapshot.count, larger);
    snapshot.generation = serving_;
    snapshot.table_size = table_size;
    mailbox_->publish();
    served_ = serving_;
    serving_ = 0;
}

void TopFlowsScanner::close() noexcept {
    if (mailbox_ == nullptr) return;
    FlowSnapshot& snapshot = mailbox_->back();
    snapshot.count = 0;
    snapshot.table_size = 0;
    snapshot.generation = std::max(mailbox_->requested(), served_);
    mailbox_->publish();
    mailbox_->close();
}

}  // namespace ottscope
