#pragma once
// Whether nDPI 4.2 can still name an undetected flow. nDPI calls a dissector on a packet only
// when the dissector is not excluded for the flow, accepts the flow's detected protocol
// (unknown here) and accepts the packet's shape (IP version, transport, payload, no
// retransmission); once no dissector passes that test for any packet the flow can still show,
// every later nDPI call leaves the flow's name as it is.
//
// With nDPI 4.2 that never happens to a flow nDPI does not name (TLS stays eligible on every
// TCP flow, DTLS and Xbox on every UDP flow; tests/classifiers/ndpi/ndpi_exhaustion_test.cpp),
// so nothing stops feeding flows on it: issue 19's ndpi-exhausted shortcut was dropped. Kept
// to measure again with another nDPI (tests/bench/ndpi_exhaustion_probe; the predicate lives with
// it, outside the binary).

#include <cstdint>
#include <span>

struct ndpi_detection_module_struct;
struct ndpi_flow_struct;

namespace ottscope {

// True when no dissector of `module` can run on a later packet of `flow`, nor an extra-packet
// function, nor the first-packet guess: only nDPI's bookkeeping (connection tracking,
// counters) is left for those packets. False for a flow nDPI has named.
bool dissectors_exhausted(const ndpi_detection_module_struct& module,
                          const ndpi_flow_struct& flow) noexcept;

// The nDPI protocol ids of the dissectors that may still run on a later packet of an
// undetected `flow`, as many as fit in `out`; returns how many there are in all.
unsigned eligible_dissectors(const ndpi_detection_module_struct& module,
                             const ndpi_flow_struct& flow, std::span<uint16_t> out) noexcept;

}  // namespace ottscope
