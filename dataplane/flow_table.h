#pragma once
// A worker's flows: an rte_hash from key to slot, a flat array of Flow slots, and one
// least-recently-seen list per timeout class so idle flows are found at the list heads
// without scanning. Owned by one lcore; no locks.

#include <array>
#include <cstdint>
#include <string>

#include "classifiers/classifier.h"
#include "classifiers/registry.h"
#include "flow_key.h"
#include "tunnel.h"

struct rte_hash;

namespace ottscope {

enum class TimeoutClass : uint8_t { tcp, udp, other, count };

struct FlowTimeouts {
    uint64_t tcp_us = 300'000'000;
    uint64_t udp_us = 120'000'000;
    uint64_t other_us = 60'000'000;
};

constexpr uint32_t kNoSlot = UINT32_MAX;

struct Flow {
    FlowKey key;
    Verdict verdict;
    uint64_t first_seen_us = 0;
    uint64_t last_seen_us = 0;
    uint64_t bytes[2] = {};
    uint64_t packets[2] = {};
    uint32_t lru_prev = kNoSlot;
    uint32_t lru_next = kNoSlot;
    std::array<void*, kMaxClassifiers> classifier_state{};
    uint8_t classifiers_pending = 0;  // bit i: classifier i still wants packets
    bool client_is_lower = true;
    bool credited = false;  // packets so far are counted under verdict.app
    TimeoutClass timeout_class = TimeoutClass::other;
    FlowTunnel tunnel;  // outer addresses and ids when the flow runs inside a tunnel

    [[nodiscard]] uint64_t total_packets() const noexcept {
        return packets[0] + packets[1];
    }
};

class FlowTable {
public:
    FlowTable(const std::string& name, uint32_t capacity, FlowTimeouts timeouts, int socket_id);
    ~FlowTable();
    FlowTable(const FlowTable&) = delete;
    FlowTable& operator=(const FlowTable&) = delete;

    // Slot of the flow with this key, or kNoSlot.
    [[nodiscard]] uint32_t find(const FlowKey& key, uint32_t hash) const noexcept;
    // Inserts a new flow; the caller must have made room (full() is false).
    uint32_t insert(const FlowKey& key, uint32_t hash, uint64_t now_us) noexcept;
    void remove(uint32_t slot) noexcept;
    // Marks the flow as just seen: it moves to the tail of its idle list.
    void touch(uint32_t slot, uint64_t now_us) noexcept;

    [[nodiscard]] bool full() const noexcept { return size_ >= capacity_; }
    [[nodiscard]] uint32_t size() const noexcept { return size_; }
    [[nodiscard]] uint32_t capacity() const noexcept { return capacity_; }
    Flow& operator[](uint32_t slot) noexcept { return flows_[slot]; }

    // The flow idle longest, for eviction when the table is full.
    [[nodiscard]] uint32_t oldest() const noexcept;
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
    Flow* flows_ = nullptr;
    uint32_t capacity_;
    uint32_t size_ = 0;
    FlowTimeouts timeouts_;
    std::array<List, static_cast<size_t>(TimeoutClass::count)> lists_{};
};

}  // namespace ottscope
