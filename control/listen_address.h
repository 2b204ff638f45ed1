#pragma once
// The API's listen address: how CivetWeb wants it spelled, and whether it stays on loopback
// (which decides whether mutating calls need the bearer token).

#include <string>
#include <string_view>

namespace ottscope {

// Accepts "127.0.0.1:9464", "[::1]:9464", "localhost:9464", "0.0.0.0:9464", "9464".
std::string civetweb_listen(const std::string& listen);
// True only when every address the listener binds is a loopback one. A bare port binds all.
bool is_loopback_listen(std::string_view listen);

enum class AuthDecision { allowed, missing_token, wrong_token, no_token_configured };

// Mutating calls: always allowed on loopback; elsewhere they need "Bearer <configured token>".
AuthDecision authorize_mutation(bool loopback, std::string_view configured_token,
                                std::string_view authorization_header);

}  // namespace ottscope
