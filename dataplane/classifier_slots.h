#pragma once
// Each flow's classifier state, beside the flow table rather than inside Flow: one state
// pointer and one "still wants packets" flag per registered classifier, for every flow slot.
// Its size follows the registry, so the number of classifiers has no cap in Flow, and decided
// flows (most packets) never touch it. Pages cost nothing until a flow first uses them.

#include <cstddef>
#include <cstdint>

#include "page_memory.h"

namespace ottscope {

class ClassifierSlots {
public:
    ClassifierSlots(uint32_t flow_capacity, size_t classifiers);

    // What each flow slot holds here, for the start's memory plan.
    [[nodiscard]] static size_t bytes_per_flow(size_t classifiers) noexcept;

    [[nodiscard]] void** states(uint32_t slot) noexcept {
        return reinterpret_cast<void**>(base(slot));
    }
    // 1 while classifier i still wants the flow's packets.
    [[nodiscard]] uint8_t* pending(uint32_t slot) noexcept {
        return base(slot) + classifiers_ * sizeof(void*);
    }
    [[nodiscard]] size_t classifiers() const noexcept { return classifiers_; }

private:
    [[nodiscard]] uint8_t* base(uint32_t slot) noexcept {
        return static_cast<uint8_t*>(memory_.data()) + size_t{slot} * stride_;
    }

    size_t classifiers_;
    size_t stride_;
    PageMemory memory_;
};

}  // namespace ottscope
