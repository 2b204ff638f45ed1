// A real Prometheus (Debian's package) scrapes ottscope replaying our synthetic capture in a
// loop, with the shipped scrape configuration, recording and alerting rules. Every dashboard
// panel expression and every rule expression goes through Prometheus's query API and must
// return series, except those pending/listed in tests/deploy/pending_series.txt. The same
// again with provisioning over HTTPS only: every panel shows something. /metrics passes
// `promtool check metrics`.

#include <gtest/gtest.h>
#include <simdjson.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "control/http_client.h"
#include "tests/control/child_process.h"
#include "tests/test_support.h"

namespace ottscope::test {
namespace {

namespace fs = std::filesystem;

struct QueryResult {
    bool ok = false;
    std::string error;
    size_t series = 0;
    double first_value = 0;
    std::set<std::string> apps;
};

std::string body_of(uint16_t port, const std::string& target) {
    const HttpResponse response =
        http_request("127.0.0.1:" + std::to_string(port), "GET", target, "");
    return response.status == 200 ? response.body : std::string();
}

QueryResult query(uint16_t port, const std::string& expr) {
    QueryResult result;
    const HttpResponse response = http_request("127.0.0.1:" + std::to_string(port), "GET",
                                               "/api/v1/query?query=" + url_encode(expr), "");
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(response.body).get(doc) != simdjson::SUCCESS) {
        result.error = "no JSON answer (HTTP " + std::to_string(response.status) + ")";
        return result;
    }
    if (std::string_view(doc["status"]) != "success") {
        result.error = std::string(std::string_view(doc["error"]));
        return result;
    }
    result.ok = true;
    simdjson::dom::element data = doc["data"];
    if (std::string_view(data["resultType"]) == "scalar") {
        result.series = 1;
        return result;
    }
    for (simdjson::dom::element series : data["result"].get_array()) {
        std::string_view value;
        if (result.series == 0 && series["value"].at(1).get(value) == simdjson::SUCCESS)
            result.first_value = std::stod(std::string(value));
        ++result.series;
        std::string_view app;
        if (series["metric"]["app"].get(app) == simdjson::SUCCESS) result.apps.emplace(app);
    }
    return result;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// Grafana's interval variables, as Grafana would fill them for a short range.
std::string grafana_expand(std::string expr) {
    static const std::pair<const char*, const char*> kVariables[] = {
        {"$__rate_interval", "1m"}, {"$__range", "5m"}, {"$__interval", "15s"}};
    for (const auto& [name, value] : kVariables)
        for (auto at = expr.find(name); at != std::string::npos; at = expr.find(name))
            expr.replace(at, std::string_view(name).size(), value);
    return expr;
}

// `SIGNAL OP THRESHOLD` becomes `SIGNAL OP bool THRESHOLD`: every signal series, firing or not.
std::string with_bool(const std::string& expr) {
    static const std::regex comparison(R"(\s(==|!=|>=|<=|>|<)\s+([-0-9.e]+)\s*$)");
    return std::regex_replace(expr, comparison, " $1 bool $2");
}

struct Pending {
    std::string token;
    std::string reason;
};

std::vector<Pending> pending_list() {
    std::vector<Pending> list;
    for (const std::string& line : read_lines(source_root() + "/tests/deploy/pending_series.txt")) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream fields(line);
        Pending p;
        fields >> p.token;
        std::getline(fields >> std::ws, p.reason);
        list.push_back(p);
    }
    return list;
}

struct Expression {
    std::string where;  // "panel 'Bandwidth by app'", "record app:...", "alert OttscopeDown"
    std::string expr;
};

std::vector<Expression> dashboard_expressions() {
    std::vector<Expression> list;
    simdjson::dom::parser parser;
    const std::string text = read_file(source_root() + "/deploy/grafana/dashboards/ottscope.json");
    simdjson::dom::element dashboard = parser.parse(text);
    std::function<void(simdjson::dom::array)> walk = [&](simdjson::dom::array panels) {
        for (simdjson::dom::element panel : panels) {
            simdjson::dom::array nested;
            if (panel["panels"].get(nested) == simdjson::SUCCESS) walk(nested);
            simdjson::dom::array targets;
            if (panel["targets"].get(targets) != simdjson::SUCCESS) continue;
            for (simdjson::dom::element target : targets)
                list.push_back({"panel '" + std::string(std::string_view(panel["title"])) + "'",
                                grafana_expand(std::string(std::string_view(target["expr"])))});
        }
    };
    walk(dashboard["panels"].get_array());
    return list;
}

std::vector<Expression> rule_expressions(const std::string& file, bool alerts) {
    std::vector<Expression> list;
    const YAML::Node root = YAML::LoadFile(source_root() + "/deploy/prometheus/rules/" + file);
    for (const auto& group : root["groups"])
        for (const auto& rule : group["rules"]) {
            if (alerts != static_cast<bool>(rule["alert"])) continue;
            const std::string expr = rule["expr"].as<std::string>();
            if (alerts) {
                list.push_back({"alert " + rule["alert"].as<std::string>(), with_bool(expr)});
            } else {
                const std::string name = rule["record"].as<std::string>();
                list.push_back({"record " + name + " (expr)", expr});
                list.push_back({"record " + name + " (recorded series)", name});
            }
        }
    return list;
}

// The appliance looping over one capture with the shipped configuration and its TU Me rules,
// as an operator starts it, scraped by Debian's Prometheus with the shipped scrape
// configuration and rules (sped up for a test) in a directory of its own.
class PrometheusLoop {
public:
    PrometheusLoop(const std::string& capture, const std::string& dir) : dir_(dir) {
        prometheus_ = find_program("prometheus");
        promtool_ = find_program("promtool");
        if (prometheus_.empty() || promtool_.empty()) return;
        fs::create_directories(dir_ + "/data");
        ottscope_port_ = free_port();
        appliance_ = std::make_unique<ChildProcess>(
            std::vector<std::string>{binary_path(), "run", "-c",
                                     source_root() + "/config/ottscope.yaml", "--pcap", capture,
                                     "--loop", "--workers", "1", "--metrics",
                                     "127.0.0.1:" + std::to_string(ottscope_port_)},
            dir_ + "/ottscope.log");
        const uint16_t ottscope_port = ottscope_port_;
        wait_until([ottscope_port] { return !body_of(ottscope_port, "/readyz").empty(); },
                   std::chrono::seconds(20));

        YAML::Node config = YAML::LoadFile(source_root() + "/deploy/prometheus/prometheus.yml");
        config["global"]["scrape_interval"] = "1s";
        config["global"]["evaluation_interval"] = "1s";
        for (auto job : config["scrape_configs"]) {
            job["scrape_interval"] = "1s";
            job["scrape_timeout"] = "1s";
            job["static_configs"][0]["targets"][0] = "127.0.0.1:" + std::to_string(ottscope_port_);
        }
        YAML::Node files = config["rule_files"];
        for (size_t i = 0; i < files.size(); ++i)
            files[i] = source_root() + "/deploy/prometheus/" + files[i].as<std::string>();
        std::ofstream(dir_ + "/prometheus.yml") << YAML::Dump(config) << "\n";

        prometheus_port_ = free_port();
        server_ = std::make_unique<ChildProcess>(
            std::vector<std::string>{
                prometheus_, "--config.file=" + dir_ + "/prometheus.yml",
                "--storage.tsdb.path=" + dir_ + "/data",
                "--web.listen-address=127.0.0.1:" + std::to_string(prometheus_port_),
                "--log.level=warn"},
            dir_ + "/prometheus.log");
        const uint16_t port = prometheus_port_;
        ready_ =
            wait_until([port] { return !body_of(port, "/-/ready").empty(); },
                       std::chrono::seconds(30)) &&
            // Enough scrapes for rate() and a round of rule evaluation over them.
            wait_until(
                [port] {
                    return query(port, "count_over_time(up{job=\"ottscope\"}[1m]) >= 5").series ==
                               1 &&
                           query(port, "app_category:ottscope_app_bytes:rate5m").series > 0;
                },
                std::chrono::seconds(40));
    }

