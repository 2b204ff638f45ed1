#include "listen_address.h"

#include <arpa/inet.h>

namespace ottscope {

std::string civetweb_listen(const std::string& listen) {
    if (!listen.empty() && listen.front() == '[') {
        const auto close = listen.find(']');
        if (close != std::string::npos && close + 1 < listen.size() && listen[close + 1] == ':')
            return listen.substr(0, close + 1) + ":" + listen.substr(close + 2);
    }
    return listen;
}

bool is_loopback_listen(std::string_view listen) {
    std::string host;
    if (!listen.empty() && listen.front() == '[') {
        const auto close = listen.find(']');
        if (close == std::string_view::npos) return false;
        host = std::string(listen.substr(1, close - 1));
    } else {
        const auto colon = listen.rfind(':');
        if (colon == std::string_view::npos) return false;  // a bare port listens everywhere
        host = std::string(listen.substr(0, colon));
    }
    if (host == "localhost") return true;
    in_addr v4{};
    if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
    in6_addr v6{};
    if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
    return false;
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
