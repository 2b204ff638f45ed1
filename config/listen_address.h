#pragma once
// The API's listen address, parsed once and checked strictly (check-config, --metrics, and the
// server all use this parser), so what is validated is exactly what gets bound; and who may
// call mutating endpoints, which depends on whether that address is loopback.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ottscope {

// One IPv4 address and port. IPv6 is refused: Debian's CivetWeb is built without it, and an
// address the server cannot bind must fail in check-config, not after the EAL started.
struct ListenAddress {
    std::array<uint8_t, 4> octets{};
    uint16_t port = 0;  // 0: the kernel picks one; the server reports what it got

    [[nodiscard]] bool loopback() const noexcept { return octets[0] == 127; }
    [[nodiscard]] std::string host() const;       // "127.0.0.1"
    [[nodiscard]] std::string to_string() const;  // "127.0.0.1:9464", also CivetWeb's spelling
};

struct ListenAddressParse {
    std::optional<ListenAddress> address;
    std::string error;  // why not, naming the accepted form; empty when parsed
};

// Accepts exactly DOTTED-QUAD:PORT (each octet 0-255 in plain decimal without leading zeros,
// port 0-65535) or localhost:PORT (127.0.0.1). Refuses lists, bare ports, host names, IPv6.
ListenAddressParse parse_listen_address(std::string_view text);

enum class AuthDecision { allowed, missing_token, wrong_token, no_token_configured };

// Mutating calls: always allowed on loopback; elsewhere they need "Bearer <configured token>".
AuthDecision authorize_mutation(bool loopback, std::string_view configured_token,
                                std::string_view authorization_header);

}  // namespace ottscope
