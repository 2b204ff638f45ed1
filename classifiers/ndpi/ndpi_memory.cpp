#include "ndpi/ndpi_memory.h"

#include <malloc.h>

#include <cstdint>
#include <cstdlib>
#include <mutex>

extern "C" {
#include <ndpi/ndpi_api.h>
}

namespace ottscope {
namespace {

// Memory freed on another thread than the one that allocated it (module teardown on the
// main thread) can take a thread's figure below zero: it is clamped when read.
thread_local int64_t t_ndpi_heap_bytes = 0;

void* counting_malloc(size_t size) {
    void* block = std::malloc(size);
    if (block != nullptr) t_ndpi_heap_bytes += static_cast<int64_t>(malloc_usable_size(block));
    return block;
}

void counting_free(void* block) {
    if (block == nullptr) return;
    t_ndpi_heap_bytes -= static_cast<int64_t>(malloc_usable_size(block));
    std::free(block);
}

}  // namespace

void install_ndpi_allocation_counter() {
    static std::once_flag once;
    std::call_once(once, [] {
        set_ndpi_malloc(&counting_malloc);
        set_ndpi_free(&counting_free);
    });
}

size_t ndpi_heap_bytes_on_this_thread() noexcept {
    return t_ndpi_heap_bytes > 0 ? static_cast<size_t>(t_ndpi_heap_bytes) : 0;
}

}  // namespace ottscope
