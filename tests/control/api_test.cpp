// The control plane of a running appliance (the demo capture replayed in a loop), through its
// HTTP API and through `ottscope ctl`, the way an operator or a script uses them.

#include <gtest/gtest.h>
#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include "control/http_client.h"
#include "tests/control/child_process.h"
#include "tests/test_support.h"

namespace ottscope::test {
namespace {

class LiveApi : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = temp_dir() + "/api";
        std::filesystem::create_directories(dir_);
        config_ = dir_ + "/ottscope.yaml";
        write_config(true);
        port_ = free_port();
        appliance_ = std::make_unique<ChildProcess>(
            std::vector<std::string>{binary_path(), "run", "-c", config_, "--pcap", demo_capture(),
                                     "--loop", "--workers", "1", "--metrics", address()},
            dir_ + "/ottscope.log");
        // Ready, and a few passes over the capture counted, so every app has shown up.
        ready_ = wait_until(
            [] {
                return call("GET", "/readyz").status == 200 &&
                       call("GET", "/api/v1/apps").body.find("\"SIP\"") != std::string::npos;
            },
            std::chrono::seconds(20));
    }
    static void TearDownTestSuite() { appliance_.reset(); }
    void SetUp() override {
        ASSERT_TRUE(ready_) << "the appliance did not become ready:\n" << appliance_->log();
    }

    static void write_config(bool valid) {
        std::ofstream out(config_);
        out << "flow_table:\n  capacity: 4096\n";
        if (!valid) out << "control:\n  metrics_lisen: 127.0.0.1:1\n";
    }
    static std::string address() { return "127.0.0.1:" + std::to_string(port_); }
    static HttpResponse call(const std::string& method, const std::string& target) {
        return http_request(address(), method, target, "");
    }
    static CommandResult ctl(std::vector<std::string> args) {
        args.insert(args.begin(), {binary_path(), "ctl", "--api", address()});
        return run_command(args);
    }

    simdjson::dom::element parse(const std::string& body) {
        documents_.push_back(std::make_unique<simdjson::dom::parser>());
        simdjson::dom::element doc;
        EXPECT_EQ(documents_.back()->parse(body).get(doc), simdjson::SUCCESS) << body;
        return doc;
    }

    std::vector<std::unique_ptr<simdjson::dom::parser>> documents_;
    static inline std::string dir_;
    static inline std::string config_;
    static inline uint16_t port_ = 0;
    static inline bool ready_ = false;
    static inline std::unique_ptr<ChildProcess> appliance_;
};

TEST_F(LiveApi, HealthAndReadiness) {
    EXPECT_EQ(call("GET", "/healthz").body, "ok\n");
    const HttpResponse ready = call("GET", "/readyz");
    EXPECT_EQ(ready.status, 200);
    EXPECT_EQ(ready.body, "ready\n");
}

TEST_F(LiveApi, StatusNamesPortsQueuesWorkersAndDrops) {
    const HttpResponse response = call("GET", "/api/v1/status");
    ASSERT_EQ(response.status, 200);
    simdjson::dom::element doc = parse(response.body);
    EXPECT_EQ(std::string_view(doc["state"]), "running");
    EXPECT_GT(double(doc["uptime_seconds"]), 0.0);
    EXPECT_TRUE(doc["rule_version"].is_string()) << "the rules in force have a version";
    EXPECT_EQ(std::string_view(doc["config"]["path"]), config_);
    EXPECT_EQ(std::string_view(doc["ports"].at(0)["name"]), "pcap0");
    EXPECT_GT(uint64_t(doc["queues"].at(0)["packets"]), 0u);
    EXPECT_EQ(uint64_t(doc["workers"].at(0)["flow_capacity"]), 4096u);
    EXPECT_EQ(uint64_t(doc["drops"]["not_ip"]), 0u);
    EXPECT_EQ(doc["decode_errors"]["truncated_ipv4"].error(), simdjson::SUCCESS);
    EXPECT_GT(uint64_t(doc["packets"]["received"]), 0u);
    EXPECT_EQ(std::string_view(doc["packets"]["conservation"]), "running");
    EXPECT_TRUE(doc["api"]["loopback"].get_bool().value());
    // One worker reads its port itself: no fan-out.
    EXPECT_EQ(std::string_view(doc["fanout"]["mode"]), "none");
    EXPECT_TRUE(doc["fanout"]["receiver_share"].is_null());
}

