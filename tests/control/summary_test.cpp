// The end-of-run summary as people and scripts read it, and the JSON writer under it.

#include <gtest/gtest.h>
#include <simdjson.h>

#include "control/json_writer.h"
#include "control/summary.h"

namespace ottscope {
namespace {

TEST(HumanBytes, UsesSiUnits) {
    EXPECT_EQ(human_bytes(0), "0 B");
    EXPECT_EQ(human_bytes(999), "999 B");
    EXPECT_EQ(human_bytes(65547), "65.55 kB");
    EXPECT_EQ(human_bytes(6494677120ULL), "6.49 GB");
}

TEST(JsonWriter, PlacesCommasAndEscapes) {
    JsonWriter json;
    json.begin_object();
    json.field("name", "a\"b\\c\n");
    json.key("list").begin_array().value(uint64_t{1}).value(2.5).null().value(true).end_array();
    json.key("empty").begin_object().end_object();
    json.end_object();
    EXPECT_EQ(json.str(),
              "{\"name\":\"a\\\"b\\\\c\\u000a\",\"list\":[1,2.5,null,true],\"empty\":{}}\n");
    simdjson::dom::parser parser;
    EXPECT_EQ(parser.parse(json.str()).error(), simdjson::SUCCESS);
}

TEST(JsonWriter, NonFiniteNumbersBecomeNull) {
    JsonWriter json;
    json.begin_array().value(std::numeric_limits<double>::infinity()).end_array();
    EXPECT_EQ(json.str(), "[null]\n");
}

}  // namespace
}  // namespace ottscope
