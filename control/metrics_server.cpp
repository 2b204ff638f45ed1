#include "metrics_server.h"

#include <CivetServer.h>
#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <mutex>
#include <sstream>
#include <stdexcept>

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

// CivetWeb splits "host:port" differently from what operators type for IPv6; accept both
// "127.0.0.1:9464" and "[::1]:9464" and hand CivetWeb its own spelling.
std::string civetweb_listen(const std::string& listen) {
    if (!listen.empty() && listen.front() == '[') {
        const auto close = listen.find(']');
        if (close != std::string::npos && close + 1 < listen.size() && listen[close + 1] == ':')
            return listen.substr(0, close + 1) + ":" + listen.substr(close + 2);
    }
    return listen;
}

}  // namespace

struct MetricsServer::Impl {
    const StatsView& view;
    std::unique_ptr<CivetServer> server;
    struct MetricsHandler : CivetHandler {
        const MetricsServer* owner = nullptr;
        bool handleGet(CivetServer*, mg_connection* connection) override {
            const std::string body = owner->render();
            mg_printf(
                connection,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                body.size());
            mg_write(connection, body.data(), body.size());
            return true;
        }
    } metrics_handler;
    struct HealthHandler : CivetHandler {
        bool handleGet(CivetServer*, mg_connection* connection) override {
            static constexpr char kBody[] = "ok\n";
            mg_printf(connection,
                      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                      "Connection: close\r\n\r\n%s",
                      sizeof(kBody) - 1, kBody);
            return true;
        }
    } health_handler;
    // Scrapes can come in parallel; the busy-ratio deltas need one at a time.
    mutable std::mutex scrape_mutex;
    mutable std::vector<std::pair<uint64_t, uint64_t>> last_cycles;
    bool detached = false;  // guarded by scrape_mutex

    explicit Impl(const StatsView& v) : view(v) {}
};

MetricsServer::MetricsServer(const std::string& listen, const StatsView& view)
    : impl_(std::make_unique<Impl>(view)) {
    impl_->metrics_handler.owner = this;
    impl_->last_cycles.assign(view.workers.size(), {0, 0});
    const std::vector<std::string> options = {"listening_ports", civetweb_listen(listen),
                                              "num_threads", "2"};
    try {
        impl_->server = std::make_unique<CivetServer>(options);
    } catch (const std::exception& e) {
        throw std::runtime_error("cannot serve metrics on " + listen + ": " + e.what());
    }
    impl_->server->addHandler("/metrics", impl_->metrics_handler);
    impl_->server->addHandler("/healthz", impl_->health_handler);
}

MetricsServer::~MetricsServer() {
    if (impl_->server) impl_->server->close();
}

void MetricsServer::detach_from_dataplane() {
    std::lock_guard lock(impl_->scrape_mutex);
    impl_->detached = true;
}

