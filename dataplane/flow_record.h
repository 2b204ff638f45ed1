#pragma once
// What a worker hands to the control thread when a flow ends: a flat value that travels by
// copy through an rte_ring, so no memory is shared between the two sides.

#include <cstdint>

#include "classifiers/classifier.h"
#include "drop_reasons.h"
#include "flow_key.h"
#include "tunnel.h"

namespace ottscope {

struct FlowRecord {
    FlowKey key;
    Verdict verdict;
    uint64_t packets[2] = {};  // indexed by Direction
    uint64_t bytes[2] = {};
    uint64_t first_seen_us = 0;
    uint64_t last_seen_us = 0;
    FlowTunnel tunnel;
    bool client_is_lower = true;
    FlowEnd end = FlowEnd::shutdown;
    uint8_t padding[2] = {};
    FlowAnnotations annotations;  // what classifiers learned (TLS names, fingerprints)
};
static_assert(sizeof(FlowRecord) % 4 == 0, "rte_ring element sizes are multiples of 4");

}  // namespace ottscope