    ~PrometheusLoop() {
        server_.reset();
        appliance_.reset();
        std::error_code ignored;
        fs::remove_all(dir_, ignored);
    }
    PrometheusLoop(const PrometheusLoop&) = delete;
    PrometheusLoop& operator=(const PrometheusLoop&) = delete;

    // Why the loop is not there to test, or "" when it is.
    [[nodiscard]] std::string unready() const {
        if (prometheus_.empty() || promtool_.empty())
            return "prometheus and promtool are not installed: run deploy/install-deps.sh as "
                   "root (Debian package prometheus)";
        if (ready_) return {};
        return "Prometheus did not scrape ottscope in time.\nottscope log:\n" + appliance_->log() +
               "\nprometheus log:\n" + server_->log();
    }

    std::string prometheus_;
    std::string promtool_;
    std::string dir_;
    uint16_t ottscope_port_ = 0;
    uint16_t prometheus_port_ = 0;
    bool ready_ = false;
    std::unique_ptr<ChildProcess> appliance_;
    std::unique_ptr<ChildProcess> server_;
};

// promtool's verdict on a /metrics body: exit 0 and nothing said is a pass.
CommandResult promtool_check_metrics(const std::string& promtool, const std::string& metrics,
                                     const std::string& file) {
    std::ofstream(file) << metrics;
    return run_command({"/bin/sh", "-c", "exec \"$0\" check metrics < \"$1\"", promtool, file});
}

class PrometheusInTheLoop : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        loop_ = std::make_unique<PrometheusLoop>(source_root() + "/config/demo/tume-demo.pcap",
                                                 temp_dir() + "/prometheus");
        promtool_ = loop_->promtool_;
        ottscope_port_ = loop_->ottscope_port_;
        prometheus_port_ = loop_->prometheus_port_;
    }

    static void TearDownTestSuite() { loop_.reset(); }

    void SetUp() override {
        const std::string why = loop_->unready();
        ASSERT_TRUE(why.empty()) << why;
    }

    // Runs each expression; pending ones may be empty (and must be, or the list is stale).
    void require_series(const std::vector<Expression>& expressions) {
        const std::vector<Pending> pending = pending_list();
        for (const Expression& e : expressions) {
            const QueryResult result = query(prometheus_port_, e.expr);
            ASSERT_TRUE(result.ok) << e.where << ": " << e.expr << ": " << result.error;
            const Pending* waits = nullptr;
            for (const Pending& p : pending)
                if (e.expr.find(p.token) != std::string::npos) waits = &p;
            if (waits != nullptr) {
                EXPECT_EQ(result.series, 0u)
                    << e.where << ": " << e.expr << " returns series now: remove '" << waits->token
                    << "' from tests/deploy/pending_series.txt";
                std::printf("pending  %-45s %s\n          waits for %s\n", e.where.c_str(),
                            e.expr.c_str(), waits->reason.c_str());
                continue;
            }
            EXPECT_GT(result.series, 0u) << e.where << ": " << e.expr << " returns no series";
            std::printf("series   %-45s %zu series: %s\n", e.where.c_str(), result.series,
                        e.expr.c_str());
        }
    }

    static inline std::unique_ptr<PrometheusLoop> loop_;
    static inline std::string promtool_;
    static inline uint16_t ottscope_port_ = 0;
    static inline uint16_t prometheus_port_ = 0;
};

