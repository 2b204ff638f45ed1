#include "run_command.h"

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <memory>
#include <regex>
#include <stdexcept>
#include <thread>

#include "classifiers/app_catalog.h"
#include "classifiers/ndpi/ndpi_classifier.h"
#include "classifiers/registry.h"
#include "config/config.h"
#include "control/flow_record_writer.h"
#include "control/metrics_server.h"
#include "control/stats_view.h"
#include "control/summary.h"
#include "dataplane/capture_file.h"
#include "dataplane/eal.h"
#include "dataplane/fanout.h"
#include "dataplane/ports.h"
#include "dataplane/worker.h"

namespace ottscope {
namespace {

// Set from signal handlers; everything else reaches it through a pointer.
std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int) {
    g_stop.store(true, std::memory_order_relaxed);
}

constexpr unsigned kInputRingSize = 4096;
constexpr unsigned kRecordRingSize = 65536;
constexpr unsigned kBaseMbufs = 32767;
// Memory reserved per mbuf: data room, mbuf and mempool headers, and the slack the DPDK
// allocator needs for one very large pool (measured: 1M mbufs do not fit in 2.7 KiB each).
constexpr size_t kMbufFootprint = 4096;

struct RunError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

unsigned default_workers() {
    const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus > 1 ? static_cast<unsigned>(cpus - 1) : 1;
}

std::string pcap_vdev(size_t index, const std::string& path, bool forever) {
    if (path.find_first_of(",=") != std::string::npos)
        throw RunError(path +
                       ": capture paths with ',' or '=' cannot be passed to the pcap vdev; "
                       "rename or link the file");
    return fmt::format("net_pcap{},rx_pcap={}{}", index, path, forever ? ",infinite_rx=1" : "");
}

// "0000:3b:00.0" or "3b:00.0": a NIC to allow-list; anything else is a vdev argument string.
bool is_pci_address(const std::string& device) {
    static const std::regex pci(R"(^([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$)");
    return std::regex_match(device, pci);
}

std::array<PortView, kMaxPorts> port_views(const std::vector<Port>& ports) {
    std::array<PortView, kMaxPorts> views{};
    for (const Port& port : ports) {
        if (port.id >= kMaxPorts)
            throw RunError("port id " + std::to_string(port.id) + " too large");
        views[port.id] = PortView{port.link, port.zone};
    }
    return views;
}

class Appliance {
public:
    Appliance(const RunOptions& options, Config config)
        : options_(options), config_(std::move(config)) {}
    int run();

private:
    void prepare_captures();
    void build_dataplane();
    void control_loop();
    void drain_records();
    int finish();

    const RunOptions& options_;
    Config config_;
    std::vector<PortConfig> port_configs_;
    std::vector<std::string> damaged_;
    unsigned workers_ = 1;
    bool fanout_needed_ = false;

