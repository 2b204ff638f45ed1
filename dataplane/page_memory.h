#pragma once
// Memory taken straight from the kernel for per-worker arrays sized for the worst case (a
// million flows) that mostly stay empty. Its pages are zero and cost nothing until first
// touched, they land on the NUMA node of the lcore that touches them first (the worker that
// owns the array), and giving them back is one munmap. DPDK's heap would instead zero the
// whole region on rte_free, faulting in every page never used, which made a short capture
// run spend a fifth of its time freeing a table it had barely filled. Nothing kept here is
// read by a NIC, so it needs no IOVA-contiguous DPDK memory.

#include <cstddef>

namespace ottscope {

class PageMemory {
public:
    PageMemory() = default;
    // Throws std::bad_alloc when the kernel refuses the mapping.
    explicit PageMemory(size_t bytes);
    ~PageMemory();
    PageMemory(PageMemory&& other) noexcept;
    PageMemory& operator=(PageMemory&& other) noexcept;
    PageMemory(const PageMemory&) = delete;
    PageMemory& operator=(const PageMemory&) = delete;

    [[nodiscard]] void* data() const noexcept { return base_; }
    [[nodiscard]] size_t size() const noexcept { return bytes_; }

private:
    void* base_ = nullptr;
    size_t bytes_ = 0;
};

}  // namespace ottscope
