#include "flow_table.h"

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>

#include <new>
#include <stdexcept>

namespace ottscope {

uint32_t FlowTable::hash_key(const FlowKey& key) noexcept {
    return rte_hash_crc(&key, sizeof(key), 0x5eed);
}

FlowTable::FlowTable(const std::string& name, uint32_t capacity, FlowTimeouts timeouts,
                     int socket_id)
    : capacity_(capacity), timeouts_(timeouts) {
    rte_hash_parameters params{};
    params.name = name.c_str();
    // A cuckoo table filled to its last slot spends microseconds per insert moving keys
    // around (and a full table is where a flood keeps it): the hash gets a quarter more
    // entries than flows, which with its power-of-two buckets keeps it at most 80% loaded.
    // The slots (and the count of flows) stay exactly `capacity`; the hash maps key to slot.
    params.entries = std::max<uint32_t>(capacity + capacity / 4, 8);
    params.key_len = sizeof(FlowKey);
    params.hash_func = rte_hash_crc;
    params.hash_func_init_val = 0x5eed;
    params.socket_id = socket_id;
    params.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
    hash_ = rte_hash_create(&params);
    if (hash_ == nullptr)
        throw std::runtime_error("flow table " + name + ": " + rte_strerror(rte_errno));
    try {
        flow_memory_ = PageMemory(sizeof(Flow) * capacity);
        free_slot_memory_ = PageMemory(sizeof(uint32_t) * capacity);
    } catch (const std::bad_alloc&) {
        rte_hash_free(hash_);
        throw std::runtime_error("flow table " + name + ": out of memory for " +
                                 std::to_string(capacity) + " flows");
    }
    flows_ = static_cast<Flow*>(flow_memory_.data());
    free_slots_ = static_cast<uint32_t*>(free_slot_memory_.data());
}

FlowTable::~FlowTable() {
    rte_hash_free(hash_);
}

uint32_t FlowTable::find(const FlowKey& key, uint32_t hash) const noexcept {
    // The hash's data for a key is its Flow's address.
    void* data = nullptr;
    if (rte_hash_lookup_with_hash_data(hash_, &key, hash, &data) < 0) return kNoSlot;
    return static_cast<uint32_t>(static_cast<const Flow*>(data) - flows_);
}

void FlowTable::find_bulk(const FlowKey** keys, uint32_t* hashes, unsigned count,
                          uint32_t* slots) const noexcept {
    uint64_t hits = 0;
    void* data[kMaxBulkLookup];
    if (count == 0 || count > kMaxBulkLookup ||
        rte_hash_lookup_with_hash_bulk_data(hash_, reinterpret_cast<const void**>(keys), hashes,
                                            count, &hits, data) < 0) {
        for (unsigned i = 0; i < count; ++i) slots[i] = find(*keys[i], hashes[i]);
        return;
    }
    for (unsigned i = 0; i < count; ++i) {
        if ((hits & (uint64_t{1} << i)) == 0) {
            slots[i] = kNoSlot;
            continue;
        }
        const auto* flow = static_cast<const Flow*>(data[i]);
        // Key, counters, idle-list links and classifier state are all read or written for
        // the packet: the whole entry is fetched.
        const auto* bytes = reinterpret_cast<const char*>(flow);
        for (size_t offset = 0; offset < sizeof(Flow); offset += 64)
            __builtin_prefetch(bytes + offset, 1);
        slots[i] = static_cast<uint32_t>(flow - flows_);
    }
}

uint32_t FlowTable::insert(const FlowKey& key, uint32_t hash, uint64_t now_us) noexcept {
    if (size_ >= capacity_) return kNoSlot;
    const uint32_t slot = free_count_ != 0 ? free_slots_[free_count_ - 1] : high_water_;
    if (rte_hash_add_key_with_hash_data(hash_, &key, hash, &flows_[slot]) < 0) return kNoSlot;
    if (free_count_ != 0)
        --free_count_;
    else
        ++high_water_;
    ++changes_;
    Flow* flow = new (&flows_[slot]) Flow{};
    flow->summary.key = key;
    flow->in_use = true;
    flow->summary.first_seen_us = now_us;
    flow->summary.last_seen_us = now_us;
    if (key.ip_protocol == 6) {
        flow->tcp_state = TcpState::embryonic;
        flow->timeout_class = TimeoutClass::tcp_embryonic;
    } else {
        flow->timeout_class = key.ip_protocol == 17 ? TimeoutClass::udp : TimeoutClass::other;
    }
    append(slot);
    ++size_;
    return slot;
}

void FlowTable::remove(uint32_t slot) noexcept {
    unlink(slot);
    rte_hash_del_key(hash_, &flows_[slot].summary.key);
    flows_[slot].in_use = false;
    free_slots_[free_count_++] = slot;
    --size_;
    ++changes_;
}

uint32_t FlowTable::victim() const noexcept {
    for (const TimeoutClass first : {TimeoutClass::tcp_closed, TimeoutClass::tcp_embryonic}) {
        const uint32_t head = lists_[static_cast<size_t>(first)].head;
        if (head != kNoSlot) return head;
    }
    return oldest();
}

uint32_t FlowTable::oldest() const noexcept {
    uint32_t best = kNoSlot;
    for (const List& list : lists_) {
        if (list.head == kNoSlot) continue;
        if (best == kNoSlot ||
            flows_[list.head].summary.last_seen_us < flows_[best].summary.last_seen_us)
            best = list.head;
    }
    return best;
}

uint32_t FlowTable::expired(const uint64_t* zone_now_us) const noexcept {
    for (size_t c = 0; c < lists_.size(); ++c) {
        const uint32_t head = lists_[c].head;
        if (head == kNoSlot) continue;
        const Flow& flow = flows_[head];
        if (flow.summary.last_seen_us + timeout_of(static_cast<TimeoutClass>(c)) <
            zone_now_us[flow.summary.key.zone])
            return head;
    }
    return kNoSlot;
}

uint32_t FlowTable::any() const noexcept {
    for (const List& list : lists_)
        if (list.head != kNoSlot) return list.head;
    return kNoSlot;
}

uint64_t FlowTable::timeout_of(TimeoutClass c) const noexcept {
    switch (c) {
        case TimeoutClass::tcp:
            return timeouts_.tcp_us;
        case TimeoutClass::tcp_embryonic:
            return timeouts_.tcp_embryonic_us;
        case TimeoutClass::tcp_closing:
            return timeouts_.tcp_closing_us;
        case TimeoutClass::tcp_closed:
            return timeouts_.tcp_closed_us;
        case TimeoutClass::udp:
            return timeouts_.udp_us;
        default:
            return timeouts_.other_us;
    }
}

}  // namespace ottscope
