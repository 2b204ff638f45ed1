#pragma once
// A cheap 64-bit hash for caches that confirm a hit by comparing the bytes themselves: it
// only spreads keys over the sets and tells most different keys apart before the full
// comparison does. Not collision resistant (a crafted collision costs a miss).

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace ottscope::tls {

// Eight bytes a step, multiply and fold; `seed` separates key spaces (an algorithm, say).
inline uint64_t quick_hash(std::span<const uint8_t> bytes, uint64_t seed = 0) noexcept {
    constexpr uint64_t kMultiplier = 0x9e3779b97f4a7c15;
    uint64_t hash = (bytes.size() ^ seed << 32) * kMultiplier;
    size_t at = 0;
    for (; at + 8 <= bytes.size(); at += 8) {
        uint64_t word = 0;
        std::memcpy(&word, bytes.data() + at, sizeof(word));
        hash = (hash ^ word) * kMultiplier;
        hash ^= hash >> 32;
    }
    if (at < bytes.size()) {
        uint64_t word = 0;
        std::memcpy(&word, bytes.data() + at, bytes.size() - at);
        hash = (hash ^ word) * kMultiplier;
    }
    hash ^= hash >> 29;
    hash *= 0xbf58476d1ce4e5b9;
    return hash ^ (hash >> 32);
}

// Sets of a set-associative cache of `entries` in `ways`-way sets: a power of two, so a hash
// picks its set with a mask.
constexpr size_t way_sets(size_t entries, size_t ways) noexcept {
    return std::bit_ceil(std::max<size_t>(entries / ways, 1));
}

}  // namespace ottscope::tls
