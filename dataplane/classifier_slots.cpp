#include "classifier_slots.h"

namespace ottscope {
size_t ClassifierSlots::bytes_per_flow(size_t classifiers) noexcept {
    const size_t bytes = classifiers * (sizeof(void*) + 1);
    return (bytes + alignof(void*) - 1) / alignof(void*) * alignof(void*);
}

ClassifierSlots::ClassifierSlots(uint32_t flow_capacity, size_t classifiers)
    : classifiers_(classifiers),
      stride_(bytes_per_flow(classifiers)),
      memory_(stride_ * flow_capacity > 0 ? stride_ * flow_capacity : 1) {}

}  // namespace ottscope