std::string MetricsServer::render() const {
    std::lock_guard lock(impl_->scrape_mutex);
    if (impl_->detached) return {};
    const StatsView& view = impl_->view;
    const Totals totals = sum_totals(view);
    const AppCatalog& catalog = *view.catalog;
    std::vector<MetricFamily> families;

    auto packets =
        family("ottscope_app_packets_total", "Packets per app and direction.", MetricType::Counter);
    auto bytes = family("ottscope_app_bytes_total", "Bytes (frame length) per app and direction.",
                        MetricType::Counter);
    auto flows =
        family("ottscope_app_flows_total", "Flows classified per app.", MetricType::Counter);
    auto active = family("ottscope_app_active_flows", "Classified flows now in the flow tables.",
                         MetricType::Gauge);
    static constexpr const char* kDirections[2] = {"c2s", "s2c"};
    for (const AppTotals& app : totals.apps) {
        const AppInfo& info = catalog.app(app.app);
        for (int d = 0; d < 2; ++d) {
            add_sample(
                packets,
                {{"app", info.name}, {"category", info.category}, {"direction", kDirections[d]}},
                static_cast<double>(app.packets[d]));
            add_sample(
                bytes,
                {{"app", info.name}, {"category", info.category}, {"direction", kDirections[d]}},
                static_cast<double>(app.bytes[d]));
        }
        add_sample(flows, {{"app", info.name}, {"category", info.category}},
                   static_cast<double>(app.flows));
        add_sample(active, {{"app", info.name}}, static_cast<double>(app.active_flows));
    }
    families.push_back(std::move(packets));
    families.push_back(std::move(bytes));
    families.push_back(std::move(flows));
    families.push_back(std::move(active));

    auto rx = family("ottscope_rx_packets_total", "Packets received per port and queue.",
                     MetricType::Counter);
    for (const RxSlot& slot : view.rx)
        add_sample(rx, {{"port", slot.port}, {"queue", std::to_string(slot.queue)}},
                   static_cast<double>(slot.counters->packets.read()));
    families.push_back(std::move(rx));

    auto drops = family("ottscope_dropped_packets_total",
                        "Packets not counted under any app, by reason.", MetricType::Counter);
    for (size_t i = 0; i < totals.drops.size(); ++i)
        add_sample(drops, {{"reason", std::string(kDropReasonNames[i])}},
                   static_cast<double>(totals.drops[i]));
    families.push_back(std::move(drops));

    auto decode = family("ottscope_decode_errors_total", "Malformed packets, by what was wrong.",
                         MetricType::Counter);
    for (size_t i = 0; i < totals.decode_errors.size(); ++i)
        add_sample(decode, {{"reason", std::string(kDecodeErrorNames[i])}},
                   static_cast<double>(totals.decode_errors[i]));
    families.push_back(std::move(decode));

    auto evictions =
        family("ottscope_flow_evictions_total", "Flows ended, by reason.", MetricType::Counter);
    for (size_t i = 0; i < totals.evictions.size(); ++i)
        add_sample(evictions, {{"reason", std::string(kEvictionReasonNames[i])}},
                   static_cast<double>(totals.evictions[i]));
    families.push_back(std::move(evictions));

    auto entries =
        family("ottscope_flow_table_entries", "Flows in each worker's table.", MetricType::Gauge);
    auto busy = family("ottscope_worker_busy_ratio",
                       "Share of a worker's cycles spent on packets since the last scrape.",
                       MetricType::Gauge);
    auto state = family("ottscope_classifier_state_bytes",
                        "Per-flow classifier memory held by each worker.", MetricType::Gauge);
    // IP reassembly (decoder area)
    auto held = family("ottscope_ip_fragments_held",
                       "IP fragments waiting in each worker for the rest of their datagram.",
                       MetricType::Gauge);
    auto reassembled =
        family("ottscope_ip_datagrams_reassembled_total",
               "IP datagrams each worker completed from fragments.", MetricType::Counter);
    for (size_t w = 0; w < view.workers.size(); ++w) {
        const WorkerCounters& block = *view.workers[w];
        const std::string worker = std::to_string(w);
        add_sample(entries, {{"worker", worker}}, static_cast<double>(block.flow_entries.read()));
        const uint64_t busy_now = block.busy_cycles.read();
        const uint64_t total_now = block.total_cycles.read();
        auto& [busy_before, total_before] = impl_->last_cycles[w];
        const uint64_t total_delta = total_now - total_before;
        add_sample(busy, {{"worker", worker}},
                   total_delta == 0 ? 0.0
                                    : static_cast<double>(busy_now - busy_before) /
                                          static_cast<double>(total_delta));
        busy_before = busy_now;
        total_before = total_now;
        add_sample(state, {{"worker", worker}},
                   static_cast<double>(block.classifier_state_bytes.read()));
        add_sample(held, {{"worker", worker}}, static_cast<double>(block.fragments_held.read()));
        add_sample(reassembled, {{"worker", worker}},
                   static_cast<double>(block.datagrams_reassembled.read()));
    }
    families.push_back(std::move(entries));
    families.push_back(std::move(busy));
    families.push_back(std::move(state));
    families.push_back(std::move(held));
    families.push_back(std::move(reassembled));

    auto build =
        family("ottscope_build_info", "Build of the running appliance.", MetricType::Gauge);
    add_sample(build, {{"version", OTTSCOPE_VERSION}}, 1);
    families.push_back(std::move(build));

    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, families);
    return out.str();
}

}  // namespace ottscope
