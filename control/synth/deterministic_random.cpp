// RAND_set_rand_method is deprecated in OpenSSL 3.0 but still honoured by RAND_bytes_ex and
// RAND_priv_bytes_ex, which is where libssl and the default provider get their randomness. A
// custom provider-level EVP_RAND would not reach the implicit public/private DRBGs without
// reconfiguring the library context, so the legacy hook is the smallest working lever.
#define OPENSSL_SUPPRESS_DEPRECATED

#include "deterministic_random.h"

#include <openssl/rand.h>

#include <cstring>

#include "synth_error.h"

namespace ottscope::synth {

namespace {

Drbg* active_source = nullptr;  // OpenSSL's RAND_METHOD callbacks carry no user pointer.

int deterministic_bytes(unsigned char* buf, int num) {
    if (active_source == nullptr || num < 0) return 0;
    active_source->fill({buf, static_cast<size_t>(num)});
    return 1;
}

// Seeding from outside would reintroduce entropy; accept and ignore it.
int ignore_seed(const void*, int) {
    return 1;
}
int ignore_add(const void*, int, double) {
    return 1;
}
int always_ready() {
    return 1;
}

const RAND_METHOD deterministic_method = {
    ignore_seed, deterministic_bytes, nullptr, ignore_add, deterministic_bytes, always_ready,
};

}  // namespace

Drbg::Drbg(uint64_t seed, std::string_view label)
    : sha256_(EVP_MD_fetch(nullptr, "SHA256", nullptr)) {
    if (sha256_ == nullptr) throw SynthError("SHA-256 is not available from OpenSSL");
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    uint8_t seed_bytes[8];
    for (int i = 0; i < 8; ++i) seed_bytes[i] = static_cast<uint8_t>(seed >> (56 - 8 * i));
    constexpr std::string_view kDomain = "ottscope-synth-drbg-v1";
    unsigned int len = 0;
    const bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx, sha256_, nullptr) == 1 &&
                    EVP_DigestUpdate(ctx, kDomain.data(), kDomain.size()) == 1 &&
                    EVP_DigestUpdate(ctx, seed_bytes, sizeof(seed_bytes)) == 1 &&
                    EVP_DigestUpdate(ctx, label.data(), label.size()) == 1 &&
                    EVP_DigestFinal_ex(ctx, key_.data(), &len) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        EVP_MD_free(sha256_);
        throw SynthError("cannot seed the deterministic random generator");
    }
}

Drbg::~Drbg() {
    EVP_MD_free(sha256_);
}

void Drbg::refill() {
    uint8_t input[sizeof(key_) + 8];
    std::memcpy(input, key_.data(), key_.size());
    for (int i = 0; i < 8; ++i) {
        input[key_.size() + i] = static_cast<uint8_t>(counter_ >> (56 - 8 * i));
    }
    ++counter_;
    unsigned int len = 0;
    if (EVP_Digest(input, sizeof(input), block_.data(), &len, sha256_, nullptr) != 1) {
        throw SynthError("SHA-256 failed in the deterministic random generator");
    }
    used_ = 0;
}

void Drbg::fill(std::span<uint8_t> out) {
    for (uint8_t& b : out) {
        if (used_ == block_.size()) refill();
        b = block_[used_++];
    }
}

uint64_t Drbg::next_u64() {
    uint8_t raw[8];
    fill(raw);
    uint64_t v = 0;
    for (uint8_t b : raw) v = (v << 8) | b;
    return v;
}

uint64_t Drbg::uniform(uint64_t lo, uint64_t hi) {
    if (hi <= lo) return lo;
    const uint64_t span = hi - lo + 1;
    return span == 0 ? next_u64() : lo + next_u64() % span;
}

ScopedOpensslRand::ScopedOpensslRand(Drbg& source) : previous_method_(RAND_get_rand_method()) {
    if (active_source != nullptr) throw SynthError("nested deterministic random scopes");
    active_source = &source;
    if (RAND_set_rand_method(&deterministic_method) != 1) {
        active_source = nullptr;
        throw SynthError("cannot install the deterministic RAND_METHOD");
    }
}

ScopedOpensslRand::~ScopedOpensslRand() {
    RAND_set_rand_method(previous_method_);
    active_source = nullptr;
}

}  // namespace ottscope::synth
