#pragma once

#include <cstdint>
#include <string_view>

#include "byte_writer.h"

namespace ottscope::synth {

// RFC 1035 wire format: a recursive A query, and its answer with one A record whose owner name
// is a compression pointer to the question.
Bytes dns_a_query(uint16_t id, std::string_view name);
Bytes dns_a_response(uint16_t id, std::string_view name, uint32_t addr, uint32_t ttl_seconds);

}  // namespace ottscope::synth
