// Name tables as the metrics, records and API read them: a value's name, a value outside the
// table, and a walk over every value in order. A table out of order does not compile (its
// check runs in the compiler), so the tables of the tree are checked by building them.

#include "classifiers/enum_names.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "classifiers/classifier.h"
#include "dataplane/drop_reasons.h"

namespace ottscope {
namespace {

enum class Fruit : uint8_t { apple, pear, plum, count };
constexpr auto kFruitNames = enum_names<Fruit>({
    {Fruit::apple, "apple"},
    {Fruit::pear, "pear"},
    {Fruit::plum, "plum"},
});
static_assert(kFruitNames.size() == 3);
static_assert(kFruitNames.name(Fruit::pear) == "pear");

TEST(EnumNames, NamesAValue) {
    EXPECT_EQ(kFruitNames.name(Fruit::apple), "apple");
    EXPECT_EQ(kFruitNames.name(Fruit::plum), "plum");
}

TEST(EnumNames, ValueOutsideTheTableGetsTheFallback) {
    EXPECT_EQ(kFruitNames.name(Fruit::count), "");
    EXPECT_EQ(kFruitNames.name(static_cast<Fruit>(200), "none"), "none");
    EXPECT_EQ(confidence_name(static_cast<Confidence>(7)), "none");
}

TEST(EnumNames, WalksEveryValueInEnumOrder) {
    std::string walked;
    size_t expected = 0;
    for (const auto& [fruit, name] : kFruitNames) {
        EXPECT_EQ(index_of(fruit), expected++);
        walked += std::string(name) + " ";
    }
    EXPECT_EQ(walked, "apple pear plum ");
}

TEST(EnumNames, LabelValuesOfTheTreeAreTheEnumsOwn) {
    EXPECT_EQ(kDirectionNames.name(Direction::client_to_server), "c2s");
    EXPECT_EQ(kDirectionNames.name(Direction::server_to_client), "s2c");
    EXPECT_EQ(kFlowEndNames.name(FlowEnd::tcp_rst), "tcp_rst");
    EXPECT_EQ(kDropReasonNames.name(DropReason::shutdown), "shutdown");
    EXPECT_EQ(confidence_name(Confidence::medium), "medium");
}

}  // namespace
}  // namespace ottscope
