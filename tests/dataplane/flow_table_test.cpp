#include "dataplane/flow_table.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace ottscope {
namespace {

FlowKey key_for(uint32_t n) {
    const uint8_t a[4] = {10, static_cast<uint8_t>(n >> 16), static_cast<uint8_t>(n >> 8),
                          static_cast<uint8_t>(n)};
    const uint8_t b[4] = {192, 0, 2, 1};
    FlowKey key;
    make_flow_key({ipv4_mapped(a), 1000}, {ipv4_mapped(b), 80}, 6, 4, 0, 0, key);
    return key;
}

std::string unique_name(const char* base) {
    static int counter = 0;
    return std::string(base) + std::to_string(counter++);
}

TEST(FlowTable, InsertFindRemove) {
    FlowTable table(unique_name("ft_basic"), 64, {}, 0);
    const FlowKey key = key_for(1);
    const uint32_t hash = FlowTable::hash_key(key);
    EXPECT_EQ(table.find(key, hash), kNoSlot);
    const uint32_t slot = table.insert(key, hash, 1000);
    ASSERT_NE(slot, kNoSlot);
    EXPECT_EQ(table.find(key, hash), slot);
    EXPECT_EQ(table.size(), 1u);
    table.remove(slot);
    EXPECT_EQ(table.find(key, hash), kNoSlot);
    EXPECT_EQ(table.size(), 0u);
}

TEST(FlowTable, FillsExactlyToCapacity) {
    FlowTable table(unique_name("ft_fill"), 1000, {}, 0);
    for (uint32_t i = 0; i < 1000; ++i) {
        const FlowKey key = key_for(i);
        ASSERT_NE(table.insert(key, FlowTable::hash_key(key), i), kNoSlot) << i;
    }
    EXPECT_TRUE(table.full());
}

TEST(FlowTable, FreedSlotsAreReusedBeforeUntouchedOnes) {
    // A large table that holds few flows must stay in few pages: freed slots come back first.
    FlowTable table(unique_name("ft_reuse"), 1 << 16, {}, 0);
    std::vector<uint32_t> slots;
    for (uint32_t i = 0; i < 10; ++i) {
        const FlowKey key = key_for(i);
        slots.push_back(table.insert(key, FlowTable::hash_key(key), 1));
    }
    EXPECT_EQ(table.slots_used(), 10u);
    table.remove(slots[3]);
    table.remove(slots[7]);
    for (uint32_t i = 100; i < 102; ++i) {
        const FlowKey key = key_for(i);
        const uint32_t slot = table.insert(key, FlowTable::hash_key(key), 1);
        EXPECT_TRUE(slot == slots[3] || slot == slots[7]) << slot;
        EXPECT_EQ(table[slot].summary.packets[0], 0u) << "a reused slot starts as a new flow";
    }
    EXPECT_EQ(table.slots_used(), 10u);
    EXPECT_EQ(table.size(), 10u);
}

TEST(FlowTable, BulkLookupAgreesWithFindAndChangesCountInsertsAndRemoves) {
    FlowTable table(unique_name("ft_bulk"), 256, {}, 0);
    std::array<FlowKey, 40> keys{};
    std::array<uint32_t, 40> hashes{};
    std::array<const FlowKey*, 40> pointers{};
    std::vector<uint32_t> inserted;
    for (uint32_t i = 0; i < keys.size(); ++i) {
        keys[i] = key_for(i);
        hashes[i] = FlowTable::hash_key(keys[i]);
        pointers[i] = &keys[i];
        if (i % 3 != 0) inserted.push_back(table.insert(keys[i], hashes[i], 1));
    }
    const uint64_t before = table.changes();
    std::array<uint32_t, 40> slots{};
    table.find_bulk(pointers.data(), hashes.data(), keys.size(), slots.data());
    for (uint32_t i = 0; i < keys.size(); ++i)
        EXPECT_EQ(slots[i], table.find(keys[i], hashes[i])) << i;
    EXPECT_EQ(table.changes(), before) << "lookups change nothing";
    table.remove(inserted.front());
    EXPECT_EQ(table.changes(), before + 1);
}

TEST(FlowTable, OldestIsTheLeastRecentlySeen) {
    FlowTable table(unique_name("ft_lru"), 16, {}, 0);
    std::array<uint32_t, 3> slots{};
    for (uint32_t i = 0; i < 3; ++i) {
        const FlowKey key = key_for(i);
        slots[i] = table.insert(key, FlowTable::hash_key(key), 100 + i);
    }
    EXPECT_EQ(table.oldest(), slots[0]);
    table.touch(slots[0], 200);
    EXPECT_EQ(table.oldest(), slots[1]);
}

TEST(FlowTable, IdleFlowsExpireAfterTheirTimeout) {
    FlowTimeouts timeouts;
    timeouts.tcp_embryonic_us = 1'000'000;
    FlowTable table(unique_name("ft_idle"), 16, timeouts, 0);
    const FlowKey key = key_for(7);
    const uint32_t slot = table.insert(key, FlowTable::hash_key(key), 5'000'000);
    std::array<uint64_t, 64> now{};
    now[0] = 5'900'000;
    EXPECT_EQ(table.expired(now.data()), kNoSlot);
    now[0] = 6'000'001;
    EXPECT_EQ(table.expired(now.data()), slot);
}

}  // namespace
}  // namespace ottscope

