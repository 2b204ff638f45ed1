#pragma once
// What the libFuzzer targets share: a check that stops the run where a sanitizer would, and
// the end of a flow fed to a classifier, whose state must be gone once it is concluded and
// annotated.

#include <cstdint>

#include "classifiers/classifier.h"
#include "classifiers/flow_annotations.h"

namespace ottscope::fuzz {

inline void check(bool holds) {
    if (!holds) __builtin_trap();
}

// Concludes the flow unless the classifier is done with it (or it never began), annotates
// it, and checks that its state is freed and the classifier holds no state bytes.
template <typename AnyClassifier>
FlowAnnotations end_flow(AnyClassifier& classifier, void*& state, Verdict& verdict, bool done,
                         uint8_t ip_protocol) {
    if (!done) {
        PacketView context;
        context.ip_protocol = ip_protocol;
        classifier.conclude(state, context, verdict);
    }
    FlowAnnotations annotations;
    classifier.annotate(state, annotations);
    check(state == nullptr);
    check(classifier.state_bytes_in_use() == 0);
    return annotations;
}

}  // namespace ottscope::fuzz
