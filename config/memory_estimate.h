#pragma once
// What a configuration's flow tables cost in memory, against what the machine has: a flow
// table is allocated whole when a worker starts, so a capacity the machine cannot hold is
// better refused by check-config (and at start) than met by the OOM killer, which says
// nothing of why.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ottscope {

// Per flow of capacity, per worker (dataplane/flow_table.cpp): the Flow slot and the
// classifiers' per-flow state beside it (flow_table.h asserts sizeof(Flow) <= 256; it is 200
// today, and the four classifiers' slots take 40), its entry in the free-slot list, and the
// rte_hash with its 25% more entries than flows (kFlowHashBytes, which also sizes DPDK's memory
// in control/startup/plan.cpp).
constexpr uint64_t kFlowSlotBytes = 256;
constexpr uint64_t kFreeSlotBytes = 4;
constexpr uint64_t kFlowHashBytes = 160;
// The share of physical memory all flow tables together may take: the rest is for mbufs,
// stream buffers, nDPI and the system.
constexpr unsigned kFlowTableMemoryPercent = 80;

// Bytes one worker's flow table takes for `capacity` flows.
uint64_t flow_table_bytes(uint64_t capacity);

// A field of /proc/meminfo ("MemTotal", "MemAvailable") in bytes; nullopt when it cannot be
// read.
std::optional<uint64_t> meminfo_bytes(std::string_view field);
// MemTotal, for check-config's bound on flow tables.
std::optional<uint64_t> physical_memory_bytes();

// The workers a configuration's `dataplane.workers: 0` (auto) means on this machine: every
// online core but one, at least one (the run's, through worker_count() in
// control/startup/plan.h).
unsigned automatic_workers();

// Why `workers` flow tables of `capacity` flows do not fit in `memory_bytes` (more than
// kFlowTableMemoryPercent of it), or "" when they do.
std::string flow_tables_memory_error(uint64_t capacity, unsigned workers, uint64_t memory_bytes);

}  // namespace ottscope
