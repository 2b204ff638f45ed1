#pragma once
// An append-only table of names with stable ids, for strings that workers refer to by id
// (rule apps, rule evidence) and that the control side renders. Entries are never changed
// or removed, so a reader on any thread needs only the published size: appending is done
// under a mutex by the control side, reading takes no lock.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace ottscope {

class NameTable {
public:
    explicit NameTable(size_t capacity) : capacity_(capacity), names_(new std::string[capacity]) {}

    // The id of `name`, added if new; nullopt when the table is full.
    std::optional<uint16_t> intern(std::string_view name) {
        std::lock_guard lock(mutex_);
        const size_t count = size_.load(std::memory_order_relaxed);
        for (size_t i = 0; i < count; ++i)
            if (names_[i] == name) return static_cast<uint16_t>(i);
        if (count == capacity_) return std::nullopt;
        names_[count] = std::string(name);
        size_.store(count + 1, std::memory_order_release);
        return static_cast<uint16_t>(count);
    }

    [[nodiscard]] std::string_view at(uint16_t id) const noexcept {
        return id < size_.load(std::memory_order_acquire) ? std::string_view(names_[id])
                                                          : std::string_view();
    }
    [[nodiscard]] size_t size() const noexcept { return size_.load(std::memory_order_acquire); }

private:
    size_t capacity_;
    std::unique_ptr<std::string[]> names_;
    std::atomic<size_t> size_{0};
    std::mutex mutex_;
};

}  // namespace ottscope
