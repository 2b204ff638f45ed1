#include "certificate_cache.h"

#include <openssl/evp.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <new>

namespace ottscope::tls {

CertificateCache::CertificateCache(size_t capacity)
    : set_mask_(std::bit_ceil(std::max<size_t>(capacity / kWays, 1)) - 1),
      sha256_(EVP_MD_fetch(nullptr, "SHA256", nullptr)),
      digest_ctx_(EVP_MD_CTX_new()) {
    if (sha256_ == nullptr || digest_ctx_ == nullptr) {
        EVP_MD_free(sha256_);
        EVP_MD_CTX_free(digest_ctx_);
        throw std::bad_alloc();  // startup only: the classifier is built before any packet
    }
    keys_ = std::make_unique<Key[]>(this->capacity());
    infos_ = std::make_unique<CertificateInfo[]>(this->capacity());
}

CertificateCache::~CertificateCache() {
    EVP_MD_CTX_free(digest_ctx_);
    EVP_MD_free(sha256_);
}

size_t CertificateCache::bytes() const noexcept {
    return capacity() * (sizeof(Key) + sizeof(CertificateInfo));
}

const CertificateInfo* CertificateCache::decode(std::span<const uint8_t> der) noexcept {
    std::array<uint8_t, 32> digest{};
    unsigned int digest_length = 0;
    if (der.empty() || der.size() > UINT32_MAX ||
        EVP_DigestInit_ex2(digest_ctx_, sha256_, nullptr) != 1 ||
        EVP_DigestUpdate(digest_ctx_, der.data(), der.size()) != 1 ||
        EVP_DigestFinal_ex(digest_ctx_, digest.data(), &digest_length) != 1) {
        return nullptr;
    }
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
    key.readable = parse_certificate(der, infos_[victim]);
    return key.readable ? &infos_[victim] : nullptr;
}

}  // namespace ottscope::tls
