#include "record_drain.h"

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <chrono>

#include "control/export/ipfix_export_set.h"
#include "control/export/jsonl_sink.h"

namespace ottscope {
namespace {
constexpr unsigned kDequeueBurst = 64;
// Idle wait between passes: a record ring (65,536 records) takes far longer than this to
// fill at any flow rate a worker reaches.
constexpr auto kIdleWait = std::chrono::milliseconds(2);
}  // namespace

RecordDrain::RecordDrain(std::vector<rte_ring*> rings, RecordDrainOutputs outputs)
    : rings_(std::move(rings)), outputs_(std::move(outputs)) {}

RecordDrain::~RecordDrain() {
    join();
}

bool RecordDrain::drain_once() {
    FlowRecord records[kDequeueBurst];
    bool any = false;
    unsigned worker = 0;
    for (rte_ring* ring : rings_) {
        unsigned n = 0;
        while ((n = rte_ring_dequeue_burst_elem(ring, records, sizeof(FlowRecord), kDequeueBurst,
                                                nullptr)) != 0) {
            any = true;
            for (unsigned i = 0; i < n; ++i) {
                if (outputs_.jsonl != nullptr)
                    outputs_.jsonl->offer(outputs_.format_jsonl(records[i]));
                if (outputs_.ipfix != nullptr) outputs_.ipfix->offer(records[i], worker);
            }
        }
        ++worker;
    }
    if (outputs_.ipfix != nullptr) outputs_.ipfix->pump(std::chrono::steady_clock::now());
    return any;
}

void RecordDrain::start(const std::atomic<bool>& producers_done) {
    thread_ = std::thread([this, &producers_done] {
        for (;;) {
            // Read before the pass: records enqueued before the producers finished are then
            // certainly seen by this pass or an earlier one.
            const bool done = producers_done.load(std::memory_order_acquire);
            const bool any = drain_once();
            if (done && !any) return;
            if (!any) std::this_thread::sleep_for(kIdleWait);
        }
    });
}

void RecordDrain::join() {
    if (thread_.joinable()) thread_.join();
}

}  // namespace ottscope