namespace ottscope {
namespace {

TEST(FlowTable, NewTcpFlowsStartEmbryonic) {
    FlowTable table(unique_name("ft_embryo"), 16, {}, 0);
    const FlowKey key = key_for(1);
    const uint32_t slot = table.insert(key, FlowTable::hash_key(key), 0);
    EXPECT_EQ(table[slot].tcp_state, TcpState::embryonic);
    EXPECT_EQ(table[slot].timeout_class, TimeoutClass::tcp_embryonic);
}

TEST(FlowTable, EachTcpStateHasItsOwnTimeout) {
    FlowTimeouts timeouts;
    timeouts.tcp_embryonic_us = 10;
    timeouts.tcp_us = 1000;
    timeouts.tcp_closing_us = 100;
    timeouts.tcp_closed_us = 5;
    FlowTable table(unique_name("ft_states"), 16, timeouts, 0);
    std::array<uint32_t, 4> slots{};
    const std::array classes = {TimeoutClass::tcp_embryonic, TimeoutClass::tcp,
                                TimeoutClass::tcp_closing, TimeoutClass::tcp_closed};
    for (uint32_t i = 0; i < 4; ++i) {
        const FlowKey key = key_for(i);
        slots[i] = table.insert(key, FlowTable::hash_key(key), 0);
        table.touch(slots[i], 0, classes[i]);
    }
    std::array<uint64_t, 64> now{};
    auto expired_at = [&](uint64_t t) {
        now[0] = t;
        return table.expired(now.data());
    };
    EXPECT_EQ(expired_at(5), kNoSlot);
    EXPECT_EQ(expired_at(6), slots[3]);  // closed: the linger
    table.remove(slots[3]);
    EXPECT_EQ(expired_at(11), slots[0]);  // embryonic
    table.remove(slots[0]);
    EXPECT_EQ(expired_at(100), kNoSlot);
    EXPECT_EQ(expired_at(101), slots[2]);  // closing
    table.remove(slots[2]);
    EXPECT_EQ(expired_at(1000), kNoSlot);
    EXPECT_EQ(expired_at(1001), slots[1]);  // established
}

TEST(FlowTable, ChangingStateMovesTheFlowToItsNewIdleList) {
    FlowTimeouts timeouts;
    timeouts.tcp_embryonic_us = 10;
    FlowTable table(unique_name("ft_move"), 16, timeouts, 0);
    const FlowKey key = key_for(1);
    const uint32_t slot = table.insert(key, FlowTable::hash_key(key), 0);
    table.touch(slot, 5, TimeoutClass::tcp);
    std::array<uint64_t, 64> now{};
    now[0] = 100;
    EXPECT_EQ(table.expired(now.data()), kNoSlot);
    EXPECT_EQ(table.victim(), slot);
}

TEST(FlowTable, VictimIsAClosedFlowThenEmbryonicThenTheOldest) {
    FlowTable table(unique_name("ft_victim"), 16, {}, 0);
    auto add = [&](uint32_t n, uint64_t t, TimeoutClass c) {
        const FlowKey key = key_for(n);
        const uint32_t slot = table.insert(key, FlowTable::hash_key(key), t);
        table.touch(slot, t, c);
        return slot;
    };
    const uint32_t established = add(1, 10, TimeoutClass::tcp);
    const uint32_t udp = add(2, 5, TimeoutClass::udp);
    const uint32_t embryonic_old = add(3, 20, TimeoutClass::tcp_embryonic);
    add(4, 30, TimeoutClass::tcp_embryonic);
    const uint32_t closed = add(5, 40, TimeoutClass::tcp_closed);
    EXPECT_EQ(table.victim(), closed);
    table.remove(closed);
    EXPECT_EQ(table.victim(), embryonic_old);
    table.remove(embryonic_old);
    table.remove(table.victim());
    EXPECT_EQ(table.victim(), udp);  // oldest of the rest
    table.remove(udp);
    EXPECT_EQ(table.victim(), established);
}

}  // namespace
}  // namespace ottscope