TEST_F(PrometheusInTheLoop, PromtoolAcceptsTheShippedConfigAndRules) {
    const std::string deploy = source_root() + "/deploy/prometheus";
    const CommandResult config =
        run_command({promtool_, "check", "config", deploy + "/prometheus.yml"});
    EXPECT_EQ(config.status, 0) << config.output;
    const CommandResult rules =
        run_command({promtool_, "check", "rules", deploy + "/rules/ottscope-recording.yml",
                     deploy + "/rules/ottscope-alerts.yml"});
    EXPECT_EQ(rules.status, 0) << rules.output;
}

TEST_F(PrometheusInTheLoop, EveryDashboardPanelReturnsSeries) {
    const auto expressions = dashboard_expressions();
    ASSERT_GE(expressions.size(), 10u);
    require_series(expressions);
    std::set<std::string> panels;
    for (const Expression& e : expressions) panels.insert(e.where);
    std::printf("dashboard: %zu panels, %zu expressions\n", panels.size(), expressions.size());
}

TEST_F(PrometheusInTheLoop, EveryRecordingRuleReturnsSeries) {
    require_series(rule_expressions("ottscope-recording.yml", false));
}

TEST_F(PrometheusInTheLoop, EveryAlertSignalReturnsSeriesAndEveryRuleIsHealthy) {
    require_series(rule_expressions("ottscope-alerts.yml", true));
    simdjson::dom::parser parser;
    const std::string rules = body_of(prometheus_port_, "/api/v1/rules");
    simdjson::dom::element doc = parser.parse(rules);
    size_t count = 0;
    for (simdjson::dom::element group : doc["data"]["groups"].get_array())
        for (simdjson::dom::element rule : group["rules"].get_array()) {
            ++count;
            EXPECT_EQ(std::string_view(rule["health"]), "ok")
                << std::string_view(rule["name"]) << ": " << simdjson::to_string(rule);
        }
    EXPECT_GE(count, 10u);
}

