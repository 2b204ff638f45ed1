#pragma once
// A classifier that exists only for tests: it proves that a classifier is one class and one
// registration line. It reads the first payload byte of a flow's first packet with payload,
// offers it to the rules as probe.first_byte (two hex digits), writes it to the flow record
// as probe_first_byte and counts the packets it inspected by direction.

#include "classifiers/descriptor.h"

namespace ottscope::test {

extern const ClassifierDescriptor kProbeClassifier;

}  // namespace ottscope::test