TEST_F(LiveApi, AppsCarryTotalsPerApp) {
    const HttpResponse response = call("GET", "/api/v1/apps");
    ASSERT_EQ(response.status, 200);
    simdjson::dom::element doc = parse(response.body);
    std::set<std::string> names;
    double shares = 0;
    for (simdjson::dom::element app : doc["apps"].get_array()) {
        names.emplace(std::string_view(app["app"]));
        shares += double(app["share"]);
        EXPECT_EQ(app["bytes"]["c2s"].error(), simdjson::SUCCESS);
        EXPECT_EQ(app["packets"]["s2c"].error(), simdjson::SUCCESS);
    }
    EXPECT_TRUE(names.count("TLS") == 1 && names.count("SIP") == 1) << response.body;
    EXPECT_NEAR(shares, 1.0, 1e-6);
}

TEST_F(LiveApi, FlowsAreTheLargestActiveOnesFirst) {
    const HttpResponse response = call("GET", "/api/v1/flows?top=3");
    ASSERT_EQ(response.status, 200);
    simdjson::dom::element doc = parse(response.body);
    EXPECT_TRUE(doc["complete"].get_bool().value());
    EXPECT_EQ(uint64_t(doc["top"]), 3u);
    simdjson::dom::array flows = doc["flows"].get_array();
    ASSERT_EQ(flows.size(), 3u) << response.body;
    uint64_t previous = UINT64_MAX;
    for (simdjson::dom::element flow : flows) {
        const uint64_t bytes = uint64_t(flow["bytes_c2s"]) + uint64_t(flow["bytes_s2c"]);
        EXPECT_LE(bytes, previous);
        previous = bytes;
        EXPECT_EQ(flow["src_ip"].error(), simdjson::SUCCESS);
        EXPECT_EQ(flow["app"].error(), simdjson::SUCCESS);
        EXPECT_EQ(flow["end_reason"].error(), simdjson::NO_SUCH_FIELD) << "still active";
    }
}

TEST_F(LiveApi, BadTopAndWrongMethodsAreRefused) {
    EXPECT_EQ(call("GET", "/api/v1/flows?top=0").status, 400);
    EXPECT_EQ(call("GET", "/api/v1/flows?top=x").status, 400);
    EXPECT_EQ(call("GET", "/api/v1/flows?top=101").status, 400);
    EXPECT_EQ(call("POST", "/api/v1/status").status, 405);
    EXPECT_EQ(call("GET", "/-/reload").status, 405);
}

TEST_F(LiveApi, ReloadAppliesRulesAndCountsFailures) {
    HttpResponse response = call("POST", "/-/reload");
    ASSERT_EQ(response.status, 200) << response.body;
    simdjson::dom::element doc = parse(response.body);
    EXPECT_EQ(std::string_view(doc["result"]), "success");
    EXPECT_TRUE(doc["applied"].get_bool().value()) << "the rules were compiled and swapped in";
    EXPECT_TRUE(doc["rule_version"].is_string());

    write_config(false);
    response = call("POST", "/-/reload");
    write_config(true);
    ASSERT_EQ(response.status, 422) << response.body;
    doc = parse(response.body);
    EXPECT_EQ(std::string_view(doc["result"]), "failure");
    const std::string error(std::string_view(doc["errors"].at(0)));
    EXPECT_EQ(error.rfind(config_ + ":4:3: unknown key 'metrics_lisen'", 0), 0u) << error;

    const std::string metrics = call("GET", "/metrics").body;
    EXPECT_NE(metrics.find("ottscope_config_reloads_total{result=\"failure\"} 1"),
              std::string::npos);
    EXPECT_NE(metrics.find("ottscope_config_last_reload_success 0"), std::string::npos);
    ASSERT_EQ(call("POST", "/-/reload").status, 200);
    EXPECT_NE(call("GET", "/metrics").body.find("ottscope_config_last_reload_success 1"),
              std::string::npos);
}

