#pragma once
// What classifiers tell the flow record about a flow, beyond the verdict: the text of the
// record fields they declare (descriptor.h), each at the slot the registry laid out for it
// (registry.h, record_field_layout). Flat fixed-size text (no heap), because records travel
// by copy through a ring; empty text means "not seen".

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ottscope {

// Where one record field sits in FlowAnnotations: `capacity` bytes from `offset`, its text
// NUL-terminated within them.
struct AnnotationSlot {
    uint16_t offset = 0;
    uint16_t capacity = 0;
};

// Fixed-length text a classifier keeps per flow until it annotates the record.
template <size_t N>
struct AnnotationText {
    std::array<char, N> text{};
    void set(std::string_view value) noexcept {
        const size_t n = value.size() < N ? value.size() : N - 1;
        for (size_t i = 0; i < n; ++i) text[i] = value[i];
        text[n] = '\0';
    }
    [[nodiscard]] std::string_view view() const noexcept { return text.data(); }
    [[nodiscard]] bool empty() const noexcept { return text[0] == '\0'; }
};

struct FlowAnnotations {
    // Every registered classifier's fields together (ClassifierRegistration refuses more).
    static constexpr size_t kBytes = 640;

    void set(AnnotationSlot slot, std::string_view value) noexcept {
        if (slot.capacity == 0 || size_t{slot.offset} + slot.capacity > kBytes) return;
        const size_t n = value.size() < slot.capacity ? value.size() : slot.capacity - 1u;
        for (size_t i = 0; i < n; ++i) bytes[slot.offset + i] = value[i];
        bytes[slot.offset + n] = '\0';
    }
    [[nodiscard]] std::string_view get(AnnotationSlot slot) const noexcept {
        if (slot.capacity == 0 || size_t{slot.offset} + slot.capacity > kBytes) return {};
        const char* text = bytes.data() + slot.offset;
        size_t n = 0;
        while (n < slot.capacity && text[n] != '\0') ++n;
        return {text, n};
    }

    std::array<char, kBytes> bytes{};
};
static_assert(sizeof(FlowAnnotations) % 4 == 0, "flow records travel in 4-byte ring elements");

}  // namespace ottscope
