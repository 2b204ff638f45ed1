#pragma once
// HTTP request methods as a bounded set: metric labels and counter arrays are indexed by it,
// so anything outside the standard methods is "other".

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "classifiers/enum_names.h"

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

// As written on the request line; "other" is the label of every non-standard method.
inline constexpr auto kHttpMethodNames = enum_names<HttpMethod>({
    {HttpMethod::get, "GET"},
    {HttpMethod::post, "POST"},
    {HttpMethod::put, "PUT"},
    {HttpMethod::delete_, "DELETE"},
    {HttpMethod::head, "HEAD"},
    {HttpMethod::options, "OPTIONS"},
    {HttpMethod::patch, "PATCH"},
    {HttpMethod::connect, "CONNECT"},
    {HttpMethod::trace, "TRACE"},
    {HttpMethod::other, "other"},
});

constexpr HttpMethod http_method_from_name(std::string_view name) noexcept {
    for (const auto& [method, text] : kHttpMethodNames)
        if (method != HttpMethod::other && text == name) return method;
    return HttpMethod::other;
}

}  // namespace ottscope
