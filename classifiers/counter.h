#pragma once
// One statistic: written by exactly one lcore, read at any time by the control side. Relaxed
// atomics compile to plain loads and stores on x86 and keep the readers free of torn values
// and data races, with no locked instruction on the packet path. Shared vocabulary: includes
// nothing of ours, so classifiers and the dataplane both count with it.

#include <atomic>
#include <cstdint>

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

}  // namespace ottscope
