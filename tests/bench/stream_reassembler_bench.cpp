// Cost of TCP stream reassembly per segment (Google Benchmark). Each flow starts with a SYN
// and sends segments until its direction's depth bound is full, then gives its buffer back
// and the next flow begins, so buffer acquire/release is part of the figure as on the
// packet path. Run: build/tests/bench/stream_reassembler_bench

#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "dataplane/packet_decoder.h"
#include "dataplane/stream_reassembler.h"

namespace ottscope {
namespace {

constexpr uint32_t kDepth = 16384;

std::vector<uint8_t> random_bytes(size_t n) {
    std::mt19937 rng(1);
    std::vector<uint8_t> bytes(n);
    for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng());
    return bytes;
}

// Segment offsets of one flow direction: in order, or each pair swapped (the second
// segment of a pair arrives first and waits beyond the gap), or each segment twice.
enum class Order { in_order, pairs_swapped, retransmitted };

std::vector<uint32_t> offsets(uint32_t segment, Order order) {
    std::vector<uint32_t> out;
    for (uint32_t at = 0; at < kDepth; at += segment) out.push_back(at);
    if (order == Order::pairs_swapped)
        for (size_t i = 0; i + 1 < out.size(); i += 2) std::swap(out[i], out[i + 1]);
    if (order == Order::retransmitted) {
        std::vector<uint32_t> twice;
        for (uint32_t at : out) {
            twice.push_back(at);
            twice.push_back(at);
        }
        out = twice;
    }
    return out;
}

void run(benchmark::State& state, Order order) {
    const auto segment = static_cast<uint32_t>(state.range(0));
    const std::vector<uint8_t> data = random_bytes(kDepth + segment);
    const std::vector<uint32_t> plan = offsets(segment, order);
    StreamCounters counters;
    StreamReassembler reassembler({kDepth, 64, false}, counters);
    StreamSlot slot;
    size_t next = plan.size();
    constexpr uint32_t kIsn = 0xfffff000u;  // every flow crosses the sequence wrap
    uint64_t segments = 0;
    for (auto _ : state) {
        if (next == plan.size()) {
            reassembler.release(slot);
            slot = StreamSlot{};
            reassembler.feed(slot, 0, kIsn, tcp_flag::syn, {});
            next = 0;
        }
        const uint32_t at = plan[next++];
        const StreamDelivery delivered =
            reassembler.feed(slot, 0, kIsn + 1 + at, tcp_flag::ack, {data.data() + at, segment});
        benchmark::DoNotOptimize(delivered);
        ++segments;
    }
    reassembler.release(slot);
    state.SetItemsProcessed(static_cast<int64_t>(segments));
    state.SetBytesProcessed(static_cast<int64_t>(segments * segment));
}

void BM_InOrder(benchmark::State& state) {
    run(state, Order::in_order);
}
void BM_PairsSwapped(benchmark::State& state) {
    run(state, Order::pairs_swapped);
}
void BM_Retransmitted(benchmark::State& state) {
    run(state, Order::retransmitted);
}

// Segments of a flow whose bound is already full: what every later packet of a long flow
// costs while a classifier still wants the stream.
void BM_PastTheBound(benchmark::State& state) {
    const std::vector<uint8_t> data = random_bytes(1448);
    StreamCounters counters;
    StreamReassembler reassembler({kDepth, 64, false}, counters);
    StreamSlot slot;
    reassembler.feed(slot, 0, 0, tcp_flag::syn, {});
    uint32_t seq = 1;
    for (uint32_t at = 0; at < kDepth; at += 1448) {
        reassembler.feed(slot, 0, seq, tcp_flag::ack, {data.data(), data.size()});
        seq += 1448;
    }
    for (auto _ : state) {
        const StreamDelivery delivered =
            reassembler.feed(slot, 0, seq, tcp_flag::ack, {data.data(), data.size()});
        benchmark::DoNotOptimize(delivered);
        seq += 1448;
    }
    reassembler.release(slot);
    state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_InOrder)->Arg(100)->Arg(536)->Arg(1448);
BENCHMARK(BM_PairsSwapped)->Arg(100)->Arg(536)->Arg(1448);
BENCHMARK(BM_Retransmitted)->Arg(100)->Arg(536)->Arg(1448);
BENCHMARK(BM_PastTheBound);

}  // namespace
}  // namespace ottscope

BENCHMARK_MAIN();
