#include "json_shape.h"

#include <algorithm>

namespace ottscope {

bool JsonKeySet::name_like(std::string_view key) noexcept {
    if (key.empty() || key.size() > kMaxKeyLength) return false;
    const char first = key.front();
    const bool letter = (first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z');
    if (!letter && first != '_' && first != '$' && first != '@') return false;
    for (const char c : key) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' || c == '$' ||
                        c == '@';
        if (!ok) return false;
    }
    return true;
}

void JsonKeySet::add(std::string_view key) noexcept {
    if (count_ == kMaxKeys || used_ + key.size() > kBytes || !name_like(key)) return;
    for (size_t i = 0; i < count_; ++i)
        if ((*this)[i] == key) return;
    std::copy(key.begin(), key.end(), bytes_.begin() + used_);
    offsets_[count_] = static_cast<uint8_t>(used_);
    lengths_[count_] = static_cast<uint8_t>(key.size());
    used_ = static_cast<uint16_t>(used_ + key.size());
    ++count_;
}

size_t JsonKeySet::views(std::span<std::string_view, kMaxKeys> out) const noexcept {
    for (size_t i = 0; i < count_; ++i) out[i] = (*this)[i];
    return count_;
}

void JsonScanner::open(bool array, JsonShape& shape) noexcept {
    if (depth_ == kMaxDepth) {
        gave_up_ = true;  // deeper than any API needs: hostile, stop here
        return;
    }
    arrays_ = array ? (arrays_ | (1u << depth_)) : (arrays_ & ~(1u << depth_));
    elements_[depth_] = 0;
    ++depth_;
    shape.max_depth = std::max(shape.max_depth, depth_);
    expect_key_ = !array;
    array_fresh_ = array;
}

void JsonScanner::close() noexcept {
    if (depth_ > 0) --depth_;
    expect_key_ = false;
    array_fresh_ = false;
}

void JsonScanner::feed(std::string_view piece, JsonShape& shape) noexcept {
    for (const char c : piece) {
        if (gave_up_) return;
        if (in_string_) {
            if (escape_) {
                escape_ = false;
                key_overflow_ = true;  // escaped keys are not name-like: never kept
            } else if (c == '\\') {
                escape_ = true;
            } else if (c == '"') {
                in_string_ = false;
                if (string_is_key_ && !key_overflow_) shape.keys.add({key_.data(), key_length_});
            } else if (string_is_key_) {
                if (key_length_ < key_.size())
                    key_[key_length_++] = c;
                else
                    key_overflow_ = true;
            }
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
        if (array_fresh_) {
            array_fresh_ = false;
            if (c != ']') {
                elements_[depth_ - 1] = 1;
                shape.max_array = std::max<uint16_t>(shape.max_array, 1);
            }
        }
        switch (c) {
            case '{':
                open(false, shape);
                break;
            case '[':
                open(true, shape);
                break;
            case '}':
            case ']':
                close();
                break;
            case ',':
                if (in_array()) {
                    uint16_t& n = elements_[depth_ - 1];
                    if (n < UINT16_MAX) ++n;
                    shape.max_array = std::max(shape.max_array, n);
                } else {
                    expect_key_ = depth_ > 0;
                }
                break;
            case ':':
                expect_key_ = false;
                break;
            case '"':
                in_string_ = true;
                string_is_key_ = expect_key_ && !in_array();
                key_length_ = 0;
                key_overflow_ = false;
                break;
            default:
                break;  // numbers, literals: values, skipped
        }
    }
}

}  // namespace ottscope
