#pragma once
// Per-worker statistics: written by exactly one lcore, read at any time by the control
// thread. Relaxed atomics compile to plain loads and stores on x86 and keep the readers
// free of torn values and data races, with no locked instruction on the packet path.

#include <array>
#include <atomic>
#include <cstdint>

#include "classifiers/classifier.h"
#include "classifiers/http/http_method.h"
#include "classifiers/registry.h"
#include "drop_reasons.h"
#include "stream_events.h"

namespace ottscope {

class Counter {
public:
    void add(uint64_t n = 1) noexcept {
        value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    void sub(uint64_t n = 1) noexcept {
        value_.store(value_.load(std::memory_order_relaxed) - n, std::memory_order_relaxed);
    }
    void set(uint64_t n) noexcept { value_.store(n, std::memory_order_relaxed); }
    [[nodiscard]] uint64_t read() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<uint64_t> value_{0};
};

// Decided flows per (deciding classifier, confidence), for ottscope_classifier_verdicts_total.
constexpr size_t kConfidenceLevels = 4;
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

// HTTP classifier (classifiers/http): requests and body bytes per app, credited when the
// classifier finishes with a flow; fixed arrays so the packet path never allocates.
struct HttpCounters {
    std::array<std::array<Counter, kHttpMethods>, kMaxApps> requests;
    std::array<std::array<Counter, 2>, kMaxApps> payload_bytes;  // indexed by Direction
    Counter not_http;        // TCP streams given up on at their first bytes
    Counter parse_errors;    // streams that began as HTTP and then broke the grammar
    Counter json_bodies;     // request bodies inspected as JSON
    Counter json_truncated;  // ... of which only a prefix was inspected
    Counter json_invalid;    // ... complete, but rejected by simdjson
};

// TLS classifier with a key log: flows looked inside, by what was found (InnerResult order:
// sip, not_sip, failed), and application data records decrypted.
struct TlsDecryptCounters {
    std::array<Counter, 3> flows;
    Counter records;
};

struct alignas(64) WorkerCounters {
    std::array<AppCounters, kMaxApps> apps;
    std::array<Counter, index_of(DropReason::count)> drops;
    std::array<Counter, index_of(DecodeError::count)> decode_errors;
    std::array<Counter, index_of(EvictionReason::count)> evictions;
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