    rte_mempool* pool_ = nullptr;
    std::vector<Port> ports_;
    NdpiModule catalog_module_;
    std::unique_ptr<AppCatalog> catalog_;
    std::vector<std::unique_ptr<WorkerCounters>> worker_counters_;
    std::unique_ptr<WorkerCounters> fanout_counters_;
    std::vector<std::unique_ptr<RxCounters>> rx_counters_;
    std::vector<rte_ring*> input_rings_;
    std::vector<rte_ring*> record_rings_;
    std::vector<std::unique_ptr<Worker>> worker_objects_;
    std::unique_ptr<Fanout> fanout_;
    std::atomic<bool> fanout_done_{false};
    std::atomic<bool> dataplane_done_{false};
    StatsView view_;
    std::unique_ptr<FlowRecordWriter> writer_;
    std::unique_ptr<MetricsServer> metrics_;
    std::chrono::steady_clock::time_point started_;
};

void Appliance::prepare_captures() {
    for (const PortSettings& settings : config_.ports) {
        if (is_pci_address(settings.device) && !config_.hugepages)
            throw RunError("port " + settings.name + " is the PCI device " + settings.device +
                           ": NIC ports need hugepages (set dataplane.hugepages: true)");
        PortConfig port;
        port.name = settings.name;
        port.device = settings.device;
        port.link = settings.link == "raw-ip" ? LinkType::raw_ip : LinkType::ethernet;
        port.zone = settings.zone;
        port_configs_.push_back(port);
    }
    uint16_t zone = 0;
    for (const PortSettings& settings : config_.ports)
        zone = std::max<uint16_t>(zone, settings.zone + 1);
    for (size_t i = 0; i < options_.pcaps.size(); ++i) {
        CaptureFileError error;
        auto info = inspect_capture_file(options_.pcaps[i], error);
        if (!info) throw RunError(error.message);
        if (!info->damage.empty()) {
            damaged_.push_back(info->path + ": " + info->damage);
            fmt::print(stderr, "ottscope: {}: {}; the packets before it are processed\n",
                       info->path, info->damage);
        }
        PortConfig port;
        port.name = "pcap" + std::to_string(i);
        port.device = pcap_vdev(i, info->path, options_.loop);
        port.link = info->link;
        // Each capture is its own observation point: its flows never merge with another's.
        port.zone = static_cast<uint16_t>(zone + i);
        port.replay_forever = options_.loop;
        port.capture = std::move(*info);
        port_configs_.push_back(std::move(port));
    }
    if (port_configs_.empty())
        throw RunError("nothing to read: give --pcap FILE or ports in the configuration");
    if (port_configs_.size() > std::min<size_t>(RTE_MAX_ETHPORTS, kMaxPorts))
        throw RunError(fmt::format("{} ports or captures given; one run takes at most {}",
                                   port_configs_.size(),
                                   std::min<size_t>(RTE_MAX_ETHPORTS, kMaxPorts)));
}

void Appliance::build_dataplane() {
    workers_ =
        options_.workers.value_or(config_.workers != 0 ? config_.workers : default_workers());
    if (workers_ == 0) throw RunError("--workers must be at least 1");
    fanout_needed_ = workers_ > 1;

    uint64_t replay_packets = 0;
    for (const PortConfig& port : port_configs_)
        if (port.replay_forever && port.capture) replay_packets += port.capture->packets;
    const uint64_t mbufs = kBaseMbufs + replay_packets + workers_ * kInputRingSize;
    EalPlan plan;
    plan.lcores = workers_ + (fanout_needed_ ? 1 : 0);
    plan.hugepages = config_.hugepages;
    // A looping capture is preloaded into mbufs by the pcap PMD: make room for all of it.
    plan.memory_mb = std::max<unsigned>(config_.memory_mb,
                                        static_cast<unsigned>(mbufs * kMbufFootprint / (1 << 20)) +
                                            workers_ * (config_.flow_capacity / 2048 + 64) + 512);
    plan.extra_args = config_.eal_args;
    for (const PortConfig& port : port_configs_) {
        if (!is_pci_address(port.device)) {
            plan.vdevs.push_back(port.device);
        } else {
            plan.extra_args.push_back("-a");
            plan.extra_args.push_back(port.device);
        }
    }
    start_eal(plan);

    pool_ = rte_pktmbuf_pool_create("ottscope_mbufs", static_cast<unsigned>(mbufs), 256, 0,
                                    RTE_MBUF_DEFAULT_BUF_SIZE, static_cast<int>(rte_socket_id()));
    if (pool_ == nullptr)
        throw RunError(
            fmt::format("cannot allocate {} packet buffers: {} (raise dataplane.memory_mb)", mbufs,
                        rte_strerror(rte_errno)));
    ports_ = start_ports(port_configs_, static_cast<uint16_t>(workers_), pool_);

    int timestamp_offset = rte_mbuf_dynfield_lookup(RTE_MBUF_DYNFIELD_TIMESTAMP_NAME, nullptr);
    const int timestamp_bit = rte_mbuf_dynflag_lookup(RTE_MBUF_DYNFLAG_RX_TIMESTAMP_NAME, nullptr);
    const uint64_t timestamp_flag = timestamp_bit >= 0 ? (1ULL << timestamp_bit) : 0;
    if (timestamp_bit < 0) timestamp_offset = -1;

    catalog_module_ = make_ndpi_module();
    catalog_ = std::make_unique<AppCatalog>(catalog_module_.get());

    const auto views = port_views(ports_);
    std::vector<std::vector<RxQueueRef>> worker_queues(workers_);
    std::vector<RxQueueRef> fanout_queues;
    for (const Port& port : ports_) {
        for (uint16_t q = 0; q < port.rx_queues; ++q) {
            rx_counters_.push_back(std::make_unique<RxCounters>());
            RxQueueRef ref{port.id, q, port.finite, port.expected_packets,
                           rx_counters_.back().get()};
            view_.rx.push_back(RxSlot{port.name, port.id, q, rx_counters_.back().get()});
            if (port.rx_queues > 1)
                worker_queues[q].push_back(ref);
            else if (fanout_needed_)
                fanout_queues.push_back(ref);
            else
                worker_queues[0].push_back(ref);
        }
    }

    ClassifierSettings classifier_settings;
    classifier_settings.ndpi.tcp_packet_budget = config_.ndpi_tcp_packet_budget;
    classifier_settings.ndpi.udp_packet_budget = config_.ndpi_udp_packet_budget;

    for (unsigned w = 0; w < workers_; ++w) {
        worker_counters_.push_back(std::make_unique<WorkerCounters>());
        view_.workers.push_back(worker_counters_.back().get());
        WorkerSetup setup;
        setup.index = static_cast<uint16_t>(w);
        setup.queues = worker_queues[w];
        setup.stop = &g_stop;
        setup.ports = views;
        setup.pool = pool_;
        setup.flow_capacity = config_.flow_capacity;
        setup.timeouts =
            FlowTimeouts{.tcp_us = config_.tcp_idle_seconds * 1'000'000ULL,
                         .tcp_embryonic_us = config_.tcp_embryonic_idle_seconds * 1'000'000ULL,
                         .tcp_closing_us = config_.tcp_closing_idle_seconds * 1'000'000ULL,
                         .tcp_closed_us = config_.tcp_closed_linger_seconds * 1'000'000ULL,
                         .udp_us = config_.udp_idle_seconds * 1'000'000ULL,
                         .other_us = config_.other_idle_seconds * 1'000'000ULL};
        setup.classifier_settings = classifier_settings;
        setup.counters = worker_counters_.back().get();
        setup.timestamp_offset = timestamp_offset;
        setup.timestamp_flag = timestamp_flag;
        if (fanout_needed_) {
            rte_ring* ring =
                rte_ring_create(("in_w" + std::to_string(w)).c_str(), kInputRingSize,
                                static_cast<int>(rte_socket_id()), RING_F_SP_ENQ | RING_F_SC_DEQ);
            if (ring == nullptr)
                throw RunError("cannot create worker ring: " +
                               std::string(rte_strerror(rte_errno)));
            input_rings_.push_back(ring);
            setup.input_ring = ring;
            setup.input_done = &fanout_done_;
        }
        if (!options_.flows_out.empty()) {
            rte_ring* ring = rte_ring_create_elem(
                ("rec_w" + std::to_string(w)).c_str(), sizeof(FlowRecord), kRecordRingSize,
                static_cast<int>(rte_socket_id()), RING_F_SP_ENQ | RING_F_SC_DEQ);
            if (ring == nullptr)
                throw RunError("cannot create record ring: " +
                               std::string(rte_strerror(rte_errno)));
            record_rings_.push_back(ring);
            setup.record_ring = ring;
        }
        worker_objects_.push_back(std::make_unique<Worker>(std::move(setup)));
    }
    if (fanout_needed_) {
        fanout_counters_ = std::make_unique<WorkerCounters>();
        view_.fanout = fanout_counters_.get();
        FanoutSetup setup;
        setup.queues = fanout_queues;
        setup.worker_rings = input_rings_;
        setup.ports = views;
        setup.pool = pool_;
        setup.stop = &g_stop;
        setup.done = &fanout_done_;
        setup.counters = fanout_counters_.get();
        fanout_ = std::make_unique<Fanout>(std::move(setup));
    }
    view_.ports = ports_;
    view_.catalog = catalog_.get();
    for (const ClassifierEntry& entry : classifier_registry())
        view_.classifier_names.emplace_back(entry.name);
}

void Appliance::drain_records() {
    FlowRecord records[64];
    for (rte_ring* ring : record_rings_) {
        unsigned n = 0;
        while ((n = rte_ring_dequeue_burst_elem(ring, records, sizeof(FlowRecord), 64, nullptr)) !=
               0)
            for (unsigned i = 0; i < n; ++i) writer_->write(records[i]);
    }
}

void Appliance::control_loop() {
    auto last_progress = std::chrono::steady_clock::now();
    uint64_t expected = 0;
    for (const Port& port : ports_) expected += port.expected_packets;
    while (!dataplane_done_.load(std::memory_order_acquire)) {
        if (writer_) drain_records();
        const auto now = std::chrono::steady_clock::now();
        if (options_.duration_seconds > 0 &&
            now - started_ > std::chrono::duration<double>(options_.duration_seconds))
            g_stop.store(true);
        if (options_.progress && now - last_progress > std::chrono::seconds(1)) {
            uint64_t received = 0;
            for (const RxSlot& slot : view_.rx) received += slot.counters->packets.read();
            const double seconds = std::chrono::duration<double>(now - started_).count();
            fmt::print(stderr, "\rottscope: {} packets, {:.0f} pkt/s{}", received,
                       received / seconds,
                       expected != 0 && !options_.loop
                           ? fmt::format(", {:.1f}% of the captures", 100.0 * received / expected)
                           : std::string());
            last_progress = now;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (writer_) drain_records();
    if (options_.progress) fmt::print(stderr, "\n");
}

int Appliance::finish() {
    int status = 0;
    if (writer_ && !writer_->close()) {
        fmt::print(stderr, "ottscope: writing flow records to {} failed: {}\n", options_.flows_out,
                   writer_->error());
        status = 1;
    }
    Totals totals = sum_totals(view_);
    // Packets a capture holds but its port never delivered: counted, so nothing goes missing.
    for (const Port& port : ports_) {
        if (!port.finite || g_stop.load()) continue;
        uint64_t delivered = 0;
        for (const RxSlot& slot : view_.rx)
            if (slot.port_id == port.id) delivered += slot.counters->packets.read();
        rte_eth_stats stats{};
        rte_eth_stats_get(port.id, &stats);
        if (delivered + stats.rx_nombuf < port.expected_packets) {
            const uint64_t missing = port.expected_packets - delivered - stats.rx_nombuf;
            fmt::print(stderr, "ottscope: port {}: {} packets of the capture were not delivered\n",
                       port.name, missing);
            totals.drops[index_of(DropReason::rx_error)] += missing;
            totals.received += missing;
            totals.counted += missing;
            status = 1;
        }
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    print_app_table(stdout, totals, *catalog_);
    uint64_t bytes = 0;
    for (const RxSlot& slot : view_.rx) bytes += slot.counters->bytes.read();
    fmt::print(
        "processed {} packets ({} bytes) in {:.3f} s with {} worker{}: {:.0f} pkt/s, {:.3f} Gb/s\n",
        totals.received, bytes, seconds, workers_, workers_ == 1 ? "" : "s",
        totals.received / seconds, bytes * 8.0 / seconds / 1e9);
    if (!print_conservation(stdout, totals)) status = 1;
    if (!damaged_.empty()) status = 1;
    std::fflush(stdout);
    return status;
}

int Appliance::run() {
    prepare_captures();
    build_dataplane();
    if (!options_.flows_out.empty()) {
        std::vector<std::string> zone_names;
        for (const Port& port : ports_) {
            if (zone_names.size() <= port.zone) zone_names.resize(port.zone + 1);
            if (zone_names[port.zone].empty()) zone_names[port.zone] = port.name;
        }
        writer_ = std::make_unique<FlowRecordWriter>(options_.flows_out, *catalog_,
                                                     view_.classifier_names, std::move(zone_names));
    }
    metrics_ = std::make_unique<MetricsServer>(
        options_.metrics_listen.value_or(config_.metrics_listen), view_);
    fmt::print(stderr, "ottscope: {} worker{} on {} port{}; metrics on http://{}/metrics\n",
               workers_, workers_ == 1 ? "" : "s", ports_.size(), ports_.size() == 1 ? "" : "s",
               options_.metrics_listen.value_or(config_.metrics_listen));

    started_ = std::chrono::steady_clock::now();
    std::thread control([this] { control_loop(); });

    // The main lcore takes the first role (the fan-out when there is one), the others the rest.
    std::vector<std::pair<lcore_function_t*, void*>> roles;
    if (fanout_) roles.emplace_back(&Fanout::launch, fanout_.get());
    for (auto& worker : worker_objects_) roles.emplace_back(&Worker::launch, worker.get());
    size_t next = 1;
    unsigned lcore = 0;
    RTE_LCORE_FOREACH_WORKER(lcore) {
        if (next == roles.size()) break;
        rte_eal_remote_launch(roles[next].first, roles[next].second, lcore);
        ++next;
    }
    if (next != roles.size()) {
        g_stop.store(true);
        fmt::print(stderr, "ottscope: only {} lcores for {} roles\n", next, roles.size());
    }
    roles[0].first(roles[0].second);
    rte_eal_mp_wait_lcore();
    for (const auto& worker : worker_objects_)
        if (!worker->finished()) throw RunError("a worker lcore ended without finishing");
    if (fanout_ && !fanout_->finished())
        throw RunError("the fan-out lcore ended without finishing");
    dataplane_done_.store(true, std::memory_order_release);
    control.join();

    const int status = finish();
    if (options_.linger && !g_stop.load()) {
        fmt::print(stderr, "ottscope: captures done; serving metrics until SIGTERM or Ctrl-C\n");
        while (!g_stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    // CivetWeb's orderly stop waits out its listener's poll timeout (two seconds); the process
    // is about to exit and the kernel closes the socket, so the server is left to the exit.
    metrics_->detach_from_dataplane();
    static_cast<void>(metrics_.release());
    worker_objects_.clear();
    fanout_.reset();
    stop_ports(ports_);
    return status;
}

}  // namespace

int run_appliance(const RunOptions& options) {
    Config config = default_config();
    if (!options.config_path.empty()) {
        ConfigResult loaded = load_config(options.config_path);
        if (!loaded.ok()) {
            for (const std::string& error : loaded.errors) fmt::print(stderr, "{}\n", error);
            return 1;
        }
        config = std::move(loaded.config);
    }
    if (options.pcaps.empty() && config.ports.empty()) {
        fmt::print(stderr,
                   "ottscope: nothing to read: give --pcap FILE or ports in the configuration\n");
        return 1;
    }
    std::signal(SIGINT, on_stop_signal);
    std::signal(SIGTERM, on_stop_signal);
    try {
        Appliance appliance(options, std::move(config));
        return appliance.run();
    } catch (const std::exception& e) {
        fmt::print(stderr, "ottscope: {}\n", e.what());
        return 1;
    }
}

}  // namespace ottscope
