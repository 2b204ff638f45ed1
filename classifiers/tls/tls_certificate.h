#pragma once
// The leaf certificate of a TLS 1.2 (or older) Certificate message, decoded with OpenSSL
// into fixed-size text fields. At most once per flow, and not again for a leaf the worker's
// certificate cache (certificate_cache.h) still holds.

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "digester.h"

struct ossl_lib_ctx_st;
struct ossl_provider_st;

namespace ottscope::tls {

template <size_t N>
struct FixedText {
    std::array<char, N> text{};
    uint16_t length = 0;
    bool truncated = false;
    void clear() noexcept {
        length = 0;
        truncated = false;
        text[0] = '\0';
    }
    // Appends, dropping what does not fit (and remembering that it did not).
    void append(std::string_view more) noexcept {
        for (const char c : more) {
            if (size_t{length} + 1 >= N) {
                truncated = true;
                break;
            }
            text[length++] = c;
        }
        text[length] = '\0';
    }
    [[nodiscard]] std::string_view view() const noexcept { return {text.data(), length}; }
    [[nodiscard]] bool empty() const noexcept { return length == 0; }
};

struct CertificateInfo {
    FixedText<160> subject;  // "C=US, O=Example, CN=host" (certificate order)
    FixedText<160> issuer;
    FixedText<256> san_dns;  // DNS names of subjectAltName, comma-separated
    int64_t not_before = 0;  // Unix seconds
    int64_t not_after = 0;
    std::array<uint8_t, 20> sha1{};
    std::array<uint8_t, 32> sha256{};
};

// Decodes one DER certificate. False when OpenSSL cannot read it. The reference for
// CertificateDecoder, which gives the same fields for far fewer instructions.
bool parse_certificate(std::span<const uint8_t> der, CertificateInfo& out) noexcept;

// Decodes leaf certificates as parse_certificate does but without decoding their public key
// (most of d2i_X509's cost in OpenSSL 3), and with the digests fetched once rather than
// looked up for every certificate. One per worker (not thread-safe); construction throws
// std::bad_alloc when OpenSSL cannot set it up.
class CertificateDecoder {
public:
    CertificateDecoder();
    ~CertificateDecoder();
    CertificateDecoder(const CertificateDecoder&) = delete;
    CertificateDecoder& operator=(const CertificateDecoder&) = delete;

    // False when OpenSSL cannot read the DER (or a digest fails).
    bool decode(std::span<const uint8_t> der, CertificateInfo& out) noexcept;
    bool sha256(std::span<const uint8_t> bytes, std::array<uint8_t, 32>& out) noexcept;

private:
    void release() noexcept;

    ossl_lib_ctx_st* keyless_;  // only the "null" provider: no key decoders
    ossl_provider_st* null_provider_;
    Digester digests_;
};

}  // namespace ottscope::tls
