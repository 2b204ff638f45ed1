#pragma once

#include <openssl/evp.h>
#include <openssl/types.h>

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace ottscope::synth {

// SHA-256 in counter mode over (seed, label): every consumer (ports, timings, each TLS session)
// gets its own stream, so adding a scenario does not shift the bytes of the others.
class Drbg {
public:
    Drbg(uint64_t seed, std::string_view label);
    ~Drbg();
    Drbg(const Drbg&) = delete;
    Drbg& operator=(const Drbg&) = delete;

    void fill(std::span<uint8_t> out);
    uint64_t next_u64();
    // Uniform in [lo, hi]; the modulo bias is irrelevant for traffic shaping.
    uint64_t uniform(uint64_t lo, uint64_t hi);

private:
    void refill();

    EVP_MD* sha256_;
    std::array<uint8_t, 32> key_{};
    uint64_t counter_ = 0;
    std::array<uint8_t, 32> block_{};
    size_t used_ = block_.size();
};

// While alive, every RAND_bytes / RAND_priv_bytes in the process (client and server randoms,
// ECDHE shares, ECDSA nonces, GCM IVs, session ids) draws from `source`. OpenSSL only offers a
// process-wide hook for this, hence the scoped global; scopes must not overlap or be used from
// several threads.
class ScopedOpensslRand {
public:
    explicit ScopedOpensslRand(Drbg& source);
    ~ScopedOpensslRand();
    ScopedOpensslRand(const ScopedOpensslRand&) = delete;
    ScopedOpensslRand& operator=(const ScopedOpensslRand&) = delete;

private:
    const RAND_METHOD* previous_method_;
};

}  // namespace ottscope::synth
