#include "memory_estimate.h"

#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <memory>

namespace ottscope {
namespace {

std::string mib(uint64_t bytes) {
    return std::to_string((bytes + (uint64_t{1} << 20) - 1) >> 20) + " MiB";
}

}  // namespace

uint64_t flow_table_bytes(uint64_t capacity) {
    return capacity * (kFlowSlotBytes + kFreeSlotBytes + kFlowHashBytes);
}

std::optional<uint64_t> meminfo_bytes(std::string_view field) {
    const std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen("/proc/meminfo", "re"),
                                                     &std::fclose);
    if (!file) return std::nullopt;
    char line[256];
    while (std::fgets(line, sizeof(line), file.get()) != nullptr) {
        const std::string_view text(line);
        uint64_t kib = 0;
        if (text.starts_with(field) && text.substr(field.size()).starts_with(":") &&
            std::sscanf(line + field.size() + 1, " %" SCNu64 " kB", &kib) == 1)
            return kib * 1024;
    }
    return std::nullopt;
}

std::optional<uint64_t> physical_memory_bytes() {
    return meminfo_bytes("MemTotal");
}

unsigned automatic_workers() {
    const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus > 1 ? static_cast<unsigned>(cpus - 1) : 1;
}

std::string flow_tables_memory_error(uint64_t capacity, unsigned workers, uint64_t memory_bytes) {
    const uint64_t per_worker = flow_table_bytes(capacity);
    const uint64_t total = per_worker * workers;
    const uint64_t allowed = memory_bytes / 100 * kFlowTableMemoryPercent;
    if (total <= allowed) return {};
    return "flow_table.capacity " + std::to_string(capacity) + " needs " + mib(per_worker) +
           " per worker, " + mib(total) + " for " + std::to_string(workers) + " worker" +
           (workers == 1 ? "" : "s") + ", more than " + std::to_string(kFlowTableMemoryPercent) +
           "% of this machine's " + mib(memory_bytes) + " of memory (" + mib(allowed) + ")";
}

}  // namespace ottscope
