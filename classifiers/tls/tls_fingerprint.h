#pragma once
// JA3, JA3S (Salesforce definitions) and JA4 TLS-client (FoxIO definition) computed from
// parsed hellos. Output buffers are fixed-size, NUL-terminated; no heap.

#include <array>
#include <cstddef>

#include "tls_messages.h"

struct evp_md_st;
struct evp_md_ctx_st;

namespace ottscope::tls {

constexpr size_t kJa3Length = 32;  // MD5 hex
constexpr size_t kJa4Length = 36;  // t13d1516h2_8daaf6152771_e5627efa2ab1

using Ja3Text = std::array<char, kJa3Length + 1>;
using Ja4Text = std::array<char, kJa4Length + 1>;

// The two digests fingerprints need, fetched from OpenSSL once. Given EVP_md5() or
// EVP_sha256(), every EVP_Digest call looks the digest up again in OpenSSL 3's provider
// tables, under a lock, and allocates a context: on the benchmark capture that was a third of
// what hashing fingerprints cost a worker.
class FingerprintDigests {
public:
    FingerprintDigests();  // throws std::bad_alloc when OpenSSL has no MD5 or SHA-256
    ~FingerprintDigests();
    FingerprintDigests(const FingerprintDigests&) = delete;
    FingerprintDigests& operator=(const FingerprintDigests&) = delete;

    // Hashes `length` bytes of `data` into `out` (room for EVP_MAX_MD_SIZE); returns the
    // digest's length, 0 if OpenSSL failed.
    unsigned md5(const char* data, size_t length, unsigned char* out) noexcept;
    unsigned sha256(const char* data, size_t length, unsigned char* out) noexcept;

private:
    unsigned digest(evp_md_st* md, const char* data, size_t length, unsigned char* out) noexcept;
    void release() noexcept;

    evp_md_st* md5_ = nullptr;
    evp_md_st* sha256_ = nullptr;
    evp_md_ctx_st* context_ = nullptr;
};

// Scratch space for the fingerprint strings before hashing (one per worker, not per flow).
struct FingerprintScratch {
    std::array<char, 8192> text{};
    std::array<uint16_t, 512> sorted{};
    FingerprintDigests digests;
};

// The pre-hash JA3 string ("771,4865-4866,0-23,29-23,0"), written to scratch; returns length.
size_t ja3_string(const ClientHello& hello, FingerprintScratch& scratch) noexcept;
void ja3(const ClientHello& hello, FingerprintScratch& scratch, Ja3Text& out) noexcept;
size_t ja3s_string(const ServerHello& hello, FingerprintScratch& scratch) noexcept;
void ja3s(const ServerHello& hello, FingerprintScratch& scratch, Ja3Text& out) noexcept;
// JA4 for TLS over TCP ("t"); `quic` gives the "q" variant.
void ja4(const ClientHello& hello, FingerprintScratch& scratch, Ja4Text& out,
         bool quic = false) noexcept;

}  // namespace ottscope::tls