TEST_F(LiveApi, CtlPrintsReadableTables) {
    const CommandResult status = ctl({"status"});
    EXPECT_EQ(status.status, 0) << status.output;
    EXPECT_NE(status.output.find("conservation running"), std::string::npos) << status.output;
    EXPECT_NE(status.output.find("pcap0"), std::string::npos) << status.output;
    const CommandResult apps = ctl({"apps"});
    EXPECT_EQ(apps.status, 0) << apps.output;
    EXPECT_NE(apps.output.find("TLS"), std::string::npos) << apps.output;
    const CommandResult flows = ctl({"flows", "--top", "2"});
    EXPECT_EQ(flows.status, 0) << flows.output;
    EXPECT_EQ(std::count(flows.output.begin(), flows.output.end(), '\n'), 4) << flows.output;
    const CommandResult reload = ctl({"reload"});
    EXPECT_EQ(reload.status, 0) << reload.output;
    EXPECT_NE(reload.output.find("applied"), std::string::npos) << reload.output;
    EXPECT_NE(reload.output.find("rules version"), std::string::npos) << reload.output;
}

TEST_F(LiveApi, CtlJsonIsTheApiAnswer) {
    const CommandResult json = ctl({"--output", "json", "apps"});
    ASSERT_EQ(json.status, 0) << json.output;
    simdjson::dom::element doc = parse(json.output);
    EXPECT_GT(doc["apps"].get_array().size(), 0u);
}

TEST(Ctl, SaysWhenNothingListens) {
    const CommandResult result = run_command(
        {binary_path(), "ctl", "--api", "127.0.0.1:" + std::to_string(free_port()), "status"});
    EXPECT_EQ(result.status, 1);
    EXPECT_NE(result.output.find("cannot connect"), std::string::npos) << result.output;
}

// Two workers replaying the capture: the status and `ctl status` say who reads the port, both
// workers get packets, and SIGTERM stops the run with every packet counted.
class TwoWorkerAppliance : public testing::TestWithParam<std::string> {};

TEST_P(TwoWorkerAppliance, StatusSaysWhichFanoutRunsAndStopLosesNothing) {
    const bool receiver = GetParam() == "receiver";
    const std::string config = temp_dir() + "/two-" + GetParam() + ".yaml";
    std::ofstream(config) << "dataplane:\n  fanout: " << GetParam()
                          << "\n  receiver_share: 0.3\nflow_table:\n  capacity: 4096\n";
    const std::string address = "127.0.0.1:" + std::to_string(free_port());
    ChildProcess appliance({binary_path(), "run", "-c", config, "--pcap", demo_capture(), "--loop",
                            "--workers", "2", "--metrics", address},
                           temp_dir() + "/two-" + GetParam() + ".log");
    std::string status;
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    // Until both workers have taken packets: worker 1 only through its ring.
    ASSERT_TRUE(wait_until(
        [&] {
            status = http_request(address, "GET", "/api/v1/status", "").body;
            return parser.parse(status).get(doc) == simdjson::SUCCESS &&
                   doc["workers"].get_array().size() == 2 &&
                   uint64_t(doc["workers"].at(0)["packets"]) > 0 &&
                   uint64_t(doc["workers"].at(1)["packets"]) > 0;
        },
        std::chrono::seconds(20)))
        << status << appliance.log();
    EXPECT_EQ(std::string_view(doc["fanout"]["mode"]), GetParam());
    if (receiver)
        EXPECT_EQ(double(doc["fanout"]["receiver_share"]), 0.3);
    else
        EXPECT_TRUE(doc["fanout"]["receiver_share"].is_null());
    std::vector<std::string> rings;
    for (simdjson::dom::element ring : doc["rings"].get_array())
        rings.emplace_back(std::string_view(ring["name"]));
    // The receiver worker keeps its own packets: no ring feeds it.
    const std::vector<std::string> expected_rings =
        receiver ? std::vector<std::string>{"in_w1"} : std::vector<std::string>{"in_w0", "in_w1"};
    EXPECT_EQ(rings, expected_rings);
    const CommandResult ctl = run_command({binary_path(), "ctl", "--api", address, "status"});
    EXPECT_EQ(ctl.status, 0) << ctl.output;
    EXPECT_NE(ctl.output.find(receiver ? "fan-out: receiver (worker 0 reads the single-queue "
                                         "ports, receiver_share 0.3)"
                                       : "fan-out: dedicated (an lcore of its own reads the "
                                         "single-queue ports)"),
              std::string::npos)
        << ctl.output;
    EXPECT_EQ(appliance.stop(), 0) << appliance.log();
    EXPECT_NE(appliance.log().find(": holds"), std::string::npos) << appliance.log();
}

