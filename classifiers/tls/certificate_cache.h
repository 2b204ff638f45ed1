#pragma once
// Leaf certificates already decoded by this worker, so that a server certificate seen again
// in another flow costs a cheap hash and a comparison of its DER (~1.5k instructions for a
// typical leaf; a SHA-256 of it took ~20k) instead of a decoding (~140k with
// CertificateDecoder, ~1.2M with d2i_X509). On a carrier link the same server certificates
// come back in a great many flows. Each entry keeps its DER (up to kMaxKeptDer bytes, in
// memory the kernel gives page by page as entries are first used) to compare with; a longer
// leaf is keyed by its SHA-256 instead.
//
// One instance per TlsClassifier, i.e. per worker: one writer, no locks. Capacity is fixed
// at construction (all memory taken then, none on the packet path); 4-way set associative,
// the least recently used entry of a set gives way. A DER OpenSSL cannot read is kept too,
// so a peer that repeats a broken certificate does not make us decode it again.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "tls_certificate.h"

namespace ottscope::tls {

class CertificateCache {
public:
    static constexpr size_t kWays = 4;
    static constexpr size_t kDefaultCapacity = 1024;
    // Most leaves are 1-2 KiB; those with long name lists reach 3-4 KiB.
    static constexpr size_t kMaxKeptDer = 4096;

    // `capacity` is rounded up to a power of two number of sets of kWays entries; 0 turns
    // the cache off (every certificate is decoded), to measure what it saves.
    explicit CertificateCache(size_t capacity = kDefaultCapacity);
    CertificateCache(const CertificateCache&) = delete;
    CertificateCache& operator=(const CertificateCache&) = delete;

    // The decoded certificate, from memory or decoded now; null when OpenSSL cannot read
    // it (or its digest cannot be taken). Valid until the next call.
    const CertificateInfo* decode(std::span<const uint8_t> der) noexcept;

    [[nodiscard]] uint64_t hits() const noexcept { return hits_; }
    [[nodiscard]] uint64_t misses() const noexcept { return misses_; }
    [[nodiscard]] size_t capacity() const noexcept { return (set_mask_ + 1) * kWays; }
    // Memory held for the entries (allocated once, at construction).
    [[nodiscard]] size_t bytes() const noexcept;

private:
    // Kept apart from the decoded values so that a lookup reads one set's keys, a few cache
    // lines, not the ~700 bytes of each CertificateInfo.
    struct Key {
        uint64_t hash = 0;                 // quick_hash of the DER, or its SHA-256's first bytes
        std::array<uint8_t, 32> digest{};  // SHA-256 of a DER longer than kMaxKeptDer
        uint32_t length = 0;               // of the DER; 0: slot empty
        uint32_t last_used = 0;
        bool readable = false;  // false: OpenSSL rejected this DER
    };

    std::unique_ptr<Key[]> keys_;
    std::unique_ptr<CertificateInfo[]> infos_;
    std::unique_ptr<uint8_t[]> ders_;  // kMaxKeptDer bytes per entry
    size_t set_mask_;
    bool enabled_;
    uint32_t clock_ = 0;
    uint64_t hits_ = 0;
    uint64_t misses_ = 0;
    CertificateDecoder decoder_;
};

}  // namespace ottscope::tls