TEST_F(PrometheusInTheLoop, AppLabelCardinalityStaysBounded) {
    simdjson::dom::parser parser;
    const std::string status = body_of(ottscope_port_, "/api/v1/status");
    simdjson::dom::element doc = parser.parse(status);
    // The catalog: nDPI 4.2's protocols plus the configured apps (none until rules exist).
    const uint64_t apps_known = doc["apps_known"].get_uint64();
    ASSERT_GT(apps_known, 200u);
    ASSERT_LE(apps_known, 512u);

    const QueryResult apps =
        query(prometheus_port_, R"(count by (app) ({__name__=~"ottscope_.+", app!=""}))");
    ASSERT_TRUE(apps.ok) << apps.error;
    EXPECT_GT(apps.series, 0u);
    EXPECT_LE(apps.series, apps_known);

    // Every other label has a handful of values, and none looks like an address.
    const QueryResult before = query(prometheus_port_, R"(count({__name__=~"ottscope_.+"}))");
    const std::string labels = body_of(prometheus_port_, "/api/v1/labels");
    simdjson::dom::parser label_parser;
    for (std::string_view label : label_parser.parse(labels)["data"].get_array()) {
        if (label == "__name__" || label == "app") continue;
        simdjson::dom::parser values_parser;
        const std::string values =
            body_of(prometheus_port_, "/api/v1/label/" + std::string(label) + "/values");
        simdjson::dom::array list = values_parser.parse(values)["data"].get_array();
        EXPECT_LE(list.size(), 64u) << "label " << label << " has " << list.size() << " values";
        static const std::regex address(R"(^\d+\.\d+\.\d+\.\d+$)");
        for (std::string_view value : list) {
            if (label == "instance") continue;  // Prometheus's own target label
            EXPECT_FALSE(std::regex_match(std::string(value), address))
                << "label " << label << " carries an address: " << value;
        }
    }
    // Looping over the same capture again and again adds no series.
    std::this_thread::sleep_for(std::chrono::seconds(3));
    const QueryResult after_apps =
        query(prometheus_port_, R"(count by (app) ({__name__=~"ottscope_.+", app!=""}))");
    EXPECT_EQ(after_apps.apps, apps.apps);
    const QueryResult after = query(prometheus_port_, R"(count({__name__=~"ottscope_.+"}))");
    ASSERT_TRUE(before.ok && after.ok);
    EXPECT_EQ(after.first_value, before.first_value) << "series appeared while looping";
    std::printf("app label values: %zu (bound %llu): ", apps.series,
                static_cast<unsigned long long>(apps_known));
    for (const std::string& app : apps.apps) std::printf("%s ", app.c_str());
    std::printf("\nottscope series: %.0f\n", after.first_value);
}

// /metrics as Prometheus's own linter reads it: names, base units, HELP and TYPE, counters
// ending in _total. Exit 0 and nothing said.
TEST_F(PrometheusInTheLoop, MetricsPassPromtoolCheckMetrics) {
    const std::string metrics = body_of(ottscope_port_, "/metrics");
    ASSERT_NE(metrics.find("ottscope_app_bytes_total"), std::string::npos) << metrics;
    const CommandResult check =
        promtool_check_metrics(promtool_, metrics, temp_dir() + "/demo.metrics");
    EXPECT_EQ(check.status, 0) << check.output;
    EXPECT_EQ(check.output, "");
}

