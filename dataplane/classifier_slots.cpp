#include "classifier_slots.h"

namespace ottscope {
namespace {

size_t stride_for(size_t classifiers) {
    const size_t bytes = classifiers * (sizeof(void*) + 1);
    return (bytes + alignof(void*) - 1) / alignof(void*) * alignof(void*);
}

}  // namespace

ClassifierSlots::ClassifierSlots(uint32_t flow_capacity, size_t classifiers)
    : classifiers_(classifiers),
      stride_(stride_for(classifiers)),
      memory_(stride_ * flow_capacity > 0 ? stride_ * flow_capacity : 1) {}

}  // namespace ottscope
