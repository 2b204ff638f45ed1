#include "certificate_cache.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace ottscope::tls {

namespace {
size_t set_count(size_t capacity) {
    return std::bit_ceil(std::max<size_t>(capacity / CertificateCache::kWays, 1));
}
}  // namespace

CertificateCache::CertificateCache(size_t capacity)
    : keys_(std::make_unique<Key[]>(set_count(capacity) * kWays)),
      infos_(std::make_unique<CertificateInfo[]>(set_count(capacity) * kWays)),
      set_mask_(set_count(capacity) - 1),
      enabled_(capacity != 0) {}

size_t CertificateCache::bytes() const noexcept {
    return capacity() * (sizeof(Key) + sizeof(CertificateInfo));
}

const CertificateInfo* CertificateCache::decode(std::span<const uint8_t> der) noexcept {
    if (!enabled_) [[unlikely]] {
        ++misses_;
        return !der.empty() && decoder_.decode(der, infos_[0]) ? &infos_[0] : nullptr;
    }
    std::array<uint8_t, 32> digest{};
    if (der.empty() || der.size() > UINT32_MAX || !decoder_.sha256(der, digest)) return nullptr;
    const auto length = static_cast<uint32_t>(der.size());
    // SHA-256 output is uniform: its first bytes pick the set as well as any hash would.
    uint32_t first_word = 0;
    std::memcpy(&first_word, digest.data(), sizeof(first_word));
    const size_t base = (first_word & set_mask_) * kWays;
    ++clock_;

    size_t victim = base;
    for (size_t slot = base; slot < base + kWays; ++slot) {
        Key& key = keys_[slot];
        if (key.length == length && key.digest == digest) {
            ++hits_;
            key.last_used = clock_;
            return key.readable ? &infos_[slot] : nullptr;
        }
        // Empty slots first, then the one unused the longest (wrap-around safe age).
        const Key& worst = keys_[victim];
        if (worst.length != 0 &&
            (key.length == 0 || clock_ - key.last_used > clock_ - worst.last_used)) {
            victim = slot;
        }
    }

    ++misses_;
    Key& key = keys_[victim];
    key.digest = digest;
    key.length = length;
    key.last_used = clock_;
    key.readable = decoder_.decode(der, infos_[victim]);
    return key.readable ? &infos_[victim] : nullptr;
}

}  // namespace ottscope::tls
