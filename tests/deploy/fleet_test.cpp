// Two appliances, each with its own capture and metrics port, scraped by one site
// Prometheus with the shipped fleet configuration (instance = appliance name), and a global
// Prometheus federating it with match[] on ottscope series: `sum by (app)` over the
// federated series must equal the sum of both appliances' own /metrics totals.

#include <gtest/gtest.h>
#include <simdjson.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <sstream>

#include "control/http_client.h"
#include "tests/control/child_process.h"
#include "tests/test_support.h"

namespace ottscope::test {
namespace {

namespace fs = std::filesystem;

std::string get(uint16_t port, const std::string& target) {
    const HttpResponse response =
        http_request("127.0.0.1:" + std::to_string(port), "GET", target, "");
    return response.status == 200 ? response.body : std::string();
}

// ottscope_app_bytes_total summed over directions, per app, from an appliance's /metrics.
std::map<std::string, double> appliance_bytes(uint16_t port) {
    std::map<std::string, double> bytes;
    static const std::regex sample(R"re(^ottscope_app_bytes_total\{.*app="([^"]*)".*\} (\S+))re");
    std::istringstream lines(get(port, "/metrics"));
    for (std::string line; std::getline(lines, line);) {
        std::smatch m;
        if (std::regex_search(line, m, sample)) bytes[m[1]] += std::stod(m[2]);
    }
    return bytes;
}

std::map<std::string, double> query_by_app(uint16_t port, const std::string& expr,
                                           size_t* series = nullptr) {
    std::map<std::string, double> result;
    const std::string body = get(port, "/api/v1/query?query=" + url_encode(expr));
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (body.empty() || parser.parse(body).get(doc) != simdjson::SUCCESS) return result;
    simdjson::dom::array list;
    if (doc["data"]["result"].get(list) != simdjson::SUCCESS) return result;
    for (simdjson::dom::element item : list) {
        std::string_view app;
        if (item["metric"]["app"].get(app) != simdjson::SUCCESS) app = "";
        result[std::string(app)] = std::stod(std::string(std::string_view(item["value"].at(1))));
    }
    if (series != nullptr) *series = list.size();
    return result;
}

std::string dump(const std::map<std::string, double>& values) {
    std::string text;
    for (const auto& [app, value] : values) text += app + "=" + std::to_string(value) + " ";
    return text;
}

TEST(Fleet, FederatedSumByAppEqualsTheAppliancesTotals) {
    const std::string prometheus = find_program("prometheus");
    ASSERT_FALSE(prometheus.empty()) << "prometheus is not installed (deploy/install-deps.sh)";
    const std::string dir = temp_dir() + "/fleet";
    fs::create_directories(dir + "/site");
    fs::create_directories(dir + "/global");

    // Appliance B gets a capture of its own: our synthesizer with another seed.
    const CommandResult synth = run_command(
        {binary_path(), "synth", "--out", dir + "/b.pcap", "--seed", "7", "--scale", "2"});
    ASSERT_EQ(synth.status, 0) << synth.output;
    const uint16_t port_a = free_port();
    const uint16_t port_b = free_port();
    auto appliance = [&](const std::string& pcap, uint16_t port, const std::string& name) {
        return std::make_unique<ChildProcess>(
            std::vector<std::string>{
                binary_path(), "run", "-c", source_root() + "/config/ottscope.yaml", "--pcap", pcap,
                "--workers", "1", "--linger", "--metrics", "127.0.0.1:" + std::to_string(port)},
            dir + "/" + name + ".log");
    };
    auto a = appliance(source_root() + "/config/demo/tume-demo.pcap", port_a, "a");
    auto b = appliance(dir + "/b.pcap", port_b, "b");
    // --linger: the captures are done once the summary is logged; totals stay still after.
    ASSERT_TRUE(wait_until(
        [&] {
            return a->log().find("serving metrics") != std::string::npos &&
                   b->log().find("serving metrics") != std::string::npos;
        },
        std::chrono::seconds(30)))
        << a->log() << b->log();

    // The shipped site configuration, pointed at the two appliances.
    YAML::Node site =
        YAML::LoadFile(source_root() + "/deploy/prometheus/fleet/prometheus-site.yml");
    site["global"]["scrape_interval"] = "1s";
    YAML::Node job = site["scrape_configs"][0];
    job["scrape_interval"] = "1s";
    job["scrape_timeout"] = "1s";
    job["static_configs"][0]["targets"][0] = "127.0.0.1:" + std::to_string(port_a);
    job["static_configs"][1]["targets"][0] = "127.0.0.1:" + std::to_string(port_b);
    std::ofstream(dir + "/site/prometheus.yml") << YAML::Dump(site) << "\n";
    const uint16_t site_port = free_port();
    ChildProcess site_server(
        {prometheus, "--config.file=" + dir + "/site/prometheus.yml",
         "--storage.tsdb.path=" + dir + "/site/data",
         "--web.listen-address=127.0.0.1:" + std::to_string(site_port), "--log.level=warn"},
        dir + "/site.log");

    YAML::Node global =
        YAML::LoadFile(source_root() + "/deploy/prometheus/fleet/prometheus-global.yml");
    global["global"]["scrape_interval"] = "1s";
    YAML::Node federate = global["scrape_configs"][0];
    federate["scrape_interval"] = "1s";
    federate["scrape_timeout"] = "1s";
    federate["static_configs"][0]["targets"][0] = "127.0.0.1:" + std::to_string(site_port);
    std::ofstream(dir + "/global/prometheus.yml") << YAML::Dump(global) << "\n";
    const uint16_t global_port = free_port();
    ChildProcess global_server(
        {prometheus, "--config.file=" + dir + "/global/prometheus.yml",
         "--storage.tsdb.path=" + dir + "/global/data",
         "--web.listen-address=127.0.0.1:" + std::to_string(global_port), "--log.level=warn"},
        dir + "/global.log");

    std::map<std::string, double> expected = appliance_bytes(port_a);
    const std::map<std::string, double> from_b = appliance_bytes(port_b);
    ASSERT_FALSE(expected.empty());
    ASSERT_FALSE(from_b.empty());
    for (const auto& [app, value] : from_b) expected[app] += value;

    std::map<std::string, double> federated;
    std::map<std::string, double> instances;
    const bool equal = wait_until(
        [&] {
            instances = query_by_app(global_port, "count by (instance) (ottscope_build_info)");
            federated = query_by_app(global_port, "sum by (app) (ottscope_app_bytes_total)");
            return federated == expected;
        },
        std::chrono::seconds(60));
    EXPECT_TRUE(equal) << "federated: " << dump(federated) << "\nappliances: " << dump(expected)
                       << "\nsite log:\n"
                       << site_server.log() << "\nglobal log:\n"
                       << global_server.log();
    // Both appliances arrive under their names, with the site's external label.
    size_t series = 0;
    query_by_app(global_port, R"(count by (instance, site) (ottscope_build_info{site="site-1"}))",
                 &series);
    EXPECT_EQ(series, 2u);
    EXPECT_TRUE(wait_until(
        [&] {
            size_t named = 0;
            query_by_app(global_port, R"(ottscope_build_info{instance=~"mirror-1|mirror-2"})",
                         &named);
            return named == 2;
        },
        std::chrono::seconds(5)));
    std::printf("federated sum by (app) over %zu apps equals both appliances' totals\n",
                federated.size());
}

}  // namespace
}  // namespace ottscope::test
