#include "summary.h"

#include <fmt/format.h>

#include <algorithm>

#include "control/api_views.h"
#include "control/json_writer.h"

namespace ottscope {

std::string human_bytes(uint64_t bytes) {
    static constexpr const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB"};
    double value = static_cast<double>(bytes);
    size_t unit = 0;
    while (value >= 1000 && unit + 1 < std::size(kUnits)) {
        value /= 1000;
        ++unit;
    }
    return unit == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.2f} {}", value, kUnits[unit]);
}

void print_app_table(std::FILE* out, const Totals& totals, const AppCatalog& catalog) {
    uint64_t all_bytes = 0;
    uint64_t all_packets = 0;
    uint64_t all_flows = 0;
    size_t name_width = 5;  // "total"
    size_t category_width = 8;
    for (const AppTotals& app : totals.apps) {
        all_bytes += app.bytes[0] + app.bytes[1];
        all_packets += app.packets[0] + app.packets[1];
        all_flows += app.flows;
        name_width = std::max(name_width, catalog.app(app.app).name.size());
        category_width = std::max(category_width, catalog.app(app.app).category.size());
    }
    name_width = std::min<size_t>(name_width, 40);
    category_width = std::min<size_t>(category_width, 24);
    auto share = [&](uint64_t bytes) {
        return all_bytes == 0 ? 0.0 : 100.0 * static_cast<double>(bytes) / all_bytes;
    };
    const auto row = [&](std::string_view name, std::string_view category, uint64_t flows,
                         uint64_t packets, uint64_t bytes) {
        fmt::print(out, "{:<{}}  {:<{}}  {:>9}  {:>11}  {:>10}  {:>6.2f}%\n",
                   name.substr(0, name_width), name_width, category.substr(0, category_width),
                   category_width, flows, packets, human_bytes(bytes), share(bytes));
    };
    fmt::print(out, "{:<{}}  {:<{}}  {:>9}  {:>11}  {:>10}  {:>7}\n", "app", name_width, "category",
               category_width, "flows", "packets", "bytes", "share");
    for (const AppTotals& app : totals.apps) {
        const AppInfo& info = catalog.app(app.app);
        row(info.name, info.category, app.flows, app.packets[0] + app.packets[1],
            app.bytes[0] + app.bytes[1]);
    }
    fmt::print(out, "{}\n", std::string(name_width + category_width + 55, '-'));
    row("total", "", all_flows, all_packets, all_bytes);
}

void print_drops(std::FILE* out, const Totals& totals) {
    std::string line;
    for (const auto& [reason, name] : kDropReasonNames) {
        const uint64_t dropped = totals.drops[index_of(reason)];
        if (dropped == 0) continue;
        line += fmt::format("{}{} {}", line.empty() ? "" : ", ", name, dropped);
        if (reason != DropReason::decode_error) continue;
        std::string detail;
        for (const auto& [error, error_name] : kDecodeErrorNames)
            if (const uint64_t n = totals.decode_errors[index_of(error)]; n != 0)
                detail += fmt::format("{}{} {}", detail.empty() ? "" : ", ", error_name, n);
        if (!detail.empty()) line += " (" + detail + ")";
    }
    fmt::print(out, "drops: {}\n", line.empty() ? "none" : line);
}

bool print_conservation(std::FILE* out, const Totals& totals) {
    uint64_t app_packets = 0;
    for (const AppTotals& app : totals.apps) app_packets += app.packets[0] + app.packets[1];
    std::string line =
        fmt::format("conservation: received {} = apps {}", totals.received, app_packets);
    for (const auto& [reason, name] : kDropReasonNames) {
        if (const uint64_t dropped = totals.drops[index_of(reason)]; dropped != 0)
            line += fmt::format(" + {} {}", name, dropped);
    }
    const bool holds = totals.received == totals.counted;
    line += holds ? ": holds" : fmt::format(": BROKEN ({} counted)", totals.counted);
    fmt::print(out, "{}\n", line);
    return holds;
}

std::string summary_json(const Totals& totals, const AppCatalog& catalog,
                         const RunFigures& figures) {
    uint64_t all_bytes = 0;
    uint64_t app_packets = 0;
    for (const AppTotals& app : totals.apps) {
        all_bytes += app.bytes[0] + app.bytes[1];
        app_packets += app.packets[0] + app.packets[1];
    }
    JsonWriter json;
    json.begin_object();
    json.key("apps").begin_array();
    for (const AppTotals& app : totals.apps) {
        const AppInfo& info = catalog.app(app.app);
        const uint64_t bytes = app.bytes[0] + app.bytes[1];
        json.begin_object();
        json.field("app", info.name).field("category", info.category).field("flows", app.flows);
        json.field("packets", app.packets[0] + app.packets[1]).field("bytes", bytes);
        json.field("share", all_bytes == 0
                                ? 0.0
                                : static_cast<double>(bytes) / static_cast<double>(all_bytes));
        json.end_object();
    }
    json.end_array();
    json.key("drops").begin_object();
    for (const auto& [reason, name] : kDropReasonNames)
        json.field(name, totals.drops[index_of(reason)]);
    json.end_object();
    json.key("decode_errors").begin_object();
    for (const auto& [error, name] : kDecodeErrorNames)
        json.field(name, totals.decode_errors[index_of(error)]);
    json.end_object();
    json.key("conservation").begin_object();
    json.field("received", totals.received).field("apps", app_packets);
    json.field("counted", totals.counted).field("holds", totals.received == totals.counted);
    json.end_object();
    json.field("seconds", figures.seconds).field("workers", figures.workers);
    fanout_json(json, figures.fanout_mode, figures.receiver_share);
    json.field("packets", totals.received).field("bytes", figures.bytes);
    json.field("packets_per_second",
               figures.seconds > 0 ? static_cast<double>(totals.received) / figures.seconds : 0.0);
    json.key("damaged_captures").begin_array();
    for (const std::string& damage : figures.damaged) json.value(damage);
    json.end_array();
    json.end_object();
    return json.str();
}

}  // namespace ottscope