// The families that exist only with an output switched on (flow records, IPFIX export, a TLS
// key log) go through promtool too.
TEST(MetricsExposition, EveryFamilyPassesPromtoolCheckMetrics) {
    const std::string promtool = find_program("promtool");
    ASSERT_FALSE(promtool.empty()) << "promtool is not installed: run deploy/install-deps.sh "
                                      "as root (Debian package prometheus)";
    const std::string dir = temp_dir() + "/all-families";
    fs::create_directories(dir);
    std::ofstream(dir + "/keylog").close();
    const uint16_t port = free_port();
    ChildProcess appliance(
        {binary_path(), "run", "-c", source_root() + "/config/ottscope.yaml", "--pcap",
         source_root() + "/config/demo/tume-demo.pcap", "--loop", "--workers", "1", "--metrics",
         "127.0.0.1:" + std::to_string(port), "--flows-out", dir + "/flows.jsonl", "--ipfix",
         "udp://127.0.0.1:" + std::to_string(free_port()), "--tls-keylog", dir + "/keylog"},
        dir + "/ottscope.log");
    std::string metrics;
    ASSERT_TRUE(wait_until(
        [&metrics, port] {
            metrics = body_of(port, "/metrics");
            return metrics.find("ottscope_flow_records_written_total") != std::string::npos &&
                   metrics.find("ottscope_tls_keylog_sessions") != std::string::npos &&
                   metrics.find("ottscope_export_records_total") != std::string::npos;
        },
        std::chrono::seconds(20)))
        << appliance.log() << metrics;
    size_t families = 0;
    for (size_t at = metrics.find("# TYPE "); at != std::string::npos;
         at = metrics.find("# TYPE ", at + 1))
        ++families;
    const CommandResult check = promtool_check_metrics(promtool, metrics, dir + "/all.metrics");
    EXPECT_EQ(check.status, 0) << check.output;
    EXPECT_EQ(check.output, "");
    EXPECT_GE(families, 42u) << metrics;
    std::printf("promtool check metrics: %zu families, exit %d\n", families, check.status);
}

// The real case of TU Me provisioning: HTTPS only, so no HTTP request is ever visible. The
// demo capture without its cleartext HTTP (TCP port 80: the call-history upload and a web
// page) leaves provisioning over TLS, named by SNI and certificate. Every panel still shows
// something; the provisioning panels from flows and bytes, while their HTTP series (requests,
// body bytes) are empty.
class HttpsOnlyProvisioning : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        const std::string tshark = find_program("tshark");
        if (tshark.empty()) return;
        capture_ = temp_dir() + "/https-only-provisioning.pcap";
        filtered_ = run_command({tshark, "-r", source_root() + "/config/demo/tume-demo.pcap", "-Y",
                                 "!(tcp.port == 80)", "-F", "pcap", "-w", capture_});
        if (filtered_.status != 0) return;
        loop_ = std::make_unique<PrometheusLoop>(capture_, temp_dir() + "/prometheus-https");
    }

    static void TearDownTestSuite() { loop_.reset(); }

    void SetUp() override {
        ASSERT_EQ(filtered_.status, 0) << "tshark could not filter the demo capture (Debian "
                                          "package tshark, deploy/install-deps.sh): "
                                       << filtered_.output;
        const std::string why = loop_->unready();
        ASSERT_TRUE(why.empty()) << why;
    }

    static inline std::string capture_;
    static inline CommandResult filtered_;
    static inline std::unique_ptr<PrometheusLoop> loop_;
};

TEST_F(HttpsOnlyProvisioning, EveryDashboardPanelReturnsSeries) {
    // The capture holds no cleartext HTTP at all.
    const QueryResult http = query(loop_->prometheus_port_, "ottscope_http_requests_total");
    ASSERT_TRUE(http.ok) << http.error;
    ASSERT_EQ(http.series, 0u) << "the filtered capture still holds HTTP requests";

    std::map<std::string, size_t> panel_series;  // by panel: series of all its targets
    for (const Expression& e : dashboard_expressions()) {
        const QueryResult result = query(loop_->prometheus_port_, e.expr);
        ASSERT_TRUE(result.ok) << e.where << ": " << e.expr << ": " << result.error;
        panel_series[e.where] += result.series;
        const bool provisioning = e.expr.find("tume-provisioning") != std::string::npos;
        const bool http_only = e.expr.find("ottscope_http_") != std::string::npos;
        if (provisioning && http_only) {
            EXPECT_EQ(result.series, 0u) << e.where << ": " << e.expr;
        } else if (provisioning) {
            EXPECT_GT(result.series, 0u)
                << e.where << ": " << e.expr << " is empty for HTTPS provisioning";
        }
        std::printf("%-8s %-45s %zu series: %s\n", result.series > 0 ? "series" : "empty",
                    e.where.c_str(), result.series, e.expr.c_str());
    }
    for (const auto& [panel, series] : panel_series)
        EXPECT_GT(series, 0u) << panel << " shows nothing for HTTPS-only provisioning";
    std::printf("dashboard panels with series: %zu\n", panel_series.size());
    EXPECT_GE(panel_series.size(), 18u);
}

}  // namespace
}  // namespace ottscope::test
