// The Grafana dashboard and its provisioning files agree with each other: every query panel
// uses the provisioned datasource, ids are unique, panels sit on the 24-column grid.

#include <gtest/gtest.h>
#include <simdjson.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "tests/test_support.h"

namespace ottscope::test {
namespace {

std::string dashboard_text() {
    std::ifstream in(source_root() + "/deploy/grafana/dashboards/ottscope.json");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

TEST(GrafanaFiles, EveryQueryPanelUsesTheProvisionedDatasource) {
    const YAML::Node datasources =
        YAML::LoadFile(source_root() + "/deploy/grafana/provisioning/datasources/ottscope.yml");
    const std::string uid = datasources["datasources"][0]["uid"].as<std::string>();
    EXPECT_EQ(datasources["datasources"][0]["type"].as<std::string>(), "prometheus");

    simdjson::dom::parser parser;
    const std::string text = dashboard_text();
    simdjson::dom::element dashboard = parser.parse(text);
    EXPECT_FALSE(std::string_view(dashboard["uid"]).empty());
    std::set<uint64_t> ids;
    size_t query_panels = 0;
    for (simdjson::dom::element panel : dashboard["panels"].get_array()) {
        const uint64_t id = panel["id"].get_uint64();
        EXPECT_TRUE(ids.insert(id).second) << "duplicate panel id " << id;
        const uint64_t x = panel["gridPos"]["x"].get_uint64();
        const uint64_t w = panel["gridPos"]["w"].get_uint64();
        EXPECT_LE(x + w, 24u) << std::string_view(panel["title"]);
        if (std::string_view(panel["type"]) == "row") continue;
        ++query_panels;
        EXPECT_EQ(std::string_view(panel["datasource"]["uid"]), uid)
            << std::string_view(panel["title"]);
        simdjson::dom::array targets = panel["targets"].get_array();
        EXPECT_GT(targets.size(), 0u) << std::string_view(panel["title"]);
        for (simdjson::dom::element target : targets)
            EXPECT_FALSE(std::string_view(target["expr"]).empty());
    }
    EXPECT_GE(query_panels, 12u);
}

TEST(GrafanaFiles, TheDashboardProviderReadsAFolder) {
    const YAML::Node providers =
        YAML::LoadFile(source_root() + "/deploy/grafana/provisioning/dashboards/ottscope.yml");
    EXPECT_EQ(providers["providers"][0]["type"].as<std::string>(), "file");
    EXPECT_FALSE(providers["providers"][0]["options"]["path"].as<std::string>().empty());
}

}  // namespace
}  // namespace ottscope::test
