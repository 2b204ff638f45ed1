#pragma once
// One worker per lcore, run to completion: receive a burst, decode, find the flow, let the
// classifiers see it, count it. The worker owns its flow table, classifier state and
// counters; it shares nothing mutable with other workers. Worker 0 may also be the receiver
// of the single-queue ports (see dispatch.h): it keeps its own flows' packets and places the
// others in the other workers' rings, which it alone fills. The others never wait for it to
// make progress; they only wait for its `done` before they leave, so no packet is stranded.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "classifier_slots.h"
#include "classifiers/registry.h"
#include "counters.h"
#include "dispatch.h"
#include "flow_headers.h"
#include "flow_record.h"
#include "flow_snapshot.h"
#include "flow_table.h"
#include "fragment_reassembler.h"
#include "generation_publisher.h"
#include "link_type.h"
#include "packet_decoder.h"
#include "rx_poller.h"
#include "stream_reassembler.h"

struct rte_mbuf;
struct rte_ring;

namespace ottscope {

struct WorkerSetup {
    uint16_t index = 0;
    std::vector<RxQueueRef> queues;                 // polled by this worker itself
    rte_ring* input_ring = nullptr;                 // fed by the receiver (worker 0 or fan-out)
    const std::atomic<bool>* input_done = nullptr;  // the receiver has no more packets
    // The receiver worker's single-queue ports, rings and redirection table (self = index).
    std::optional<DispatchSetup> dispatch;
    rte_ring* record_ring = nullptr;  // null when nobody wants flow records
    const std::atomic<bool>* stop = nullptr;
    std::array<PortView, kMaxPorts> ports{};
    rte_mempool* pool = nullptr;
    uint32_t flow_capacity = 1 << 20;
    // Look the burst's flows up together (FlowTable::find_bulk); off only to measure it.
    bool burst_lookup = true;
    FlowTimeouts timeouts;
    FragmentLimits fragment_limits;
    ClassifierSettings classifier_settings;
    // By registry index; empty: every classifier as its descriptor defaults it.
    std::vector<ClassifierOptions> classifier_options;
    StreamSettings stream;
    WorkerCounters* counters = nullptr;
    GenerationPublisher* generations = nullptr;  // null: no rules, nDPI's labels only
    FlowSnapshotMailbox* top_flows = nullptr;    // null: nobody asks for the largest flows
    int timestamp_offset = -1;  // mbuf dynfield with the capture timestamp, if registered
    uint64_t timestamp_flag = 0;
};

class Worker {
public:
    explicit Worker(WorkerSetup setup);
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    // The lcore body: returns when the input is exhausted or stop is set, after every
    // flow has been ended and recorded.
    void run() noexcept;

    // Entry point for rte_eal_remote_launch.
    static int launch(void* worker) noexcept;

    // True once run() has returned. Read after rte_eal_mp_wait_lcore(), it also orders the
    // worker's last writes before the caller's reads in a way sanitizers can see (the EAL's
    // own join is invisible to them).
    [[nodiscard]] bool finished() const noexcept {
        return finished_.load(std::memory_order_acquire);
    }

private:
    // What the first pass over a burst learnt of one packet: its decode, its flow key, and
    // the slot the bulk lookup found (right while the table's changes() is still
    // prepared_changes_).
    struct PreparedPacket {
        DecodedPacket packet;
        DecodeResult decoded;
        FlowKey key;
        uint32_t hash = 0;
        uint32_t slot = kNoSlot;
        bool source_is_lower = false;
        bool decoded_here = false;  // `packet` and `decoded` are filled
        bool keyed = false;         // ... and decoded whole into key, hash and slot
    };

    uint16_t receive(rte_mbuf** mbufs, bool stopping, bool& dispatched) noexcept;
    void take_generation() noexcept;
    void housekeeping() noexcept;
    void process_burst(rte_mbuf** mbufs, uint16_t count, uint64_t now_us) noexcept;
    const uint8_t* frame_of(const rte_mbuf* mbuf, uint32_t& frame_length) noexcept;
    [[nodiscard]] bool input_exhausted() const noexcept;
    [[nodiscard]] bool fanout_finished() const noexcept;
    [[nodiscard]] bool dispatch_finished() const noexcept;
    // May replace `mbuf`: with nullptr when the fragment reassembler kept it, with the
    // reassembled datagram when it completed one. The caller frees what is left.
    // `salvaged`: a first fragment the reassembler gave up on, inspected alone.
    // `prepared`: the burst's first pass over this packet, if it had one.
    void process(rte_mbuf*& mbuf, uint64_t tsc_now_us, bool salvaged = false,
                 PreparedPacket* prepared = nullptr) noexcept;
    void inspect_salvaged() noexcept;
    void classify(uint32_t slot, Flow& flow, const struct DecodedPacket& packet, uint8_t direction,
                  uint64_t now_us) noexcept;
    void start_classifiers(uint32_t slot, Flow& flow) noexcept;
    void credit(Flow& flow) noexcept;
    void end_flow(uint32_t slot, FlowEnd why) noexcept;
    void expire(unsigned budget) noexcept;
    void emit_record(const Flow& flow, FlowEnd why) noexcept;
    void update_state_bytes() noexcept;
    void conclude_classifiers(uint32_t slot, Flow& flow) noexcept;
    void conclude_classifier(size_t index, void*& state, Flow& flow) noexcept;
    [[nodiscard]] PacketView conclude_context(const Flow& flow) noexcept;
    [[nodiscard]] uint64_t latest_now_us() const noexcept { return latest_now_us_; }

    WorkerSetup setup_;
    WorkerCounters& counters_;
    RxPoller poller_;
    std::optional<Dispatcher> dispatcher_;  // worker 0 as the receiver of single-queue ports
    FlowTable table_;
    TopFlowsScanner top_flows_;
    FragmentReassembler fragments_;
    // By registry index; null for a classifier switched off (classifiers.NAME.enabled).
    std::vector<std::unique_ptr<Classifier>> classifiers_;
    std::vector<PacketBudget> budgets_;  // by registry index
    std::vector<uint8_t> reads_stream_;  // by registry index: 1 if it reads PacketView::stream
    ClassifierSlots slots_;
    StreamReassembler streams_;
    std::array<uint64_t, kMaxPorts> zone_now_us_{};
    uint64_t latest_now_us_ = 0;  // the largest of zone_now_us_
    // A packet the burst's first pass did not decode (chained, salvaged) is decoded here:
    // a local one would be initialised for every packet.
    DecodedPacket unprepared_packet_;
    // Chained mbufs (frames over one mbuf) are copied here so decoders see one buffer.
    std::unique_ptr<uint8_t[]> linear_;
    std::array<PreparedPacket, kBurstSize> prepared_{};
    FlowHeaders conclude_headers_{};  // a flow's rebuilt headers, for conclude()
    uint64_t prepared_changes_ = 0;
    // The generation the classifiers adopted last, and its rules, read at the start of the
    // current burst: valid until the next quiescent state.
    const Generation* adopted_ = nullptr;
    const RuleSet* rules_ = nullptr;
    // The annotations of the flow being ended, filled by the classifiers (reused: no heap).
    FlowAnnotations annotations_;
    std::atomic<bool> finished_{false};
};

}  // namespace ottscope
