// Flow-table operations per second at 1M flows (Google Benchmark). Not a test: figures
// depend on the machine. Also prints the table's memory per flow, measured from DPDK's heap.
//
//   build/tests/bench/flow_table_bench [--benchmark_filter=...]

#include <benchmark/benchmark.h>
#include <rte_eal.h>
#include <rte_malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

extern "C" {
#include <ndpi/ndpi_api.h>
}

#include "dataplane/flow_table.h"

namespace ottscope {
namespace {

constexpr uint32_t kFlows = 1u << 20;

FlowKey key_for(uint32_t n) {
    const uint8_t a[4] = {10, static_cast<uint8_t>(n >> 16), static_cast<uint8_t>(n >> 8),
                          static_cast<uint8_t>(n)};
    const uint8_t b[4] = {198, 51, 100, static_cast<uint8_t>(n >> 24)};
    FlowKey key;
    make_flow_key({ipv4_mapped(a), static_cast<uint16_t>(1024 + n % 60000)}, {ipv4_mapped(b), 443},
                  6, 4, 0, 0, key);
    return key;
}

// Keys 0..kFlows-1 are in the table, kFlows..2*kFlows-1 are not; `order` visits them randomly.
struct Fixture {
    std::vector<FlowKey> keys;
    std::vector<uint32_t> order;
    Fixture() {
        keys.reserve(2 * kFlows);
        for (uint32_t n = 0; n < 2 * kFlows; ++n) keys.push_back(key_for(n));
        order.resize(kFlows);
        std::iota(order.begin(), order.end(), 0u);
        std::shuffle(order.begin(), order.end(), std::mt19937(7));
    }
};

const Fixture& fixture() {
    static const Fixture f;
    return f;
}

std::string unique_name() {
    static int n = 0;
    return "bench" + std::to_string(n++);
}

std::unique_ptr<FlowTable> full_table() {
    auto table = std::make_unique<FlowTable>(unique_name(), kFlows, FlowTimeouts{}, 0);
    for (uint32_t n = 0; n < kFlows; ++n) {
        const FlowKey& key = fixture().keys[n];
        table->insert(key, FlowTable::hash_key(key), n);
    }
    return table;
}

void BM_Insert(benchmark::State& state) {
    const auto& keys = fixture().keys;
    FlowTable table(unique_name(), kFlows, FlowTimeouts{}, 0);
    std::vector<uint32_t> slots(kFlows);
    uint32_t i = 0;
    for (auto _ : state) {
        const FlowKey& key = keys[fixture().order[i]];
        slots[i] = table.insert(key, FlowTable::hash_key(key), i);
        if (++i == kFlows) {  // empty it again, untimed
            state.PauseTiming();
            for (uint32_t slot : slots) table.remove(slot);
            i = 0;
            state.ResumeTiming();
        }
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Insert);

void BM_FindHit(benchmark::State& state) {
    const auto table = full_table();
    const auto& f = fixture();
    uint32_t i = 0;
    for (auto _ : state) {
        const FlowKey& key = f.keys[f.order[i]];
        benchmark::DoNotOptimize(table->find(key, FlowTable::hash_key(key)));
        i = (i + 1) & (kFlows - 1);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FindHit);

void BM_FindMiss(benchmark::State& state) {
    const auto table = full_table();
    const auto& f = fixture();
    uint32_t i = 0;
    for (auto _ : state) {
        const FlowKey& key = f.keys[kFlows + f.order[i]];
        benchmark::DoNotOptimize(table->find(key, FlowTable::hash_key(key)));
        i = (i + 1) & (kFlows - 1);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FindMiss);

void BM_Touch(benchmark::State& state) {
    const auto table = full_table();
    const auto& f = fixture();
    uint32_t i = 0;
    uint64_t now = kFlows;
    for (auto _ : state) {
        table->touch(f.order[i], ++now);  // slots are 0..kFlows-1 in a fresh table
        i = (i + 1) & (kFlows - 1);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Touch);

void BM_TouchChangingState(benchmark::State& state) {
    const auto table = full_table();
    const auto& f = fixture();
    uint32_t i = 0;
    uint64_t now = kFlows;
    for (auto _ : state) {
        const TimeoutClass c = (i & 1) != 0 ? TimeoutClass::tcp : TimeoutClass::tcp_embryonic;
        table->touch(f.order[i], ++now, c);
        i = (i + 1) & (kFlows - 1);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TouchChangingState);

// The flood path: the table is full, a new flow ends the victim and takes its place.
void BM_EvictAndInsert(benchmark::State& state) {
    const auto table = full_table();
    const auto& keys = fixture().keys;
    uint32_t next = kFlows;
    for (auto _ : state) {
        table->remove(table->victim());
        const FlowKey& key = keys[next];
        table->insert(key, FlowTable::hash_key(key), next);
        if (++next == 2 * kFlows) next = 0;  // the keys evicted first come back
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EvictAndInsert);

void BM_Remove(benchmark::State& state) {
    const auto table = full_table();
    const auto& f = fixture();
    std::vector<uint32_t> slots(kFlows);
    for (uint32_t n = 0; n < kFlows; ++n)
        slots[n] = table->find(f.keys[n], FlowTable::hash_key(f.keys[n]));
    uint32_t i = 0;
    for (auto _ : state) {
        table->remove(slots[f.order[i]]);
        if (++i == kFlows) {  // fill it again, untimed
            state.PauseTiming();
            for (uint32_t n = 0; n < kFlows; ++n)
                slots[n] = table->insert(f.keys[n], FlowTable::hash_key(f.keys[n]), n);
            i = 0;
            state.ResumeTiming();
        }
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Remove);

size_t heap_bytes() {
    rte_malloc_socket_stats stats{};
    rte_malloc_get_socket_stats(0, &stats);
    return stats.heap_allocsz_bytes;
}

void print_memory_per_flow() {
    const size_t before = heap_bytes();
    {
        FlowTable table(unique_name(), kFlows, FlowTimeouts{}, 0);
        const size_t table_bytes = heap_bytes() - before;
        std::printf(
            "flow table of %u flows: %zu bytes of DPDK heap = %.1f bytes/flow "
            "(sizeof(Flow) %zu, rte_hash and its rings %.1f)\n"
            "nDPI state of an undecided flow: SIZEOF_FLOW_STRUCT %zu (pool block %zu) + nDPI's own "
            "allocations\n",
            kFlows, table_bytes, static_cast<double>(table_bytes) / kFlows, sizeof(Flow),
            static_cast<double>(table_bytes) / kFlows - static_cast<double>(sizeof(Flow)),
            SIZEOF_FLOW_STRUCT, (SIZEOF_FLOW_STRUCT + 63) & ~size_t{63});
    }
}

}  // namespace
}  // namespace ottscope

int main(int argc, char** argv) {
    std::vector<std::string> args = {"flow_table_bench",
                                     "--no-huge",
                                     "--no-pci",
                                     "-m",
                                     "2048",
                                     "--no-telemetry",
                                     "--log-level=lib.eal:error",
                                     "--no-shconf", "--file-prefix=ottscope-ftbench-" + std::to_string(getpid()),
                                     "--lcores=0@(0)"};
    std::vector<char*> eal_argv;
    for (auto& arg : args) eal_argv.push_back(arg.data());
    if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
        std::fprintf(stderr, "cannot start the DPDK EAL\n");
        return 1;
    }
    ottscope::print_memory_per_flow();
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    rte_eal_cleanup();
    return 0;
}
