#include "metrics_exposition.h"

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <sstream>

#include "classifiers/registry.h"
#include "control/keylog_store.h"
#include "dataplane/stream_events.h"

namespace ottscope {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily family(std::string name, std::string help, MetricType type) {
    MetricFamily f;
    f.name = std::move(name);
    f.help = std::move(help);
    f.type = type;
    return f;
}

void add_sample(MetricFamily& f, std::vector<ClientMetric::Label> labels, double value) {
    ClientMetric metric;
    metric.label = std::move(labels);
    if (f.type == MetricType::Counter)
        metric.counter.value = value;
    else
        metric.gauge.value = value;
    f.metric.push_back(std::move(metric));
}

double as_double(uint64_t value) {
    return static_cast<double>(value);
}

// Where finished flows' records went: every record a worker produced is written by a sink or
// dropped under a (sink, reason), so a stuck reader or a full disk shows here at once.
void render_record_sinks(const StatsView& view,
                         const std::vector<std::shared_ptr<const ExportStats>>& exports,
                         std::vector<MetricFamily>& families) {
    auto dropped = family("ottscope_flow_records_dropped_total",
                          "Flow records lost, by sink (ring: the worker's record ring was full, "
                          "for every sink; ipfix: counted in IPFIX data records) and reason.",
                          MetricType::Counter);
    uint64_t ring_full = 0;
    for (const WorkerCounters* worker : view.workers) ring_full += worker->records_dropped.read();
    add_sample(dropped, {{"sink", "ring"}, {"reason", "full"}}, as_double(ring_full));
    if (!exports.empty())
        for (const auto& [reason, name] : kExportDropNames) {
            uint64_t sum = 0;
            for (const auto& stats : exports) sum += stats->dropped[index_of(reason)].load();
            add_sample(dropped, {{"sink", "ipfix"}, {"reason", std::string(name)}}, as_double(sum));
        }
    if (view.jsonl != nullptr) {
        const RecordSinkStats& jsonl = *view.jsonl;
        for (const auto& [reason, name] : kSinkDropNames)
            add_sample(dropped, {{"sink", "jsonl"}, {"reason", std::string(name)}},
                       as_double(jsonl.dropped[index_of(reason)].load()));
        auto written = family("ottscope_flow_records_written_total",
                              "Flow records a sink wrote out whole.", MetricType::Counter);
        add_sample(written, {{"sink", "jsonl"}}, as_double(jsonl.written.load()));
        auto errors = family("ottscope_flow_record_sink_errors_total",
                             "Failed opens and writes of a flow-record output, by cause.",
                             MetricType::Counter);
        for (const auto& [error, name] : kSinkErrorNames)
            add_sample(errors, {{"sink", "jsonl"}, {"reason", std::string(name)}},
                       as_double(jsonl.errors[index_of(error)].load()));
        auto open = family("ottscope_flow_record_sink_open",
                           "1 while the flow-record output is open (a FIFO has a reader).",
                           MetricType::Gauge);
        add_sample(open, {{"sink", "jsonl"}}, jsonl.open.load() ? 1 : 0);
        auto backlog = family("ottscope_flow_record_sink_backlog_bytes",
                              "Bytes of flow records waiting for the output.", MetricType::Gauge);
        add_sample(backlog, {{"sink", "jsonl"}}, as_double(jsonl.backlog_bytes.load()));
        families.push_back(std::move(written));
        families.push_back(std::move(errors));
        families.push_back(std::move(open));
        families.push_back(std::move(backlog));
    }
    families.push_back(std::move(dropped));
}

// Every registered classifier's families, from its declarations: each sample is the sum over
// workers of the counter at its label indexes; label values are the declared enum names (or
// the app's name for per-app labels).
void render_classifier_family(const StatsView& view, const AppCatalog& catalog, size_t classifier,
                              size_t metric, std::vector<MetricFamily>& families) {
    const MetricDeclaration& declaration = classifier_registry()[classifier]->metrics[metric];
    auto f =
        family(std::string(declaration.name), std::string(declaration.help),
               declaration.kind == MetricKind::counter ? MetricType::Counter : MetricType::Gauge);
    const size_t first_size =
        declaration.label_count > 0 ? declaration.labels[0].size(kMaxApps) : 1;
    const size_t second_size =
        declaration.label_count > 1 ? declaration.labels[1].size(kMaxApps) : 1;
    auto label_value = [&](const LabelDeclaration& label, size_t index) {
        return label.by_app ? catalog.app(static_cast<uint16_t>(index)).name
                            : std::string(label.values[index]);
    };
    for (size_t a = 0; a < first_size; ++a)
        for (size_t b = 0; b < second_size; ++b) {
            uint64_t sum = 0;
            for (const WorkerCounters* worker : view.workers)
                if (classifier < worker->classifiers.size())
                    sum += worker->classifiers[classifier]->at(metric, a, b).read();
            if (sum == 0 && declaration.omit_zero) continue;
            std::vector<ClientMetric::Label> labels;
            if (declaration.label_count > 0)
                labels.push_back({std::string(declaration.labels[0].name),
                                  label_value(declaration.labels[0], a)});
            if (declaration.label_count > 1)
                labels.push_back({std::string(declaration.labels[1].name),
                                  label_value(declaration.labels[1], b)});
            add_sample(f, std::move(labels), as_double(sum));
        }
    families.push_back(std::move(f));
}

void render_classifiers(const StatsView& view, const AppCatalog& catalog,
                        std::vector<MetricFamily>& families) {
    const auto registry = classifier_registry();
    for (size_t c = 0; c < registry.size(); ++c)
        for (size_t m = 0; m < registry[c]->metrics.size(); ++m) {
            const std::string_view option = registry[c]->metrics[m].shown_with_option;
            if (!option.empty() && view.option_set && !view.option_set(c, option)) continue;
            render_classifier_family(view, catalog, c, m, families);
        }
}

// The TLS key log as last read (a control-side store): only when a key log is configured.
void render_keylog(const StatsView& view, std::vector<MetricFamily>& families) {
    if (view.keylog == nullptr || !view.keylog->configured()) return;
    auto sessions =
        family("ottscope_tls_keylog_sessions",
               "Sessions with secrets in the TLS key log as last read.", MetricType::Gauge);
    add_sample(sessions, {}, as_double(view.keylog->sessions()));
    families.push_back(std::move(sessions));
    auto malformed =
        family("ottscope_tls_keylog_malformed_lines",
               "Lines of the TLS key log skipped as malformed, as last read.", MetricType::Gauge);
    add_sample(malformed, {}, as_double(view.keylog->malformed_lines()));
    families.push_back(std::move(malformed));
}

// Per app: packets and bytes by direction, flows, active flows.
void render_apps(const StatsView& view, const Totals& totals, std::vector<MetricFamily>& families) {
    const AppCatalog& catalog = *view.catalog;
    auto packets =
        family("ottscope_app_packets_total", "Packets per app and direction.", MetricType::Counter);
    auto bytes = family("ottscope_app_bytes_total", "Bytes (frame length) per app and direction.",
                        MetricType::Counter);
    auto flows =
        family("ottscope_app_flows_total", "Flows classified per app.", MetricType::Counter);
    auto active = family("ottscope_app_active_flows", "Classified flows now in the flow tables.",
                         MetricType::Gauge);
    for (const AppTotals& app : totals.apps) {
        const AppInfo& info = catalog.app(app.app);
        for (const auto& [direction, name] : kDirectionNames) {
            const size_t d = index_of(direction);
            add_sample(
                packets,
                {{"app", info.name}, {"category", info.category}, {"direction", std::string(name)}},
                as_double(app.packets[d]));
            add_sample(
                bytes,
                {{"app", info.name}, {"category", info.category}, {"direction", std::string(name)}},
                as_double(app.bytes[d]));
        }
        add_sample(flows, {{"app", info.name}, {"category", info.category}}, as_double(app.flows));
        add_sample(active, {{"app", info.name}}, as_double(app.active_flows));
    }
    families.push_back(std::move(packets));
    families.push_back(std::move(bytes));
    families.push_back(std::move(flows));
    families.push_back(std::move(active));
}

// Decided flows by deciding classifier, app and confidence.
void render_verdicts(const StatsView& view, const Totals& totals,
                     std::vector<MetricFamily>& families) {
    const AppCatalog& catalog = *view.catalog;
    auto verdicts = family("ottscope_classifier_verdicts_total",
                           "Decided flows by the classifier that named the app and its confidence.",
                           MetricType::Counter);
    for (const AppTotals& app : totals.apps) {
        const AppInfo& info = catalog.app(app.app);
        for (size_t slot = 0; slot < app.verdicts.size(); ++slot) {
            if (app.verdicts[slot] == 0) continue;
            const size_t classifier = slot / kConfidenceLevels;
            const auto confidence = static_cast<Confidence>(slot % kConfidenceLevels);
            add_sample(verdicts,
                       {{"classifier", classifier < view.classifier_names.size()
                                           ? view.classifier_names[classifier]
                                           : std::string("none")},
                        {"app", info.name},
                        {"confidence", std::string(confidence_name(confidence))}},
                       as_double(app.verdicts[slot]));
        }
    }
    families.push_back(std::move(verdicts));
}

// What the packet path received, and what it could not count under an app.
void render_packet_path(const StatsView& view, const Totals& totals,
                        std::vector<MetricFamily>& families) {
    auto rx = family("ottscope_rx_packets_total", "Packets received per port and queue.",
                     MetricType::Counter);
    for (const RxSlot& slot : view.rx)
        add_sample(rx, {{"port", slot.port}, {"queue", std::to_string(slot.queue)}},
                   as_double(slot.counters->packets.read()));
    families.push_back(std::move(rx));

    auto drops = family("ottscope_dropped_packets_total",
                        "Packets not counted under any app, by reason.", MetricType::Counter);
    for (const auto& [reason, name] : kDropReasonNames)
        add_sample(drops, {{"reason", std::string(name)}},
                   as_double(totals.drops[index_of(reason)]));
    families.push_back(std::move(drops));

    auto decode = family("ottscope_decode_errors_total", "Malformed packets, by what was wrong.",
                         MetricType::Counter);
    for (const auto& [error, name] : kDecodeErrorNames)
        add_sample(decode, {{"reason", std::string(name)}},
                   as_double(totals.decode_errors[index_of(error)]));
    families.push_back(std::move(decode));

    auto evictions =
        family("ottscope_flow_evictions_total", "Flows ended, by reason.", MetricType::Counter);
    for (const auto& [end, name] : kFlowEndNames)
        add_sample(evictions, {{"reason", std::string(name)}},
                   as_double(totals.evictions[index_of(end)]));
    families.push_back(std::move(evictions));
}

// Each worker: its flow table, packets, busy share and classifier memory.
void render_workers(const StatsView& view, std::span<const double> busy_ratios,
                    std::vector<MetricFamily>& families) {
    auto entries =
        family("ottscope_flow_table_entries", "Flows in each worker's table.", MetricType::Gauge);
    auto capacity = family("ottscope_flow_table_capacity", "Flows each worker's table can hold.",
                           MetricType::Gauge);
    auto worker_packets = family("ottscope_worker_packets_total", "Packets each worker took in.",
                                 MetricType::Counter);
    auto busy = family("ottscope_worker_busy_ratio",
                       "Share of a worker's cycles spent on packets over the last second.",
                       MetricType::Gauge);
    auto state = family("ottscope_classifier_state_bytes",
                        "Per-flow classifier memory held by each worker.", MetricType::Gauge);
    for (size_t w = 0; w < view.workers.size(); ++w) {
        const WorkerCounters& block = *view.workers[w];
        const std::string worker = std::to_string(w);
        add_sample(entries, {{"worker", worker}}, as_double(block.flow_entries.read()));
        add_sample(capacity, {{"worker", worker}}, as_double(view.flow_capacity));
        add_sample(worker_packets, {{"worker", worker}}, as_double(block.packets.read()));
        add_sample(busy, {{"worker", worker}}, w < busy_ratios.size() ? busy_ratios[w] : 0.0);
        add_sample(state, {{"worker", worker}}, as_double(block.classifier_state_bytes.read()));
    }
    families.push_back(std::move(entries));
    families.push_back(std::move(capacity));
    families.push_back(std::move(worker_packets));
    families.push_back(std::move(busy));
    families.push_back(std::move(state));
}

// Reloads and the rules in force.
void render_reloads(const StatsView& view, const ReloadCounts& reloads,
                    std::vector<MetricFamily>& families) {
    auto reload_total =
        family("ottscope_config_reloads_total",
               "Configuration and rule reloads (SIGHUP, file change, POST /-/reload), by result.",
               MetricType::Counter);
    add_sample(reload_total, {{"result", "success"}}, as_double(reloads.success));
    add_sample(reload_total, {{"result", "failure"}}, as_double(reloads.failure));
    families.push_back(std::move(reload_total));
    auto reload_ok =
        family("ottscope_config_last_reload_success",
               "1 when the last reload (or the start) loaded the configuration without error.",
               MetricType::Gauge);
    add_sample(reload_ok, {}, reloads.last_ok ? 1 : 0);
    families.push_back(std::move(reload_ok));
    auto reload_at =
        family("ottscope_config_last_reload_timestamp_seconds",
               "When the configuration was last (re)loaded, Unix time.", MetricType::Gauge);
    add_sample(reload_at, {}, reloads.last_at_unix);
    families.push_back(std::move(reload_at));

    if (view.reloads != nullptr) {
        auto version = family("ottscope_rules_version",
                              "Version of the rules in force (1 at startup, +1 per good reload).",
                              MetricType::Gauge);
        add_sample(version, {}, as_double(view.reloads->version.load(std::memory_order_relaxed)));
        families.push_back(std::move(version));
    }
}

// TCP stream and IP fragment reassembly.
void render_streams(const StatsView& view, const Totals& totals,
                    std::vector<MetricFamily>& families) {
    auto stream_events =
        family("ottscope_stream_events_total",
               "TCP stream reassembly segments and events, by kind.", MetricType::Counter);
    for (const auto& [event, name] : kStreamEventNames)
        add_sample(stream_events, {{"event", std::string(name)}},
                   as_double(totals.stream_events[index_of(event)]));
    families.push_back(std::move(stream_events));
    auto stream_bytes =
        family("ottscope_stream_delivered_bytes_total",
               "Bytes added to reassembled TCP stream prefixes.", MetricType::Counter);
    add_sample(stream_bytes, {}, as_double(totals.stream_delivered_bytes));
    families.push_back(std::move(stream_bytes));
    auto stream_buffers =
        family("ottscope_stream_buffers_in_use",
               "TCP stream reassembly buffers held by each worker.", MetricType::Gauge);
    for (size_t w = 0; w < view.workers.size(); ++w)
        add_sample(stream_buffers, {{"worker", std::to_string(w)}},
                   as_double(view.workers[w]->stream.buffers_in_use.read()));
    families.push_back(std::move(stream_buffers));

    auto held = family("ottscope_ip_fragments_held",
                       "IP fragments waiting in each worker for the rest of their datagram.",
                       MetricType::Gauge);
    auto reassembled =
        family("ottscope_ip_datagrams_reassembled_total",
               "IP datagrams each worker completed from fragments.", MetricType::Counter);
    for (size_t w = 0; w < view.workers.size(); ++w) {
        const std::string worker = std::to_string(w);
        add_sample(held, {{"worker", worker}}, as_double(view.workers[w]->fragments_held.read()));
        add_sample(reassembled, {{"worker", worker}},
                   as_double(view.workers[w]->datagrams_reassembled.read()));
    }
    families.push_back(std::move(held));
    families.push_back(std::move(reassembled));
}

// Each IPFIX collector: records and messages sent, queued and dropped, connection.
std::vector<std::shared_ptr<const ExportStats>> render_exports(
    const StatsView& view, std::vector<MetricFamily>& families) {
    auto exports =
        view.exports != nullptr ? view.exports->stats() : decltype(view.exports->stats()){};
    if (!exports.empty()) {
        auto sent = family(
            "ottscope_export_records_total",
            "IPFIX data records sent to each collector (two per flow in the unidirectional form).",
            MetricType::Counter);
        auto dropped = family("ottscope_export_dropped_records_total",
                              "IPFIX data records that never reached a collector, by reason.",
                              MetricType::Counter);
        auto messages = family("ottscope_export_messages_total",
                               "IPFIX messages sent to each collector.", MetricType::Counter);
        auto queued = family("ottscope_export_queued_records",
                             "IPFIX data records waiting for a collector.", MetricType::Gauge);
        auto up = family("ottscope_export_collector_up",
                         "1 while the collector's socket is connected.", MetricType::Gauge);
        for (const auto& stats : exports) {
            const std::string& collector = stats->collector;
            add_sample(sent, {{"collector", collector}}, as_double(stats->records.load()));
            add_sample(messages, {{"collector", collector}}, as_double(stats->messages.load()));
            add_sample(queued, {{"collector", collector}}, as_double(stats->queued.load()));
            add_sample(up, {{"collector", collector}}, stats->connected.load() ? 1 : 0);
            for (const auto& [reason, name] : kExportDropNames)
                add_sample(dropped, {{"collector", collector}, {"reason", std::string(name)}},
                           as_double(stats->dropped[index_of(reason)].load()));
        }
        families.push_back(std::move(sent));
        families.push_back(std::move(dropped));
        families.push_back(std::move(messages));
        families.push_back(std::move(queued));
        families.push_back(std::move(up));
    }
    return exports;
}

}  // namespace

std::string render_metrics(const StatsView& view, const Totals& totals,
                           std::span<const double> busy_ratios, const ReloadCounts& reloads) {
    const AppCatalog& catalog = *view.catalog;
    std::vector<MetricFamily> families;
    render_apps(view, totals, families);
    render_verdicts(view, totals, families);
    render_packet_path(view, totals, families);
    render_workers(view, busy_ratios, families);
    render_reloads(view, reloads, families);
    render_streams(view, totals, families);
    const auto exports = render_exports(view, families);
    render_record_sinks(view, exports, families);
    render_classifiers(view, catalog, families);
    render_keylog(view, families);

    auto build =
        family("ottscope_build_info", "Build of the running appliance.", MetricType::Gauge);
    add_sample(build, {{"version", OTTSCOPE_VERSION}}, 1);
    families.push_back(std::move(build));

    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, families);
    return out.str();
}

}  // namespace ottscope
