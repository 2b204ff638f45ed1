#pragma once
// A worker's flows: an rte_hash from key to slot, a flat array of Flow slots, and one
// least-recently-seen list per timeout class so idle flows are found at the list heads
// without scanning. Every operation is O(1): one hash operation plus a few list links.
// Memory is fixed at construction by the capacity. Owned by one lcore; no locks.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "classifiers/classifier.h"
#include "classifiers/registry.h"
#include "flow_key.h"
#include "flow_summary.h"
#include "page_memory.h"
#include "stream_reassembler.h"
#include "tcp_tracker.h"
#include "tunnel.h"

struct rte_hash;

namespace ottscope {

// One idle list per class. Order matters: victim() tries tcp_closed, then tcp_embryonic,
// before looking for the least recently seen flow of all classes.
enum class TimeoutClass : uint8_t {
    tcp_closed,     // FIN both ways or RST: lingering to absorb the last packets
    tcp_embryonic,  // no payload, no completed handshake (SYN floods, scans end here)
    tcp,            // established
    tcp_closing,    // FIN from one side
    udp,
    other,
    count
};

struct FlowTimeouts {
    uint64_t tcp_us = 300'000'000;
    uint64_t tcp_embryonic_us = 20'000'000;
    uint64_t tcp_closing_us = 60'000'000;
    uint64_t tcp_closed_us = 10'000'000;
    uint64_t udp_us = 120'000'000;
    uint64_t other_us = 60'000'000;
};

constexpr TimeoutClass timeout_class_of(TcpState state) noexcept {
    switch (state) {
        case TcpState::closed:
        case TcpState::reset:
            return TimeoutClass::tcp_closed;
        case TcpState::established:
            return TimeoutClass::tcp;
        case TcpState::closing:
            return TimeoutClass::tcp_closing;
        default:
            return TimeoutClass::tcp_embryonic;
    }
}

constexpr uint32_t kNoSlot = UINT32_MAX;

// A million of these sit in every worker's table. What the packet path reads and writes
// (the summary, the one-byte fields packed after it, the idle-list links) fills the first
// 128 bytes; the tunnel, touched only for tunnelled packets and at the end, comes last.
struct Flow {
    FlowSummary summary;  // key, verdict, timestamps, counters
    // Classifiers that still want packets, and of those, how many read the stream (their
    // state and flags sit in the worker's ClassifierSlots).
    uint8_t classifiers_pending = 0;
    uint8_t stream_readers_pending = 0;
    bool credited = false;  // packets so far are counted under summary.verdict.app
    TimeoutClass timeout_class = TimeoutClass::other;
    TcpState tcp_state = TcpState::none;
    TcpSeen tcp_seen;
    uint32_t lru_prev = kNoSlot;
    uint32_t lru_next = kNoSlot;
    StreamSlot stream;    // TCP reassembly state, owned by the worker's StreamReassembler
    bool in_use = false;  // the slot holds a live flow (for scans over the slot array)
    FlowTunnel tunnel;    // outer addresses and ids when the flow runs inside a tunnel
};
// Issue 9's budget: at most 256 bytes resident per decided flow, plus the hash table.
static_assert(sizeof(Flow) <= 256, "Flow grew: check the per-flow memory budget");
static_assert(offsetof(Flow, lru_next) + sizeof(Flow::lru_next) <= 128,
              "the fields every packet touches no longer fit in the first 128 bytes");

class FlowTable {
public:
    FlowTable(const std::string& name, uint32_t capacity, FlowTimeouts timeouts, int socket_id);
    ~FlowTable();
    FlowTable(const FlowTable&) = delete;
    FlowTable& operator=(const FlowTable&) = delete;

    // Slot of the flow with this key, or kNoSlot.
    [[nodiscard]] uint32_t find(const FlowKey& key, uint32_t hash) const noexcept;
    // find() for up to kMaxBulkLookup keys at once: rte_hash fetches every key's buckets
    // before comparing any, and the flows found are prefetched, so a burst waits for memory
    // once rather than once per packet. The answers hold until the next insert or remove
    // (see changes()).
    static constexpr unsigned kMaxBulkLookup = 64;
    void find_bulk(const FlowKey** keys, uint32_t* hashes, unsigned count,
                   uint32_t* slots) const noexcept;
    // Counts inserts and removes: a slot found before is still right while this is unchanged.
    [[nodiscard]] uint64_t changes() const noexcept { return changes_; }
    // Inserts a new flow; the caller must have made room (full() is false).
    uint32_t insert(const FlowKey& key, uint32_t hash, uint64_t now_us) noexcept;
    void remove(uint32_t slot) noexcept;
    // Marks the flow as just seen: it moves to the tail of its idle list.
    void touch(uint32_t slot, uint64_t now_us) noexcept;
    // Same, moving the flow to the idle list of `timeout_class` (its TCP state changed).
    void touch(uint32_t slot, uint64_t now_us, TimeoutClass timeout_class) noexcept;

