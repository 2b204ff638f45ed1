#pragma once
// An append-only table of names with stable ids, for strings that workers refer to by id
// (rule evidence) and that the control side renders, possibly long after the rules that named
// them were replaced: an id keeps its meaning for the life of the process. Entries are never
// changed or removed, so a reader on any thread needs only the published size: appending is
// done under a mutex by the control side, reading takes no lock.
//
// The table grows in chunks up to its capacity (at most the 16-bit id space), so a small
// table costs little and a large one needs no copying: a chunk never moves once published.
// Filling up is never silent: intern() says so, and intern_all() refuses a whole set of names
// that would not fit, adding none of them.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ottscope {

class NameTable {
public:
    // Ids are uint16_t: at most 65,536 names.
    static constexpr size_t kMaxCapacity = size_t{1} << 16;

    explicit NameTable(size_t capacity);

    // The id of `name`, added if new; nullopt when the table is full.
    std::optional<uint16_t> intern(std::string_view name);

    // The ids of all `names`, in order, adding the new ones, provided that afterwards the table
    // holds at most `limit` names; otherwise nullopt and nothing is added. `new_names` tells how
    // many distinct names were (or would have been) added.
    std::optional<std::vector<uint16_t>> intern_all(std::span<const std::string> names,
                                                    size_t limit, size_t& new_names);

    [[nodiscard]] std::string_view at(uint16_t id) const noexcept {
        if (id >= size_.load(std::memory_order_acquire)) return {};
        return chunks_[id / kChunkSize][id % kChunkSize];
    }
    [[nodiscard]] size_t size() const noexcept { return size_.load(std::memory_order_acquire); }
    [[nodiscard]] size_t capacity() const noexcept { return capacity_; }

private:
    static constexpr size_t kChunkSize = 1024;

    // Appends under the lock; the caller has checked there is room.
    uint16_t append(std::string_view name);

    size_t capacity_;
    // Chunks are allocated as the table fills and published by the release store of size_.
    std::array<std::unique_ptr<std::string[]>, kMaxCapacity / kChunkSize> chunks_;
    std::unordered_map<std::string, uint16_t> index_;  // under mutex_
    std::atomic<size_t> size_{0};
    std::mutex mutex_;
};

}  // namespace ottscope
