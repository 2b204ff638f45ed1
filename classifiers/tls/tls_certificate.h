#pragma once
// The leaf certificate of a TLS 1.2 (or older) Certificate message, decoded with OpenSSL
// into fixed-size text fields. Called at most once per flow.

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

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

// Decodes one DER certificate. False when OpenSSL cannot read it.
bool parse_certificate(std::span<const uint8_t> der, CertificateInfo& out) noexcept;

}  // namespace ottscope::tls
