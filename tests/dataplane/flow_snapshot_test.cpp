// The top-flows snapshot a worker publishes on request: largest first, bounded work per step,
// nothing published until asked, an empty closing snapshot.

#include <gtest/gtest.h>

#include <memory>

#include "dataplane/flow_snapshot.h"
#include "dataplane/flow_table.h"

namespace ottscope {
namespace {

FlowKey key_for(uint16_t port) {
    Endpoint a{ipv4_mapped(std::array<uint8_t, 4>{10, 0, 0, 1}.data()), port};
    Endpoint b{ipv4_mapped(std::array<uint8_t, 4>{10, 0, 0, 2}.data()), 443};
    FlowKey key;
    make_flow_key(a, b, 6, 4, 0, 0, key);
    return key;
}

TEST(TopFlowsScanner, PublishesTheLargestFlowsOnlyWhenAsked) {
    FlowTable table("snapshot_test", 1024, FlowTimeouts{}, 0);
    for (uint16_t i = 0; i < 300; ++i) {
        const FlowKey key = key_for(static_cast<uint16_t>(1000 + i));
        const uint32_t slot = table.insert(key, FlowTable::hash_key(key), 1);
        table[slot].summary.bytes[0] = i;
        table[slot].summary.bytes[1] = 1;
    }
    auto mailbox = std::make_unique<FlowSnapshotMailbox>();
    TopFlowsScanner scanner(mailbox.get());
    scanner.step(table, 64);
    EXPECT_EQ(mailbox->published(), 0u) << "nothing asked, nothing published";

    const uint64_t wanted = mailbox->request();
    uint32_t steps = 0;
    while (mailbox->published() < wanted && steps < 100) {
        scanner.step(table, 64);
        ++steps;
    }
    EXPECT_EQ(steps, (300u + 63) / 64)
        << "one pass over the slots ever used (not the whole capacity), 64 at a time";
    const FlowSnapshot& snapshot = mailbox->latest();
    ASSERT_EQ(snapshot.count, kTopFlowsMax);
    EXPECT_EQ(snapshot.table_size, 300u);
    for (uint32_t i = 0; i < snapshot.count; ++i)
        EXPECT_EQ(snapshot.entries[i].summary.total_bytes(), 300u - i) << "largest first";

    scanner.close();
    EXPECT_TRUE(mailbox->closed());
    EXPECT_EQ(mailbox->latest().count, 0u);
}

TEST(TopFlowsScanner, RemovedFlowsAreNotReported) {
    FlowTable table("snapshot_test2", 64, FlowTimeouts{}, 0);
    const FlowKey removed = key_for(1);
    const FlowKey kept = key_for(2);
    const uint32_t removed_slot = table.insert(removed, FlowTable::hash_key(removed), 1);
    table[removed_slot].summary.bytes[0] = 1000;  // the larger: it would come first if reported
    const uint32_t kept_slot = table.insert(kept, FlowTable::hash_key(kept), 1);
    table[kept_slot].summary.bytes[0] = 10;
    table.remove(removed_slot);
    auto mailbox = std::make_unique<FlowSnapshotMailbox>();
    TopFlowsScanner scanner(mailbox.get());
    const uint64_t wanted = mailbox->request();
    scanner.step(table, 64);
    // Published for this request: the mailbox's initial (empty) buffer cannot pass for it.
    ASSERT_EQ(mailbox->published(), wanted);
    const FlowSnapshot& snapshot = mailbox->latest();
    EXPECT_EQ(snapshot.generation, wanted);
    ASSERT_EQ(snapshot.count, 1u) << "only the flow still in the table";
    EXPECT_EQ(snapshot.entries[0].summary.key, kept);
    EXPECT_EQ(snapshot.entries[0].summary.total_bytes(), 10u);
}

}  // namespace
}  // namespace ottscope
