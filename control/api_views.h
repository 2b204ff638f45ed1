#pragma once
// The JSON bodies of the /api/v1 endpoints, built from what the control side can read.
// Field names follow the flow-record schema and the metric names where they overlap.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "stats_view.h"

namespace ottscope {

class JsonWriter;

struct ReloadReport {
    bool ok = true;
    bool applied = false;  // whether anything the dataplane uses was swapped in
    std::optional<std::string> rule_version;
    std::string message;
    std::vector<std::string> errors;  // FILE:LINE:COL: message
    double at_unix = 0;
};

struct StatusContext {
    std::string phase;  // starting | running | finished
    double uptime_seconds = 0;
    std::string listen;
    bool loopback = true;
    std::string config_path;  // empty: built-in defaults
    std::optional<std::string> rule_version;
    uint64_t reloads_success = 0;
    uint64_t reloads_failure = 0;
    std::optional<ReloadReport> last_reload;
};

std::string status_json(const StatsView& view, const Totals& totals,
                        std::span<const double> busy_ratios, const StatusContext& context);
std::string apps_json(const StatsView& view, const Totals& totals);

struct TopFlow {
    uint16_t worker = 0;
    FlowSnapshotEntry entry;
};
// `flows` sorted largest first; `complete` is false when a worker did not answer in time and
// its previous snapshot was used.
std::string flows_json(const StatsView& view, std::span<const TopFlow> flows, uint32_t top,
                       uint64_t table_flows, bool complete);
std::string reload_json(const ReloadReport& report);
// The `fanout` object (mode as StatsView::fanout_mode), in one place so that scripts reading
// /api/v1/status and those reading `run --output json` parse the same shape.
void fanout_json(JsonWriter& json, std::string_view mode, double receiver_share);

}  // namespace ottscope