INSTANTIATE_TEST_SUITE_P(Fanout, TwoWorkerAppliance, testing::Values("receiver", "dedicated"),
                         [](const auto& info) { return info.param; });

TEST(LingeringAppliance, ReportsTheFinishedRun) {
    const uint16_t port = free_port();
    const std::string address = "127.0.0.1:" + std::to_string(port);
    ChildProcess appliance({binary_path(), "run", "--pcap", demo_capture(), "--workers", "1",
                            "--linger", "--metrics", address},
                           temp_dir() + "/linger.log");
    // /readyz also answers 503 while the appliance is still starting: wait for the end.
    ASSERT_TRUE(wait_until(
        [&] {
            const auto answer = http_request(address, "GET", "/readyz", "");
            return answer.status == 503 &&
                   answer.body.find("dataplane stopped") != std::string::npos;
        },
        std::chrono::seconds(20)))
        << appliance.log();
    simdjson::dom::parser parser;
    const std::string status = http_request(address, "GET", "/api/v1/status", "").body;
    simdjson::dom::element doc = parser.parse(status);
    EXPECT_EQ(std::string_view(doc["state"]), "finished");
    EXPECT_EQ(std::string_view(doc["packets"]["conservation"]), "holds") << status;
    EXPECT_EQ(uint64_t(doc["packets"]["received"]), 149u);
    simdjson::dom::parser flows_parser;
    const std::string flows = http_request(address, "GET", "/api/v1/flows", "").body;
    simdjson::dom::element answer = flows_parser.parse(flows);
    EXPECT_TRUE(answer["complete"].get_bool().value()) << "finished workers are not waited for";
    EXPECT_EQ(answer["flows"].get_array().size(), 0u);
    EXPECT_EQ(appliance.stop(), 0) << appliance.log();
}

TEST(RunSummary, JsonOutputIsOneObjectForScripts) {
    const CommandResult result =
        run_command({binary_path(), "run", "--pcap", demo_capture(), "--workers", "1", "--output",
                     "json", "--metrics", "127.0.0.1:" + std::to_string(free_port())});
    ASSERT_EQ(result.status, 0) << result.output;
    // stderr (startup line) comes first in the combined output; the JSON is the last line.
    const std::string json = result.output.substr(result.output.find("\n{") + 1);
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << result.output;
    EXPECT_TRUE(doc["conservation"]["holds"].get_bool().value());
    EXPECT_EQ(uint64_t(doc["conservation"]["received"]), 149u);
    uint64_t packets = 0;
    for (simdjson::dom::element app : doc["apps"].get_array()) packets += uint64_t(app["packets"]);
    EXPECT_EQ(packets, 149u);
}

TEST(RunSummary, TableHasTotalsAndDrops) {
    const CommandResult result =
        run_command({binary_path(), "run", "--pcap", demo_capture(), "--workers", "1", "--metrics",
                     "127.0.0.1:" + std::to_string(free_port())});
    ASSERT_EQ(result.status, 0) << result.output;
    EXPECT_NE(result.output.find("\ntotal "), std::string::npos) << result.output;
    EXPECT_NE(result.output.find("drops: none"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find("conservation: received 149 = apps 149: holds"),
              std::string::npos);
}

}  // namespace
}  // namespace ottscope::test

namespace ottscope::test {
namespace {

TEST(ApiTokenConfig, ShortOrSpacedTokensAreRejectedWithoutEchoingThem) {
    const std::string path = temp_dir() + "/token.yaml";
    std::ofstream(path)
        << "control:\n  metrics_listen: 0.0.0.0:9464\n  api_token: \"short secret\"\n";
    const CommandResult result = run_command({binary_path(), "check-config", path});
    EXPECT_EQ(result.status, 1);
    EXPECT_NE(result.output.find(path + ":3:14: control.api_token must be 16 to 256"),
              std::string::npos)
        << result.output;
    EXPECT_EQ(result.output.find("short secret"), std::string::npos) << "the token leaked";
    std::ofstream(path) << "control:\n  api_token: 0123456789abcdef0123\n";
    EXPECT_EQ(run_command({binary_path(), "check-config", path}).status, 0);
}

}  // namespace
}  // namespace ottscope::test
