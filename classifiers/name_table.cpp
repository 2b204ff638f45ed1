#include "name_table.h"

#include <algorithm>
#include <unordered_set>

namespace ottscope {

NameTable::NameTable(size_t capacity) : capacity_(std::min(capacity, kMaxCapacity)) {}

uint16_t NameTable::append(std::string_view name) {
    const size_t count = size_.load(std::memory_order_relaxed);
    auto& chunk = chunks_[count / kChunkSize];
    if (!chunk) chunk = std::make_unique<std::string[]>(kChunkSize);
    chunk[count % kChunkSize] = std::string(name);
    const auto id = static_cast<uint16_t>(count);
    index_.emplace(std::string(name), id);
    size_.store(count + 1, std::memory_order_release);
    return id;
}

std::optional<uint16_t> NameTable::intern(std::string_view name) {
    std::lock_guard lock(mutex_);
    if (const auto found = index_.find(std::string(name)); found != index_.end())
        return found->second;
    if (size_.load(std::memory_order_relaxed) == capacity_) return std::nullopt;
    return append(name);
}

std::optional<std::vector<uint16_t>> NameTable::intern_all(std::span<const std::string> names,
                                                           size_t limit, size_t& new_names) {
    std::lock_guard lock(mutex_);
    std::unordered_set<std::string_view> fresh;
    for (const std::string& name : names)
        if (!index_.contains(name)) fresh.insert(name);
    new_names = fresh.size();
    const size_t count = size_.load(std::memory_order_relaxed);
    // Names already present always fit, even when others (classifiers' fixed texts) have
    // since taken the table past `limit`.
    if (!fresh.empty() && count + fresh.size() > std::min(limit, capacity_)) return std::nullopt;
    std::vector<uint16_t> ids;
    ids.reserve(names.size());
    for (const std::string& name : names) {
        const auto found = index_.find(name);
        ids.push_back(found != index_.end() ? found->second : append(name));
    }
    return ids;
}

}  // namespace ottscope