    [[nodiscard]] bool full() const noexcept { return size_ >= capacity_; }
    [[nodiscard]] uint32_t size() const noexcept { return size_; }
    [[nodiscard]] uint32_t capacity() const noexcept { return capacity_; }
    // Slots below this have held a flow at some time; the ones above were never touched.
    [[nodiscard]] uint32_t slots_used() const noexcept { return high_water_; }
    Flow& operator[](uint32_t slot) noexcept { return flows_[slot]; }
    [[nodiscard]] bool in_use(uint32_t slot) const noexcept { return flows_[slot].in_use; }

    // The flow idle longest, whatever its class.
    [[nodiscard]] uint32_t oldest() const noexcept;
    // The flow to end when the table is full: a TCP flow that has already closed or been
    // reset, else the oldest embryonic TCP flow, else the oldest flow. A SYN flood or a scan
    // thus recycles its own entries and leaves established flows alone.
    [[nodiscard]] uint32_t victim() const noexcept;
    // A flow whose idle timeout has passed at `now_us` (as seen in its zone), or kNoSlot.
    [[nodiscard]] uint32_t expired(const uint64_t* zone_now_us) const noexcept;
    // Any flow, for the final flush.
    [[nodiscard]] uint32_t any() const noexcept;

    static uint32_t hash_key(const FlowKey& key) noexcept;

private:
    void unlink(uint32_t slot) noexcept;
    void append(uint32_t slot) noexcept;
    [[nodiscard]] uint64_t timeout_of(TimeoutClass c) const noexcept;

    struct List {
        uint32_t head = kNoSlot;
        uint32_t tail = kNoSlot;
    };

    rte_hash* hash_ = nullptr;
    PageMemory flow_memory_;
    PageMemory free_slot_memory_;
    Flow* flows_ = nullptr;
    // Freed slots, reused last-freed first; slots from high_water_ up have never been used.
    // Both keep a table with few flows in few pages, however large its capacity.
    uint32_t* free_slots_ = nullptr;
    uint32_t free_count_ = 0;
    uint32_t high_water_ = 0;
    uint64_t changes_ = 0;
    uint32_t capacity_;
    uint32_t size_ = 0;
    FlowTimeouts timeouts_;
    std::array<List, static_cast<size_t>(TimeoutClass::count)> lists_{};
};

// Every packet touches its flow: defined here so that the worker's packet loop inlines it.
inline void FlowTable::touch(uint32_t slot, uint64_t now_us) noexcept {
    Flow& flow = flows_[slot];
    flow.summary.last_seen_us = std::max(flow.summary.last_seen_us, now_us);
    const List& list = lists_[static_cast<size_t>(flow.timeout_class)];
    if (list.tail == slot) return;
    unlink(slot);
    append(slot);
}

inline void FlowTable::touch(uint32_t slot, uint64_t now_us, TimeoutClass timeout_class) noexcept {
    Flow& flow = flows_[slot];
    if (flow.timeout_class == timeout_class) {
        touch(slot, now_us);
        return;
    }
    flow.summary.last_seen_us = std::max(flow.summary.last_seen_us, now_us);
    unlink(slot);
    flow.timeout_class = timeout_class;
    append(slot);
}

inline void FlowTable::unlink(uint32_t slot) noexcept {
    Flow& flow = flows_[slot];
    List& list = lists_[static_cast<size_t>(flow.timeout_class)];
    if (flow.lru_prev != kNoSlot)
        flows_[flow.lru_prev].lru_next = flow.lru_next;
    else
        list.head = flow.lru_next;
    if (flow.lru_next != kNoSlot)
        flows_[flow.lru_next].lru_prev = flow.lru_prev;
    else
        list.tail = flow.lru_prev;
    flow.lru_prev = flow.lru_next = kNoSlot;
}

inline void FlowTable::append(uint32_t slot) noexcept {
    Flow& flow = flows_[slot];
    List& list = lists_[static_cast<size_t>(flow.timeout_class)];
    flow.lru_prev = list.tail;
    flow.lru_next = kNoSlot;
    if (list.tail != kNoSlot)
        flows_[list.tail].lru_next = slot;
    else
        list.head = slot;
    list.tail = slot;
}

}  // namespace ottscope
