#include "api_views.h"

#include <rte_ethdev.h>
#include <rte_ring.h>

#include "control/export/flow_record_writer.h"
#include "control/json_writer.h"

namespace ottscope {
namespace {

void reload_fields(JsonWriter& json, const ReloadReport& report) {
    json.field("result", report.ok ? "success" : "failure");
    json.field("applied", report.applied);
    json.key("rule_version");
    if (report.rule_version)
        json.value(*report.rule_version);
    else
        json.null();
    json.field("message", report.message);
    json.key("errors").begin_array();
    for (const std::string& error : report.errors) json.value(error);
    json.end_array();
    json.field("at_unix", report.at_unix);
}

// {"reason": count, ...} for every value of the enum, in its order.
template <typename Names, size_t N>
void reason_map(JsonWriter& json, std::string_view name, const Names& names,
                const std::array<uint64_t, N>& values) {
    static_assert(Names::size() == N);
    json.key(name).begin_object();
    for (const auto& [reason, reason_name] : names)
        json.field(reason_name, values[index_of(reason)]);
    json.end_object();
}

}  // namespace

void fanout_json(JsonWriter& json, std::string_view mode, double receiver_share) {
    json.key("fanout").begin_object();
    json.field("mode", mode);
    json.key("receiver_share");
    if (mode == "receiver")
        json.value(receiver_share);
    else
        json.null();
    json.end_object();
}

std::string status_json(const StatsView& view, const Totals& totals,
                        std::span<const double> busy_ratios, const StatusContext& context) {
    JsonWriter json;
    json.begin_object();
    json.field("version", OTTSCOPE_VERSION);
    json.field("state", context.phase);
    json.field("uptime_seconds", context.uptime_seconds);
    json.key("rule_version");
    if (context.rule_version)
        json.value(*context.rule_version);
    else
        json.null();
    json.key("api").begin_object();
    json.field("listen", context.listen);
    json.field("loopback", context.loopback);
    json.end_object();
    json.key("config").begin_object();
    json.key("path");
    if (context.config_path.empty())
        json.null();
    else
        json.value(context.config_path);
    json.key("reloads").begin_object();
    json.field("success", context.reloads_success);
    json.field("failure", context.reloads_failure);
    json.end_object();
    json.key("last_reload");
    if (context.last_reload) {
        json.begin_object();
        reload_fields(json, *context.last_reload);
        json.end_object();
    } else {
        json.null();
    }
    json.end_object();

    json.key("packets").begin_object();
    json.field("received", totals.received);
    json.field("counted", totals.counted);
    // While packets flow, some sit in rings or in flows still under inspection (credited
    // once decided): conservation can only be judged once the dataplane has stopped.
    json.field("pending",
               totals.received > totals.counted ? totals.received - totals.counted : uint64_t{0});
    json.field("conservation", context.phase != "finished"         ? "running"
                               : totals.received == totals.counted ? "holds"
                                                                   : "broken");
    json.end_object();
    reason_map(json, "drops", kDropReasonNames, totals.drops);
    reason_map(json, "decode_errors", kDecodeErrorNames, totals.decode_errors);
    reason_map(json, "evictions", kFlowEndNames, totals.evictions);

    json.key("ports").begin_array();
    for (const Port& port : view.ports) {
        rte_eth_stats stats{};
        const bool have_stats = rte_eth_stats_get(port.id, &stats) == 0;
        uint64_t packets = 0;
        uint64_t bytes = 0;
        for (const RxSlot& slot : view.rx) {
            if (slot.port_id != port.id) continue;
            packets += slot.counters->packets.read();
            bytes += slot.counters->bytes.read();
        }
        json.begin_object();
        json.field("name", port.name);
        json.field("id", static_cast<unsigned>(port.id));
        json.field("rx_queues", static_cast<unsigned>(port.rx_queues));
        json.field("capture", port.finite || !port.expected_packets.empty());
        json.field("packets", packets);
        json.field("bytes", bytes);
        json.field("rx_nombuf", have_stats ? stats.rx_nombuf : 0);
        json.field("rx_errors", have_stats ? stats.ierrors : 0);
        json.field("rx_missed", have_stats ? stats.imissed : 0);
        json.end_object();
    }
    json.end_array();

    json.key("queues").begin_array();
    for (const RxSlot& slot : view.rx) {
        json.begin_object();
        json.field("port", slot.port);
        json.field("queue", static_cast<unsigned>(slot.queue));
        json.field("packets", slot.counters->packets.read());
        json.field("bytes", slot.counters->bytes.read());
        json.end_object();
    }
    json.end_array();

    json.key("rings").begin_array();
    for (const RingSlot& ring : view.rings) {
        json.begin_object();
        json.field("name", ring.name);
        json.field("used", static_cast<unsigned>(rte_ring_count(ring.ring)));
        json.field("capacity", static_cast<unsigned>(rte_ring_get_capacity(ring.ring)));
        json.end_object();
    }
    json.end_array();

    fanout_json(json, view.fanout_mode, view.receiver_share);

    json.key("workers").begin_array();
    for (size_t w = 0; w < view.workers.size(); ++w) {
        const WorkerCounters& block = *view.workers[w];
        json.begin_object();
        json.field("worker", static_cast<uint64_t>(w));
        json.field("packets", block.packets.read());
        json.field("flow_entries", block.flow_entries.read());
        json.field("flow_capacity", static_cast<uint64_t>(view.flow_capacity));
        json.field("flows_created", block.flows_created.read());
        json.field("busy_ratio", w < busy_ratios.size() ? busy_ratios[w] : 0.0);
        json.field("records_dropped", block.records_dropped.read());
        json.field("classifier_state_bytes", block.classifier_state_bytes.read());
        json.end_object();
    }
    json.end_array();
    json.field("apps_known", static_cast<uint64_t>(view.catalog->known()));
    json.end_object();
    return json.str();
}

std::string apps_json(const StatsView& view, const Totals& totals) {
    uint64_t all_bytes = 0;
    uint64_t all_packets = 0;
    uint64_t all_flows = 0;
    for (const AppTotals& app : totals.apps) {
        all_bytes += app.bytes[0] + app.bytes[1];
        all_packets += app.packets[0] + app.packets[1];
        all_flows += app.flows;
    }
    JsonWriter json;
    json.begin_object();
    json.key("apps").begin_array();
    for (const AppTotals& app : totals.apps) {
        const AppInfo& info = view.catalog->app(app.app);
        const uint64_t bytes = app.bytes[0] + app.bytes[1];
        json.begin_object();
        json.field("app", info.name);
        json.field("category", info.category);
        json.field("flows", app.flows);
        json.field("active_flows", app.active_flows);
        json.key("packets").begin_object();
        for (const auto& [direction, name] : kDirectionNames)
            json.field(name, app.packets[index_of(direction)]);
        json.end_object();
        json.key("bytes").begin_object();
        for (const auto& [direction, name] : kDirectionNames)
            json.field(name, app.bytes[index_of(direction)]);
        json.end_object();
        json.field("share", all_bytes == 0
                                ? 0.0
                                : static_cast<double>(bytes) / static_cast<double>(all_bytes));
        json.end_object();
    }
    json.end_array();
    json.key("total").begin_object();
    json.field("flows", all_flows).field("packets", all_packets).field("bytes", all_bytes);
    json.end_object();
    json.end_object();
    return json.str();
}

std::string flows_json(const StatsView& view, std::span<const TopFlow> flows, uint32_t top,
                       uint64_t table_flows, bool complete) {
    JsonWriter json;
    json.begin_object();
    json.field("top", top);
    json.field("complete", complete);
    json.field("active_flows", table_flows);
    json.key("flows").begin_array();
    for (const TopFlow& flow : flows) {
        // The same fields as a flow record, minus the end reason (the flow is still going).
        FlowRecord record;
        record.summary = flow.entry.summary;
        std::string object =
            format_flow_record(record, *view.catalog, view.classifier_names, view.zone_names);
        const auto end_reason = object.rfind(",\"end_reason\":");
        object.resize(end_reason);
        object += fmt::format(",\"worker\":{},\"classified\":{}}}", flow.worker,
                              flow.entry.classified ? "true" : "false");
        json.raw(object);
    }
    json.end_array();
    json.end_object();
    return json.str();
}

std::string reload_json(const ReloadReport& report) {
    JsonWriter json;
    json.begin_object();
    reload_fields(json, report);
    json.end_object();
    return json.str();
}

}  // namespace ottscope
