#pragma once
// Digests of fingerprint texts this worker has already hashed. The clients of a link run a
// handful of TLS stacks, so the same JA3 and JA4 texts come back flow after flow; hashing
// one again costs OpenSSL about 2,000 instructions per 64-byte block plus its EVP calls, a
// lookup here a few hundred. An entry is found by a cheap hash and confirmed by comparing
// the whole text, so a collision (crafted or not) costs a miss, never a wrong digest.
//
// One per worker (not thread-safe); all memory is taken at construction, none per packet.
// 4-way set associative, the least recently used entry of a set gives way. Texts longer
// than kMaxText are hashed every time.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "digester.h"

namespace ottscope::tls {

class DigestMemo {
public:
    static constexpr size_t kWays = 4;
    static constexpr size_t kDefaultEntries = 128;
    // A JA3 text of 40 ciphers and 20 extensions still fits.
    static constexpr size_t kMaxText = 512;

    // `entries` is rounded up to a power of two number of sets of kWays; 0 turns the memo
    // off (every text is hashed), to measure what it saves.
    explicit DigestMemo(size_t entries = kDefaultEntries);
    DigestMemo(const DigestMemo&) = delete;
    DigestMemo& operator=(const DigestMemo&) = delete;

    // As Digester::digest (`out` has room for the algorithm's digest), from memory when
    // this algorithm has hashed the same text before.
    unsigned digest(Digester& digests, Digester::Algorithm algorithm, std::span<const uint8_t> text,
                    uint8_t* out) noexcept;

    [[nodiscard]] uint64_t hits() const noexcept { return hits_; }
    [[nodiscard]] uint64_t misses() const noexcept { return misses_; }
    [[nodiscard]] size_t capacity() const noexcept {
        return enabled_ ? (set_mask_ + 1) * kWays : 0;
    }

private:
    // Apart from the texts, so that a lookup reads one set's keys (two cache lines).
    struct Key {
        uint64_t hash = 0;
        uint32_t last_used = 0;
        uint16_t length = 0;
        uint8_t algorithm = 0;
        uint8_t digest_length = 0;  // 0: slot empty
    };

    std::unique_ptr<Key[]> keys_;
    std::unique_ptr<std::array<uint8_t, 32>[]> digests_;
    std::unique_ptr<std::array<uint8_t, kMaxText>[]> texts_;
    size_t set_mask_;
    bool enabled_;
    uint32_t clock_ = 0;
    uint64_t hits_ = 0;
    uint64_t misses_ = 0;
};

}  // namespace ottscope::tls
