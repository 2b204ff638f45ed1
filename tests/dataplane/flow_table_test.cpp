#include "dataplane/flow_table.h"

#include <gtest/gtest.h>

#include <array>

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
    timeouts.tcp_us = 1'000'000;
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
