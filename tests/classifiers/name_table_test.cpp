// The evidence table as reloads use it: past its old fixed size of 4,096, full, and asked for
// names that do not all fit.

#include "classifiers/name_table.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ottscope {
namespace {

TEST(NameTable, GrowsPast4096NamesWithStableIds) {
    NameTable table(NameTable::kMaxCapacity);
    std::vector<uint16_t> ids;
    for (int i = 0; i < 10'000; ++i) {
        const auto id = table.intern("name-" + std::to_string(i));
        ASSERT_TRUE(id);
        ids.push_back(*id);
    }
    for (int i = 0; i < 10'000; ++i) {
        EXPECT_EQ(table.at(ids[i]), "name-" + std::to_string(i));
        EXPECT_EQ(table.intern("name-" + std::to_string(i)), ids[i]);
    }
    EXPECT_EQ(table.size(), 10'000u);
}

TEST(NameTable, FullTableSaysSo) {
    NameTable table(3);
    EXPECT_TRUE(table.intern("a"));
    EXPECT_TRUE(table.intern("b"));
    EXPECT_TRUE(table.intern("c"));
    EXPECT_FALSE(table.intern("d"));
    EXPECT_EQ(table.intern("b"), 1);
}

TEST(NameTable, NamesThatDoNotAllFitAreNoneAdded) {
    NameTable table(100);
    ASSERT_TRUE(table.intern("known"));
    size_t added = 0;
    const std::vector<std::string> names = {"known", "new-1", "new-2", "new-1"};
    EXPECT_FALSE(table.intern_all(names, 2, added));
    EXPECT_EQ(added, 2u);
    EXPECT_EQ(table.size(), 1u);
    const auto ids = table.intern_all(names, 3, added);
    ASSERT_TRUE(ids);
    EXPECT_EQ(*ids, (std::vector<uint16_t>{0, 1, 2, 1}));
    // Known names fit even when the table is past the limit.
    EXPECT_TRUE(table.intern_all(std::vector<std::string>{"new-2"}, 1, added));
}

TEST(NameTable, OutOfRangeIdReadsEmpty) {
    NameTable table(8);
    EXPECT_EQ(table.at(5), "");
    EXPECT_EQ(table.at(65535), "");
}

}  // namespace
}  // namespace ottscope
