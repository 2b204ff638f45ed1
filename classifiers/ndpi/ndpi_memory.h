#pragma once
// Counts what nDPI allocates on its own (TLS reassembly buffers, certificate names, HTTP
// fields, lazily built caches) per thread, so a worker can report the memory its flows
// really hold beside the fixed-size ndpi_flow_struct blocks of its pool.

#include <cstddef>

namespace ottscope {

// Routes nDPI's ndpi_malloc/ndpi_free through counting wrappers around malloc/free.
// Process-wide and idempotent; must run before the first detection module is made.
void install_ndpi_allocation_counter();

// Bytes nDPI allocated and has not yet freed on the calling thread (never negative).
[[nodiscard]] size_t ndpi_heap_bytes_on_this_thread() noexcept;

}  // namespace ottscope
