#pragma once
// The HkdfLabel of TLS 1.3 HKDF-Expand-Label (RFC 8446 7.1) with an empty context, which both
// the QUIC Initial keys (RFC 9001 5.1) and the decryption of logged sessions derive from.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace ottscope::tls {

// Labels here are short ("quic key", "iv"): "tls13 " + label fits in 32 bytes.
constexpr size_t kMaxHkdfLabel = 2 + 1 + 32 + 1;

// Writes the HkdfLabel for `length` output bytes into `info`; returns its size, 0 when the
// label is longer than kMaxHkdfLabel allows.
inline size_t hkdf_label(std::span<uint8_t, kMaxHkdfLabel> info, size_t length,
                         std::string_view label) noexcept {
    static constexpr std::string_view kPrefix = "tls13 ";
    const size_t label_length = kPrefix.size() + label.size();
    if (label_length > 32) return 0;
    size_t at = 0;
    info[at++] = static_cast<uint8_t>(length >> 8);
    info[at++] = static_cast<uint8_t>(length);
    info[at++] = static_cast<uint8_t>(label_length);
    std::memcpy(info.data() + at, kPrefix.data(), kPrefix.size());
    at += kPrefix.size();
    std::memcpy(info.data() + at, label.data(), label.size());
    at += label.size();
    info[at++] = 0;  // empty context
    return at;
}

}  // namespace ottscope::tls
