#pragma once
// HTTP request methods as a bounded set: metric labels and counter arrays are indexed by it,
// so anything outside the standard methods is "other".

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ottscope {

enum class HttpMethod : uint8_t {
    get,
    post,
    put,
    delete_,
    head,
    options,
    patch,
    connect,
    trace,
    other,
    count
};

constexpr size_t kHttpMethods = static_cast<size_t>(HttpMethod::count);

constexpr std::array<std::string_view, kHttpMethods> kHttpMethodNames = {
    "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE", "other"};

constexpr HttpMethod http_method_from_name(std::string_view name) noexcept {
    for (size_t i = 0; i + 1 < kHttpMethods; ++i)
        if (kHttpMethodNames[i] == name) return static_cast<HttpMethod>(i);
    return HttpMethod::other;
}

}  // namespace ottscope
