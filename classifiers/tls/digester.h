#pragma once
// Digests fetched from OpenSSL once and hashed through one reused context. Given EVP_sha256()
// and the like, OpenSSL 3 looks the digest up in its provider tables, under a lock, and
// allocates a context at every EVP_Digest call (callgrind on the benchmark slice: 3.1% of a
// worker's instructions). One per worker (not thread-safe).

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

struct evp_md_st;
struct evp_md_ctx_st;

namespace ottscope::tls {

class Digester {
public:
    enum class Algorithm : uint8_t { md5, sha1, sha256 };

    Digester();  // throws std::bad_alloc when OpenSSL lacks one of the algorithms
    ~Digester();
    Digester(const Digester&) = delete;
    Digester& operator=(const Digester&) = delete;

    // Hashes `bytes` into `out`, which has room for the algorithm's digest (16, 20 or 32
    // bytes); returns the digest's length, 0 if OpenSSL failed.
    unsigned digest(Algorithm algorithm, std::span<const uint8_t> bytes, uint8_t* out) noexcept;

private:
    void release() noexcept;

    std::array<evp_md_st*, 3> algorithms_{};
    evp_md_ctx_st* context_ = nullptr;
};

}  // namespace ottscope::tls
