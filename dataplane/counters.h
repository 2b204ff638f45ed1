#pragma once
// Per-worker statistics: written by exactly one lcore, read at any time by the control
// thread. Relaxed atomics compile to plain loads and stores on x86 and keep the readers
// free of torn values and data races, with no locked instruction on the packet path.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "classifiers/classifier.h"
#include "classifiers/counter.h"
#include "classifiers/registry.h"
#include "drop_reasons.h"
#include "stream_events.h"

namespace ottscope {

struct AppCounters {
    std::array<Counter, 2> packets;  // indexed by Direction
    std::array<Counter, 2> bytes;
    Counter flows;
    Counter active_flows;
};

// Confidence levels, for the verdict counters.
constexpr size_t kConfidenceLevels = kConfidenceNames.size();

// TCP stream reassembly (dataplane/stream_reassembler.h).
struct StreamCounters {
    std::array<Counter, static_cast<size_t>(StreamEvent::count)> events;
    Counter delivered_bytes;  // bytes added to contiguous prefixes
    Counter buffers_in_use;
};

struct alignas(64) WorkerCounters {
    WorkerCounters();

    // Decided flows per (app, deciding classifier, confidence), for
    // ottscope_classifier_verdicts_total.
    [[nodiscard]] Counter& verdict(uint16_t app, uint8_t classifier,
                                   Confidence confidence) noexcept {
        return verdicts[verdict_slot(app, classifier, confidence)];
    }
    [[nodiscard]] size_t verdict_slot(uint16_t app, uint8_t classifier,
                                      Confidence confidence) const noexcept {
        const size_t c = classifier < registered_classifiers ? classifier : 0;
        return ((app % kMaxApps) * registered_classifiers + c) * kConfidenceLevels +
               static_cast<size_t>(confidence) % kConfidenceLevels;
    }

    std::array<AppCounters, kMaxApps> apps;
    size_t registered_classifiers;
    std::unique_ptr<Counter[]> verdicts;  // by verdict_slot()
    std::array<Counter, index_of(DropReason::count)> drops;
    std::array<Counter, index_of(DecodeError::count)> decode_errors;
    std::array<Counter, index_of(FlowEnd::count)> evictions;
    Counter packets;  // every packet this worker took in
    Counter flow_entries;
    Counter flows_created;
    Counter classifier_state_bytes;
    Counter busy_cycles;  // cycles spent on bursts that carried packets
    Counter total_cycles;
    // Finished flows whose record found the worker's record ring full: dropped, never waited
    // for (the sinks behind the ring may be stuck; packets must keep flowing).
    Counter records_dropped;
    StreamCounters stream;

    // IP reassembly
    Counter fragments_held;         // IP fragments waiting for the rest of their datagram
    Counter datagrams_reassembled;  // IP datagrams completed from their fragments

    // Each classifier's own counters, by registry index, laid out by its declarations.
    std::vector<std::unique_ptr<ClassifierCounters>> classifiers;
};

// Receive side: one block per polling lcore, one slot per (port, queue) it polls.
struct alignas(64) RxCounters {
    Counter packets;
    Counter bytes;
};

}  // namespace ottscope
