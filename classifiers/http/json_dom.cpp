#include "json_dom.h"

#include <simdjson.h>

#include <algorithm>
#include <cstring>

namespace ottscope {
namespace {

constexpr size_t kMaxDepth = JsonScanner::kMaxDepth;

// Depth is bounded by the parser's max_depth, so the recursion is too.
void walk(simdjson::dom::element element, uint8_t depth, JsonShape& shape) noexcept {
    switch (element.type()) {
        case simdjson::dom::element_type::OBJECT: {
            shape.max_depth = std::max<uint8_t>(shape.max_depth, static_cast<uint8_t>(depth + 1));
            simdjson::dom::object object;
            if (element.get(object) != simdjson::SUCCESS) return;
            for (const simdjson::dom::key_value_pair field : object) {
                shape.keys.add(field.key);
                walk(field.value, static_cast<uint8_t>(depth + 1), shape);
            }
            break;
        }
        case simdjson::dom::element_type::ARRAY: {
            shape.max_depth = std::max<uint8_t>(shape.max_depth, static_cast<uint8_t>(depth + 1));
            simdjson::dom::array array;
            if (element.get(array) != simdjson::SUCCESS) return;
            shape.max_array = std::max<uint16_t>(
                shape.max_array, static_cast<uint16_t>(std::min<size_t>(array.size(), UINT16_MAX)));
            for (const simdjson::dom::element child : array)
                walk(child, static_cast<uint8_t>(depth + 1), shape);
            break;
        }
        default:
            break;  // values: never looked at
    }
}

}  // namespace

JsonDom::JsonDom(size_t capacity)
    : capacity_(capacity),
      parser_(std::make_unique<simdjson::dom::parser>()),
      padded_(new uint8_t[capacity + simdjson::SIMDJSON_PADDING]()) {
    if (parser_->allocate(capacity, kMaxDepth) != simdjson::SUCCESS) capacity_ = 0;
}

JsonDom::~JsonDom() = default;

bool JsonDom::parse(const uint8_t* body, size_t length, JsonShape& shape) noexcept {
    if (length == 0 || length > capacity_) return false;
    std::memcpy(padded_.get(), body, length);
    std::memset(padded_.get() + length, 0, simdjson::SIMDJSON_PADDING);
    simdjson::dom::element root;
    if (parser_->parse(padded_.get(), length, false).get(root) != simdjson::SUCCESS) return false;
    JsonShape fresh;
    walk(root, 0, fresh);
    fresh.valid = true;
    shape = fresh;
    return true;
}

}  // namespace ottscope
