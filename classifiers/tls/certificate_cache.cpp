#include "certificate_cache.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "quick_hash.h"

namespace ottscope::tls {

CertificateCache::CertificateCache(size_t capacity)
    : keys_(std::make_unique<Key[]>(way_sets(capacity, kWays) * kWays)),
      infos_(std::make_unique<CertificateInfo[]>(way_sets(capacity, kWays) * kWays)),
      // Left uninitialised: the kernel gives the pages as entries are first written.
      ders_(capacity != 0 ? std::make_unique_for_overwrite<uint8_t[]>(way_sets(capacity, kWays) *
                                                                      kWays * kMaxKeptDer)
                          : nullptr),
      set_mask_(way_sets(capacity, kWays) - 1),
      enabled_(capacity != 0) {}

size_t CertificateCache::bytes() const noexcept {
    return capacity() * (sizeof(Key) + sizeof(CertificateInfo) + (enabled_ ? kMaxKeptDer : 0));
}

const CertificateInfo* CertificateCache::decode(std::span<const uint8_t> der) noexcept {
    if (!enabled_) [[unlikely]] {
        ++misses_;
        return !der.empty() && decoder_.decode(der, infos_[0]) ? &infos_[0] : nullptr;
    }
    if (der.empty() || der.size() > UINT32_MAX) return nullptr;
    const bool kept = der.size() <= kMaxKeptDer;
    std::array<uint8_t, 32> digest{};
    uint64_t hash = 0;
    if (kept) {
        hash = quick_hash(der);
    } else {
        if (!decoder_.sha256(der, digest)) return nullptr;
        std::memcpy(&hash, digest.data(), sizeof(hash));
    }
    const auto length = static_cast<uint32_t>(der.size());
    const size_t base = (hash & set_mask_) * kWays;
    ++clock_;

    size_t victim = base;
    for (size_t slot = base; slot < base + kWays; ++slot) {
        Key& key = keys_[slot];
        if (key.length == length && key.hash == hash &&
            (kept ? std::memcmp(&ders_[slot * kMaxKeptDer], der.data(), der.size()) == 0
                  : key.digest == digest)) {
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
    key.hash = hash;
    key.digest = digest;
    key.length = length;
    if (kept) std::memcpy(&ders_[victim * kMaxKeptDer], der.data(), der.size());
    key.last_used = clock_;
    key.readable = decoder_.decode(der, infos_[victim]);
    return key.readable ? &infos_[victim] : nullptr;
}

}  // namespace ottscope::tls
