#pragma once
// Fixed-size blocks for per-flow classifier state, owned by one worker. Blocks are carved
// from large chunks and recycled through a free list, so the packet path allocates only
// while the number of flows under classification grows past its previous peak.

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <vector>

namespace ottscope {

class StatePool {
public:
    explicit StatePool(size_t block_size, size_t blocks_per_chunk = 4096)
        : block_size_((block_size + 63) & ~size_t{63}), blocks_per_chunk_(blocks_per_chunk) {}
    StatePool(const StatePool&) = delete;
    StatePool& operator=(const StatePool&) = delete;

    void* acquire() {
        if (free_.empty()) grow();
        void* block = free_.back();
        free_.pop_back();
        ++in_use_;
        return block;
    }

    void release(void* block) noexcept {
        free_.push_back(block);  // capacity reserved in grow(): never reallocates here
        --in_use_;
    }

    [[nodiscard]] size_t in_use() const noexcept { return in_use_; }
    [[nodiscard]] size_t block_size() const noexcept { return block_size_; }

private:
    struct FreeChunk {
        void operator()(std::byte* chunk) const noexcept { std::free(chunk); }
    };

    void grow() {
        auto* chunk =
            static_cast<std::byte*>(std::aligned_alloc(64, block_size_ * blocks_per_chunk_));
        if (chunk == nullptr) throw std::bad_alloc();
        chunks_.emplace_back(chunk);
        free_.reserve(chunks_.size() * blocks_per_chunk_);
        for (size_t i = blocks_per_chunk_; i-- > 0;) free_.push_back(chunk + i * block_size_);
    }

    size_t block_size_;
    size_t blocks_per_chunk_;
    size_t in_use_ = 0;
    std::vector<std::unique_ptr<std::byte, FreeChunk>> chunks_;
    std::vector<void*> free_;
};

}  // namespace ottscope
