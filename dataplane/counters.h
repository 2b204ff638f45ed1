#pragma once
// Per-worker statistics: written by exactly one lcore, read at any time by the control
// thread. Relaxed atomics compile to plain loads and stores on x86 and keep the readers
// free of torn values and data races, with no locked instruction on the packet path.

#include <array>
#include <atomic>
#include <cstdint>

#include "classifiers/classifier.h"
#include "classifiers/counter.h"
#include "classifiers/http/http_counters.h"
#include "classifiers/registry.h"
#include "classifiers/tls/tls_decrypt_counters.h"
#include "drop_reasons.h"
#include "stream_events.h"

namespace ottscope {

// Decided flows per (deciding classifier, confidence), for ottscope_classifier_verdicts_total.
constexpr size_t kConfidenceLevels = kConfidenceNames.size();
constexpr size_t kVerdictSlots = kMaxClassifiers * kConfidenceLevels;
constexpr size_t verdict_slot(uint8_t classifier, Confidence confidence) noexcept {
    return (classifier % kMaxClassifiers) * kConfidenceLevels +
           static_cast<size_t>(confidence) % kConfidenceLevels;
}

struct AppCounters {
    std::array<Counter, 2> packets;  // indexed by Direction
    std::array<Counter, 2> bytes;
    Counter flows;
    Counter active_flows;
    std::array<Counter, kVerdictSlots> verdicts;  // by verdict_slot()
};

// TCP stream reassembly (dataplane/stream_reassembler.h).
struct StreamCounters {
    std::array<Counter, static_cast<size_t>(StreamEvent::count)> events;
    Counter delivered_bytes;  // bytes added to contiguous prefixes
    Counter buffers_in_use;
};

struct alignas(64) WorkerCounters {
    std::array<AppCounters, kMaxApps> apps;
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

    HttpCounters http;
    TlsDecryptCounters tls_decrypt;
};

// Receive side: one block per polling lcore, one slot per (port, queue) it polls.
struct alignas(64) RxCounters {
    Counter packets;
    Counter bytes;
};

}  // namespace ottscope
