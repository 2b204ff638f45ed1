#pragma once
// The shape of a JSON body: which key names it uses, how deep it nests, how long its arrays
// are. Values are never kept: a shape says "msisdn, addressBook" but never a number or name.

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace ottscope {

class JsonKeySet {
public:
    static constexpr size_t kMaxKeys = 16;
    static constexpr size_t kMaxKeyLength = 32;
    static constexpr size_t kBytes = 256;

    // Adds `key` unless present, full, or not name-like. Keys that do not look like field
    // names (maps keyed by phone numbers, say) are left out: they would be content.
    void add(std::string_view key) noexcept;
    void clear() noexcept { count_ = 0, used_ = 0; }
    [[nodiscard]] size_t size() const noexcept { return count_; }
    [[nodiscard]] std::string_view operator[](size_t i) const noexcept {
        return {bytes_.data() + offsets_[i], lengths_[i]};
    }
    // Fills `out` with views into this set; returns how many.
    size_t views(std::span<std::string_view, kMaxKeys> out) const noexcept;

    static bool name_like(std::string_view key) noexcept;

private:
    std::array<char, kBytes> bytes_{};
    std::array<uint8_t, kMaxKeys> offsets_{};
    std::array<uint8_t, kMaxKeys> lengths_{};
    uint8_t count_ = 0;
    uint16_t used_ = 0;
};

struct JsonShape {
    JsonKeySet keys;
    uint8_t max_depth = 0;
    uint16_t max_array = 0;  // elements of the longest array seen
    bool valid = false;      // a complete body that simdjson accepted
    bool truncated = false;  // only a prefix was inspected
};

// A tolerant, incremental scanner for JSON prefixes: it takes the body in pieces (TCP
// segments, HTTP chunks) and records key names, depth and array lengths as far as the bytes
// go. It does not validate; a body cut anywhere (inside a string, a key, a number) still
// yields everything before the cut. Bounded: a fixed-size state, one pass, stops past
// kMaxDepth.
class JsonScanner {
public:
    static constexpr uint8_t kMaxDepth = 32;

    void feed(std::string_view piece, JsonShape& shape) noexcept;
    [[nodiscard]] bool gave_up() const noexcept { return gave_up_; }

private:
    void open(bool array, JsonShape& shape) noexcept;
    void close() noexcept;
    [[nodiscard]] bool in_array() const noexcept {
        return depth_ > 0 && ((arrays_ >> (depth_ - 1)) & 1u) != 0;
    }

    uint32_t arrays_ = 0;  // bit d-1 set: level d is an array
    uint8_t depth_ = 0;
    bool in_string_ = false;
    bool escape_ = false;
    bool string_is_key_ = false;
    bool expect_key_ = false;
    bool array_fresh_ = false;  // just after '[': the next token decides whether it is empty
    bool gave_up_ = false;
    bool key_overflow_ = false;
    uint8_t key_length_ = 0;
    std::array<char, JsonKeySet::kMaxKeyLength> key_{};
    std::array<uint16_t, kMaxDepth> elements_{};
};

}  // namespace ottscope
