#pragma once
// JSON shapes of complete bodies through simdjson's DOM parser, reused per worker.

#include <cstddef>
#include <cstdint>
#include <memory>

#include "json_shape.h"

namespace simdjson::dom {
class parser;
}

namespace ottscope {

class JsonDom {
public:
    // Bodies up to `capacity` bytes are parsed; the parser and the padded copy buffer are
    // allocated here, once, so parsing allocates nothing.
    explicit JsonDom(size_t capacity);
    ~JsonDom();
    JsonDom(const JsonDom&) = delete;
    JsonDom& operator=(const JsonDom&) = delete;

    // Replaces `shape` with the complete body's shape and returns true when simdjson accepts
    // it; leaves `shape` alone otherwise (the tolerant scanner's result stands).
    bool parse(const uint8_t* body, size_t length, JsonShape& shape) noexcept;
    [[nodiscard]] size_t capacity() const noexcept { return capacity_; }

private:
    size_t capacity_;
    std::unique_ptr<simdjson::dom::parser> parser_;
    std::unique_ptr<uint8_t[]> padded_;
};

}  // namespace ottscope
