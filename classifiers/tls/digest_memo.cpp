#include "digest_memo.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "quick_hash.h"

namespace ottscope::tls {

DigestMemo::DigestMemo(size_t entries)
    : keys_(entries != 0 ? std::make_unique<Key[]>(way_sets(entries, kWays) * kWays) : nullptr),
      digests_(entries != 0
                   ? std::make_unique<std::array<uint8_t, 32>[]>(way_sets(entries, kWays) * kWays)
                   : nullptr),
      texts_(entries != 0 ? std::make_unique<std::array<uint8_t, kMaxText>[]>(
                                way_sets(entries, kWays) * kWays)
                          : nullptr),
      set_mask_(way_sets(entries, kWays) - 1),
      enabled_(entries != 0) {}

unsigned DigestMemo::digest(Digester& digests, Digester::Algorithm algorithm,
                            std::span<const uint8_t> text, uint8_t* out) noexcept {
    if (!enabled_ || text.size() > kMaxText) {
        ++misses_;
        return digests.digest(algorithm, text, out);
    }
    const auto algorithm_id = static_cast<uint8_t>(algorithm);
    const uint64_t hash = quick_hash(text, algorithm_id);
    const size_t base = (hash & set_mask_) * kWays;
    ++clock_;

    size_t victim = base;
    for (size_t slot = base; slot < base + kWays; ++slot) {
        Key& key = keys_[slot];
        if (key.digest_length != 0 && key.hash == hash && key.length == text.size() &&
            key.algorithm == algorithm_id &&
            std::memcmp(texts_[slot].data(), text.data(), text.size()) == 0) {
            ++hits_;
            key.last_used = clock_;
            std::memcpy(out, digests_[slot].data(), key.digest_length);
            return key.digest_length;
        }
        // Empty slots first, then the one unused the longest (wrap-around safe age).
        const Key& worst = keys_[victim];
        if (worst.digest_length != 0 &&
            (key.digest_length == 0 || clock_ - key.last_used > clock_ - worst.last_used)) {
            victim = slot;
        }
    }

    ++misses_;
    const unsigned length = digests.digest(algorithm, text, out);
    if (length == 0 || length > digests_[victim].size()) return length;
    Key& key = keys_[victim];
    key.hash = hash;
    key.last_used = clock_;
    key.length = static_cast<uint16_t>(text.size());
    key.algorithm = algorithm_id;
    key.digest_length = static_cast<uint8_t>(length);
    std::memcpy(digests_[victim].data(), out, length);
    std::memcpy(texts_[victim].data(), text.data(), text.size());
    return length;
}

}  // namespace ottscope::tls
