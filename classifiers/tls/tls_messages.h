#pragma once
// TLS handshake messages as the TLS classifier needs them: the fields of a ClientHello and a
// ServerHello that fingerprints and rules use, parsed from one complete handshake message
// body. Values live in fixed arrays (no heap): lists longer than the arrays are counted in
// full but kept only up to the array size.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace ottscope::tls {

// GREASE values (RFC 8701) are 0x?a?a with both bytes equal; fingerprints skip them.
constexpr bool is_grease(uint16_t value) noexcept {
    return (value & 0x0f0f) == 0x0a0a && (value >> 8) == (value & 0xff);
}

namespace ext {
constexpr uint16_t server_name = 0;
constexpr uint16_t supported_groups = 10;
constexpr uint16_t ec_point_formats = 11;
constexpr uint16_t signature_algorithms = 13;
constexpr uint16_t alpn = 16;
constexpr uint16_t supported_versions = 43;
}  // namespace ext

template <size_t N>
struct ValueList {
    std::array<uint16_t, N> values{};
    uint16_t kept = 0;   // entries in values
    uint16_t total = 0;  // entries in the message (GREASE excluded)
    void push(uint16_t value) noexcept {
        ++total;
        if (kept < N) values[kept++] = value;
    }
    [[nodiscard]] std::span<const uint16_t> view() const noexcept { return {values.data(), kept}; }
};

struct ClientHello {
    uint16_t legacy_version = 0;
    ValueList<512> ciphers;    // GREASE removed
    ValueList<96> extensions;  // in message order, GREASE removed
    ValueList<64> groups;      // GREASE removed
    ValueList<16> point_formats;
    ValueList<64> signature_algorithms;  // in message order
    ValueList<16> versions;              // supported_versions, GREASE removed
    bool has_sni = false;
    std::string_view sni;  // host_name entry, a view into the message
    // ALPN protocol names, views into the message.
    std::array<std::string_view, 8> alpn{};
    uint8_t alpn_count = 0;
};

struct ServerHello {
    uint16_t legacy_version = 0;
    uint16_t cipher = 0;
    uint16_t selected_version = 0;  // supported_versions extension; 0 when absent
    ValueList<32> extensions;       // in message order
    std::string_view alpn;          // the selected protocol, if any
};

// Parse a handshake message body (after the 4-byte handshake header). False on a malformed
// message; fields parsed before the problem are left as they were found.
bool parse_client_hello(std::span<const uint8_t> body, ClientHello& out) noexcept;
bool parse_server_hello(std::span<const uint8_t> body, ServerHello& out) noexcept;

}  // namespace ottscope::tls
