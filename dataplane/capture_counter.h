#pragma once
// Counts the packets of the capture files a run replays, on a thread of its own, while the
// dataplane starts and runs: counting a large capture means reading all of it, and a run
// needs the count only to know when the capture has been delivered whole. Until a file's
// count is known its expected() reads kUnknown and its port cannot be finished.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <thread>
#include <vector>

#include "capture_file.h"

namespace ottscope {

class CaptureCounter {
public:
    static constexpr uint64_t kUnknown = UINT64_MAX;

    // Starts counting `captures` (opened with open_capture_file) in their order;
    // `walk_headers` as for count_capture_file. `first`, when given, runs on the counting
    // thread before any count: other start-up work that needs no EAL, done one after the
    // other with the count so that together they keep off the core the EAL's start needs.
    explicit CaptureCounter(std::vector<CaptureFileInfo> captures, bool walk_headers = true,
                            std::function<void()> first = {});
    ~CaptureCounter();
    CaptureCounter(const CaptureCounter&) = delete;
    CaptureCounter& operator=(const CaptureCounter&) = delete;

    // The packet count of capture `index`, kUnknown until it has been counted. Stable
    // address, read by the lcores that poll the capture's port.
    [[nodiscard]] const std::atomic<uint64_t>* expected(size_t index) const noexcept {
        return &expected_[index];
    }
    // Waits for every count and returns the captures with packets, bytes and damage filled.
    const std::vector<CaptureFileInfo>& wait();
    // Asks an unfinished count to give up (the run is stopping), then waits for it.
    void abandon();

private:
    void count_all() noexcept;

    std::function<void()> first_;
    std::vector<CaptureFileInfo> captures_;
    std::unique_ptr<std::atomic<uint64_t>[]> expected_;
    std::atomic<bool> stop_{false};
    bool walk_headers_;
    std::thread thread_;
};

// The count behind `expected`, or kUnknown: null (a NIC, or a looping capture) counts as
// never ending.
inline uint64_t expected_packets(const std::atomic<uint64_t>* expected) noexcept {
    return expected == nullptr ? CaptureCounter::kUnknown
                               : expected->load(std::memory_order_acquire);
}

// The counts of several captures together (a port's queues), kUnknown while one of them is,
// and for none at all (a NIC).
inline uint64_t expected_packets(std::span<const std::atomic<uint64_t>* const> counts) noexcept {
    if (counts.empty()) return CaptureCounter::kUnknown;
    uint64_t total = 0;
    for (const std::atomic<uint64_t>* count : counts) {
        const uint64_t packets = expected_packets(count);
        if (packets == CaptureCounter::kUnknown) return CaptureCounter::kUnknown;
        total += packets;
    }
    return total;
}

}  // namespace ottscope
