// The end-of-run summary as people and scripts read it, and the JSON writer under it.

#include <gtest/gtest.h>

#include <simdjson.h>
#include <cstdio>
#include <cstdlib>

#include "classifiers/app_catalog.h"
#include "classifiers/ndpi/ndpi_classifier.h"
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

// The printers write what a person reads at the end of a run; captured through a memory stream.
class SummaryPrinters : public ::testing::Test {
protected:
    SummaryPrinters() : module_(make_ndpi_module()), catalog_(module_.get()) {}
    template <typename Print>
    static std::string captured(Print print) {
        char* buffer = nullptr;
        size_t size = 0;
        std::FILE* out = open_memstream(&buffer, &size);
        print(out);
        std::fclose(out);
        std::string text(buffer, size);
        std::free(buffer);
        return text;
    }
    AppTotals app(uint16_t id, uint64_t flows, uint64_t packets, uint64_t bytes) {
        AppTotals totals;
        totals.app = id;
        totals.flows = flows;
        totals.packets[0] = packets;
        totals.bytes[0] = bytes;
        return totals;
    }
    NdpiModule module_;
    AppCatalog catalog_;
    Totals totals_;
};

TEST_F(SummaryPrinters, AppTableHasARowPerAppSharesAndATotal) {
    const uint16_t dns = *catalog_.find_ndpi_protocol("DNS");
    const uint16_t tls = *catalog_.find_ndpi_protocol("TLS");
    totals_.apps = {app(tls, 3, 30, 3000), app(dns, 1, 10, 1000)};
    const std::string table =
        captured([&](std::FILE* out) { print_app_table(out, totals_, catalog_); });
    EXPECT_NE(table.find("app"), std::string::npos) << table;
    EXPECT_NE(table.find("share"), std::string::npos) << table;
    EXPECT_NE(table.find("TLS"), std::string::npos) << table;
    EXPECT_NE(table.find("75.00%"), std::string::npos) << table;
    EXPECT_NE(table.find("25.00%"), std::string::npos) << table;
    EXPECT_NE(table.find("total"), std::string::npos) << table;
    EXPECT_NE(table.find("4.00 kB"), std::string::npos) << table;
    EXPECT_LT(table.find("TLS"), table.find("DNS")) << "rows in the order given (most bytes)";
}

TEST_F(SummaryPrinters, DropsSayNoneOrEachReasonWithDecodeDetail) {
    EXPECT_EQ(captured([&](std::FILE* out) { print_drops(out, totals_); }), "drops: none\n");
    totals_.drops[index_of(DropReason::not_ip)] = 2;
    totals_.drops[index_of(DropReason::decode_error)] = 3;
    totals_.decode_errors[index_of(DecodeError::truncated_ipv4)] = 3;
    EXPECT_EQ(captured([&](std::FILE* out) { print_drops(out, totals_); }),
              "drops: not_ip 2, decode_error 3 (truncated_ipv4 3)\n");
}

TEST_F(SummaryPrinters, ConservationHoldsOnlyWhenEveryPacketIsCounted) {
    const uint16_t dns = *catalog_.find_ndpi_protocol("DNS");
    totals_.apps = {app(dns, 1, 10, 1000)};
    totals_.drops[index_of(DropReason::not_ip)] = 2;
    totals_.received = 12;
    totals_.counted = 12;
    bool holds = false;
    std::string line = captured([&](std::FILE* out) { holds = print_conservation(out, totals_); });
    EXPECT_TRUE(holds);
    EXPECT_EQ(line, "conservation: received 12 = apps 10 + not_ip 2: holds\n");
    totals_.received = 13;
    line = captured([&](std::FILE* out) { holds = print_conservation(out, totals_); });
    EXPECT_FALSE(holds);
    EXPECT_EQ(line, "conservation: received 13 = apps 10 + not_ip 2: BROKEN (12 counted)\n");
}

}  // namespace
}  // namespace ottscope
