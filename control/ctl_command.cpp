#include "ctl_command.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <cstdlib>

#include "config/config.h"
#include "control/export/ipfix_url.h"
#include "control/http_client.h"
#include "control/summary.h"

namespace ottscope {
namespace {

using simdjson::dom::element;

uint64_t number(element e) {
    if (e.is_uint64()) return e.get_uint64().value();
    if (e.is_int64()) return static_cast<uint64_t>(e.get_int64().value());
    if (e.is_double()) return static_cast<uint64_t>(e.get_double().value());
    return 0;
}

double real(element e) {
    if (e.is_double()) return e.get_double().value();
    return static_cast<double>(number(e));
}

std::string text(element e) {
    if (e.is_string()) return std::string(e.get_string().value());
    if (e.is_null()) return "-";
    return simdjson::to_string(e);
}

std::string reason_list(element map) {
    std::string line;
    for (auto [name, value] : map.get_object()) {
        if (number(value) == 0) continue;
        line +=
            fmt::format("{}{} {}", line.empty() ? "" : ", ", std::string_view(name), number(value));
    }
    return line.empty() ? "none" : line;
}

void print_status(element doc) {
    fmt::print("ottscope {}  {}  up {:.1f} s  rules: {}  api: {}{}\n", text(doc["version"]),
               text(doc["state"]), real(doc["uptime_seconds"]), text(doc["rule_version"]),
               text(doc["api"]["listen"]),
               doc["api"]["loopback"].get_bool().value() ? "" : " (token for POST)");
    element config = doc["config"];
    fmt::print("config: {}  reloads: {} ok, {} failed\n", text(config["path"]),
               number(config["reloads"]["success"]), number(config["reloads"]["failure"]));
    element packets = doc["packets"];
    fmt::print(
        "packets: received {}, counted {}, pending {} (in rings or flows under inspection), "
        "conservation {}\n",
        number(packets["received"]), number(packets["counted"]), number(packets["pending"]),
        text(packets["conservation"]));
    fmt::print("drops: {}\ndecode errors: {}\n\n", reason_list(doc["drops"]),
               reason_list(doc["decode_errors"]));
    fmt::print("{:<16} {:>6} {:>14} {:>10} {:>10} {:>10}\n", "port", "queues", "packets", "bytes",
               "rx_nombuf", "rx_errors");
    for (element port : doc["ports"].get_array())
        fmt::print("{:<16} {:>6} {:>14} {:>10} {:>10} {:>10}\n", text(port["name"]),
                   number(port["rx_queues"]), number(port["packets"]),
                   human_bytes(number(port["bytes"])), number(port["rx_nombuf"]),
                   number(port["rx_errors"]));
    if (element fanout; doc["fanout"].get(fanout) == simdjson::SUCCESS) {
        const std::string mode = text(fanout["mode"]);
        if (mode == "receiver")
            fmt::print(
                "\nfan-out: receiver (worker 0 reads the single-queue ports, "
                "receiver_share {:.3g})\n",
                real(fanout["receiver_share"]));
        else if (mode == "dedicated")
            fmt::print("\nfan-out: dedicated (an lcore of its own reads the single-queue ports)\n");
    }
    fmt::print("\n{:<8} {:>14} {:>10} {:>10} {:>7} {:>7}\n", "worker", "packets", "flows",
               "capacity", "fill", "busy");
    for (element worker : doc["workers"].get_array()) {
        const double capacity = real(worker["flow_capacity"]);
        fmt::print("{:<8} {:>14} {:>10} {:>10} {:>6.1f}% {:>6.1f}%\n", number(worker["worker"]),
                   number(worker["packets"]), number(worker["flow_entries"]),
                   number(worker["flow_capacity"]),
                   capacity > 0 ? 100.0 * real(worker["flow_entries"]) / capacity : 0.0,
                   100.0 * real(worker["busy_ratio"]));
    }
    simdjson::dom::array rings = doc["rings"].get_array();
    if (rings.size() != 0) {
        fmt::print("\n{:<8} {:>8} {:>9}\n", "ring", "used", "capacity");
        for (element ring : rings)
            fmt::print("{:<8} {:>8} {:>9}\n", text(ring["name"]), number(ring["used"]),
                       number(ring["capacity"]));
    }
}

void print_apps(element doc) {
    fmt::print("{:<28} {:<16} {:>8} {:>7} {:>12} {:>10} {:>10} {:>7}\n", "app", "category", "flows",
               "active", "packets", "bytes c2s", "bytes s2c", "share");
    for (element app : doc["apps"].get_array())
        fmt::print("{:<28} {:<16} {:>8} {:>7} {:>12} {:>10} {:>10} {:>6.2f}%\n", text(app["app"]),
                   text(app["category"]), number(app["flows"]), number(app["active_flows"]),
                   number(app["packets"]["c2s"]) + number(app["packets"]["s2c"]),
                   human_bytes(number(app["bytes"]["c2s"])),
                   human_bytes(number(app["bytes"]["s2c"])), 100.0 * real(app["share"]));
    element total = doc["total"];
    fmt::print("total: {} flows, {} packets, {}\n", number(total["flows"]),
               number(total["packets"]), human_bytes(number(total["bytes"])));
}

void print_flows(element doc) {
    fmt::print("{:<5} {:<45} {:<22} {:<7} {:>9} {:>10} {:>3}\n", "proto", "client -> server", "app",
               "conf", "packets", "bytes", "w");
    for (element flow : doc["flows"].get_array()) {
        const std::string endpoints =
            fmt::format("{}:{} -> {}:{}", text(flow["src_ip"]), number(flow["src_port"]),
                        text(flow["dst_ip"]), number(flow["dst_port"]));
        const bool classified = flow["classified"].get_bool().value();
        fmt::print("{:<5} {:<45} {:<22} {:<7} {:>9} {:>10} {:>3}\n", text(flow["proto"]), endpoints,
                   classified ? text(flow["app"]) : "(inspecting)", text(flow["confidence"]),
                   number(flow["pkts_c2s"]) + number(flow["pkts_s2c"]),
                   human_bytes(number(flow["bytes_c2s"]) + number(flow["bytes_s2c"])),
                   number(flow["worker"]));
    }
    fmt::print("{} active flows in the tables{}\n", number(doc["active_flows"]),
               doc["complete"].get_bool().value() ? ""
                                                  : " (a worker did not answer in time: its "
                                                    "previous snapshot is shown)");
}

void print_reload(element doc) {
    fmt::print("reload: {}{}\n{}\n", text(doc["result"]),
               doc["applied"].get_bool().value() ? ", applied" : ", nothing applied",
               text(doc["message"]));
    for (element error : doc["errors"].get_array()) fmt::print("  {}\n", text(error));
}

}  // namespace

int run_ctl(const CtlOptions& options) {
    std::string api = options.api;
    std::string token = options.token;
    if (!options.config_path.empty()) {
        const ConfigResult loaded = load_config(options.config_path, export_config_checks());
        if (!loaded.ok()) {
            for (const std::string& error : loaded.errors) fmt::print(stderr, "{}\n", error);
            return 1;
        }
        if (api.empty()) api = loaded.config.metrics_listen;
        if (token.empty()) token = loaded.config.api_token;
    }
    if (api.empty()) api = default_config().metrics_listen;
    if (const char* env = std::getenv("OTTSCOPE_API_TOKEN"); token.empty() && env != nullptr)
        token = env;

    std::string method = "GET";
    std::string target;
    if (options.command == "status") {
        target = "/api/v1/status";
    } else if (options.command == "apps") {
        target = "/api/v1/apps";
    } else if (options.command == "flows") {
        target = fmt::format("/api/v1/flows?top={}", options.top);
    } else if (options.command == "reload") {
        method = "POST";
        target = "/-/reload";
    } else {
        fmt::print(stderr, "ottscope ctl: unknown command '{}'\n", options.command);
        return 1;
    }
    const HttpResponse response = http_request(api, method, target, token);
    if (response.status == 0) {
        fmt::print(stderr, "ottscope ctl: {}\n", response.error);
        return 1;
    }
    simdjson::dom::parser parser;
    element doc;
    if (parser.parse(response.body).get(doc) != simdjson::SUCCESS) {
        fmt::print(stderr, "ottscope ctl: {} answered {} with a body that is not JSON\n", api,
                   response.status);
        return 1;
    }
    const bool reload_answer =
        options.command == "reload" && doc["result"].error() == simdjson::SUCCESS;
    if (response.status != 200 && !reload_answer) {
        fmt::print(stderr, "ottscope ctl: {} {}: {}\n", method, target,
                   doc["error"].error() == simdjson::SUCCESS ? text(doc["error"])
                                                             : std::to_string(response.status));
        return 1;
    }
    if (options.json) {
        fmt::print("{}", response.body);
    } else {
        try {
            if (options.command == "status") print_status(doc);
            if (options.command == "apps") print_apps(doc);
            if (options.command == "flows") print_flows(doc);
            if (options.command == "reload") print_reload(doc);
        } catch (const simdjson::simdjson_error& e) {
            fmt::print(stderr, "ottscope ctl: unexpected answer from {}: {}\n", api, e.what());
            return 1;
        }
    }
    return response.status == 200 ? 0 : 1;
}

}  // namespace ottscope
