#pragma once
// The IP and transport headers of a payload-less packet from a flow's client to its server,
// rebuilt from the flow key: what a classifier that guesses from addresses and ports needs
// when a flow ends without having shown it any payload.

#include <array>
#include <cstddef>
#include <cstdint>

#include "flow_key.h"

namespace ottscope {

// IPv6 header plus a TCP header, the longest written.
using FlowHeaders = std::array<uint8_t, 60>;

// Writes the headers (a SYN for TCP) and returns their length.
size_t rebuild_client_headers(const FlowKey& key, bool client_is_lower, FlowHeaders& out) noexcept;

}  // namespace ottscope
