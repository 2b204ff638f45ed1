#pragma once
// What a worker hands to the control thread when a flow ends: a flat value that travels by
// copy through an rte_ring, so no memory is shared between the two sides.

#include <cstdint>

#include "classifiers/classifier.h"
#include "drop_reasons.h"
#include "flow_summary.h"
#include "tunnel.h"

namespace ottscope {

struct FlowRecord {
    FlowSummary summary;
    FlowTunnel tunnel;
    FlowEnd end = FlowEnd::shutdown;
    uint8_t padding[3] = {};
    FlowAnnotations annotations;  // what classifiers learned (TLS names, fingerprints)
};
static_assert(sizeof(FlowRecord) % 4 == 0, "rte_ring element sizes are multiples of 4");

}  // namespace ottscope
