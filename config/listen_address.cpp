#include "listen_address.h"

#include <charconv>

namespace ottscope {
namespace {

constexpr std::string_view kAcceptedForm =
    "give one IPv4 ADDRESS:PORT, e.g. 127.0.0.1:9464 (loopback) or 0.0.0.0:9464 (every "
    "interface)";

// Plain decimal only: no sign, no spaces, no leading zeros (inet_aton would read "010" as
// octal 8), at most `max_digits` digits, at most `high`.
std::optional<uint32_t> plain_decimal(std::string_view text, size_t max_digits, uint32_t high) {
    if (text.empty() || text.size() > max_digits) return std::nullopt;
    if (text.size() > 1 && text.front() == '0') return std::nullopt;
    uint32_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || value > high)
        return std::nullopt;
    return value;
}

std::optional<std::array<uint8_t, 4>> dotted_quad(std::string_view text) {
    std::array<uint8_t, 4> octets{};
    for (size_t i = 0; i < octets.size(); ++i) {
        const size_t dot = i + 1 < octets.size() ? text.find('.') : text.size();
        if (dot == std::string_view::npos) return std::nullopt;
        const auto octet = plain_decimal(text.substr(0, dot), 3, 255);
        if (!octet) return std::nullopt;
        octets[i] = static_cast<uint8_t>(*octet);
        text.remove_prefix(dot == text.size() ? dot : dot + 1);
    }
    return octets;
}

ListenAddressParse refuse(std::string_view text, std::string_view why) {
    std::string message = "'";
    message.append(text).append("': ").append(why).append("; ").append(kAcceptedForm);
    return ListenAddressParse{std::nullopt, std::move(message)};
}

}  // namespace

std::string ListenAddress::host() const {
    return std::to_string(octets[0]) + "." + std::to_string(octets[1]) + "." +
           std::to_string(octets[2]) + "." + std::to_string(octets[3]);
}

std::string ListenAddress::to_string() const {
    return host() + ":" + std::to_string(port);
}

ListenAddressParse parse_listen_address(std::string_view text) {
    if (text.find(',') != std::string_view::npos)
        return refuse(text, "a list of addresses is not accepted");
    if (text.starts_with('['))
        return refuse(text, "IPv6 is not supported (Debian's CivetWeb is built without it)");
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return refuse(text, "ADDRESS:PORT expected");
    const std::string_view host = text.substr(0, colon);
    const auto port = plain_decimal(text.substr(colon + 1), 5, 65535);
    if (!port) return refuse(text, "the port must be a decimal number from 0 to 65535");
    ListenAddress address;
    address.port = static_cast<uint16_t>(*port);
    if (host == "localhost") {
        address.octets = {127, 0, 0, 1};
    } else if (const auto octets = dotted_quad(host)) {
        address.octets = *octets;
    } else {
        return refuse(text, "the address must be four decimal octets from 0 to 255, or localhost");
    }
    return ListenAddressParse{address, {}};
}

AuthDecision authorize_mutation(bool loopback, std::string_view configured_token,
                                std::string_view authorization_header) {
    if (loopback) return AuthDecision::allowed;
    if (configured_token.empty()) return AuthDecision::no_token_configured;
    constexpr std::string_view kScheme = "Bearer ";
    if (!authorization_header.starts_with(kScheme)) return AuthDecision::missing_token;
    const std::string_view given = authorization_header.substr(kScheme.size());
    // Compare every byte whatever the first difference, so timing says nothing of the token.
    unsigned char difference = given.size() == configured_token.size() ? 0 : 1;
    for (size_t i = 0; i < configured_token.size(); ++i)
        difference |= static_cast<unsigned char>(configured_token[i]) ^
                      static_cast<unsigned char>(i < given.size() ? given[i] : 0);
    return difference == 0 ? AuthDecision::allowed : AuthDecision::wrong_token;
}

}  // namespace ottscope
