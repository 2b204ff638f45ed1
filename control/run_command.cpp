#include "run_command.h"

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ip_frag.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <regex>
#include <stdexcept>
#include <thread>

#include "classifiers/app_catalog.h"
#include "classifiers/ndpi/ndpi_classifier.h"
#include "classifiers/ndpi/ndpi_module_stock.h"
#include "classifiers/registry.h"
#include "classifiers/tls/tls_classifier.h"
#include "config/config.h"
#include "config/listen_address.h"
#include "config/memory_estimate.h"
#include "control/control_server.h"
#include "control/flow_record_writer.h"
#include "control/ipfix_export_set.h"
#include "control/jsonl_sink.h"
#include "control/keylog_store.h"
#include "control/rate_limited_log.h"
#include "control/record_drain.h"
#include "control/rule_reloader.h"
#include "control/startup/plan.h"
#include "control/stats_view.h"
#include "control/summary.h"
#include "dataplane/capture_counter.h"
#include "dataplane/capture_file.h"
#include "dataplane/eal.h"
#include "dataplane/fanout.h"
#include "dataplane/generation_publisher.h"
#include "dataplane/ports.h"
#include "dataplane/rx_poller.h"
#include "dataplane/worker.h"

namespace ottscope {
namespace {

// Set from signal handlers; everything else reaches it through a pointer.
std::atomic<bool> g_stop{false};
std::atomic<bool> g_reload{false};
// What a finished run leaves to the process exit, reachable on purpose through a volatile
// store the compiler cannot drop, so leak checkers see it left, not leaked:
// - the control server, still running: CivetWeb's orderly stop waits out its listener's poll
//   timeout (two seconds), and the kernel closes the socket at exit anyway;
// - the workers and the catalog's nDPI module, for memory the exit returns at once: freeing
//   an nDPI module's automata and trees takes 3-4 ms, and rte_hash_free zeroes every byte
//   of a flow table's hash (DPDK keeps freed memory clean), faulting in the pages a mostly
//   empty table never touched: 70 ms for the default million-flow table, per worker.
// - a flow-record sink whose writer is stuck in a system call (a hung file system).
struct LeftToExit {
    std::unique_ptr<ControlServer> control_server;
    std::vector<std::unique_ptr<Worker>> workers;
    NdpiModule catalog_module;
    std::unique_ptr<JsonLinesSink> stuck_sink;
};
LeftToExit* volatile g_left_to_exit = nullptr;

extern "C" void on_stop_signal(int) {
    g_stop.store(true, std::memory_order_relaxed);
}

extern "C" void on_reload_signal(int) {
    g_reload.store(true, std::memory_order_relaxed);
}

bool stop_requested() {
    return g_stop.load(std::memory_order_relaxed);
}

// Without SA_RESTART: a thread blocked in a system call when a stop signal arrives returns
// with EINTR instead of sleeping on, so a stop is never held up by an output that does not
// move. SIGPIPE is ignored: a FIFO reader that goes away is a write error (EPIPE), counted.
void install_signal_handlers() {
    struct sigaction action {};
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    action.sa_handler = on_stop_signal;
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    action.sa_handler = on_reload_signal;
    sigaction(SIGHUP, &action, nullptr);
    action.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &action, nullptr);
}

// How often the reload thread looks for changed configuration, rule or key-log files.
constexpr auto kReloadPollInterval = std::chrono::seconds(1);
// Grace for flow records still queued at the end of a run: generous when the capture ended
// (a collector or reader may be slow), short after a stop signal, which must end the run
// within a second.
constexpr auto kSinkGrace = std::chrono::seconds(10);
constexpr auto kSinkGraceAfterStop = std::chrono::milliseconds(300);

// Until when sinks may still send what they hold, the same rule for every sink.
std::chrono::steady_clock::time_point sink_deadline() {
    return std::chrono::steady_clock::now() +
           (g_stop.load(std::memory_order_relaxed)
                ? std::chrono::steady_clock::duration(kSinkGraceAfterStop)
                : std::chrono::steady_clock::duration(kSinkGrace));
}
std::array<PortView, kMaxPorts> port_views(const std::vector<Port>& ports) {
    std::array<PortView, kMaxPorts> views{};
    for (const Port& port : ports) {
        if (port.id >= kMaxPorts)
            throw StartupError("port id " + std::to_string(port.id) + " too large");
        views[port.id] = PortView{port.link, port.zone};
    }
    return views;
}

class Appliance {
public:
    ClassifierSettings classifier_settings_of(const Config& config) {
        ClassifierSettings settings;
        settings.ndpi.tcp_packet_budget = config.ndpi_tcp_packet_budget;
        settings.ndpi.udp_packet_budget = config.ndpi_udp_packet_budget;
        settings.ndpi.protocols_file = config.ndpi_protocols_file;
        settings.catalog = catalog_.get();
        settings.tls_keylog = keylogs_.snapshot(keylog_path(config));
        settings.ndpi.state_from_first_payload = !without("ndpi-lazy-state");
        settings.tls_certificate_cache = !without("certificate-cache");
        return settings;
    }
    [[nodiscard]] bool without(std::string_view optimisation) const {
        return std::find(options_.without.begin(), options_.without.end(), optimisation) !=
               options_.without.end();
    }
    // The command line's --tls-keylog wins over the configuration, on reloads too.
    std::string keylog_path(const Config& config) const {
        return options_.tls_keylog ? *options_.tls_keylog : config.tls_keylog_file;
    }

    Appliance(const RunOptions& options, Config config)
        : options_(options), config_(std::move(config)) {}
    ~Appliance();
    Appliance(const Appliance&) = delete;
    Appliance& operator=(const Appliance&) = delete;
    int run();
    // False when a reload was still running at the end: then this object is left to the exit.
    [[nodiscard]] bool reloads_settled() const noexcept { return reloads_settled_; }

private:
    void order_ndpi_modules();
    std::string prepare_generation(const Config& config, Generation& generation);
    void prepare_captures();
    void note_capture_damage(const std::vector<CaptureFileInfo>& captures);
    void build_dataplane();
    void control_loop();
    void reload_loop();
    void show_progress(bool last);
    [[nodiscard]] std::string fanout_note() const;
    void start_exporters();
    void start_record_drain();
    int finish_sinks();
    void finish_exporters();
    int finish();

    const RunOptions& options_;
    Config config_;
    std::vector<PortConfig> port_configs_;
    std::vector<std::string> damaged_;
    // Outlives the ports and workers that read its counts.
    std::unique_ptr<CaptureCounter> capture_counter_;
    unsigned workers_ = 1;
    // Who reads single-queue ports: chosen before the EAL starts (a dedicated fan-out needs
    // an lcore), in use once the ports turn out to include one.
    FanoutMode fanout_mode_ = FanoutMode::receiver;
    bool fanout_used_ = false;

    rte_mempool* pool_ = nullptr;
    std::vector<Port> ports_;
    // The catalog's and each worker's nDPI module, ordered before DPDK starts.
    std::unique_ptr<NdpiModuleStock> ndpi_modules_;
    NdpiModule catalog_module_;
    std::unique_ptr<AppCatalog> catalog_;
    std::unique_ptr<GenerationPublisher> publisher_;
    // nDPI modules built by reloads (a changed protocols file), one per worker: those of the
    // generation in force, and every one still in use by flows that started on it, freed here
    // (on the reload thread) once their worker marked them drained.
    std::string ndpi_stamp_;
    std::string pending_ndpi_stamp_;  // of the modules prepared, until they are published
    std::vector<std::shared_ptr<NdpiGeneration>> ndpi_in_force_;
    std::vector<std::shared_ptr<NdpiGeneration>> ndpi_retiring_;
    std::unique_ptr<RuleReloader> reloader_;
    KeyLogStore keylogs_;
    std::vector<std::unique_ptr<WorkerCounters>> worker_counters_;
    std::vector<std::unique_ptr<FlowSnapshotMailbox>> top_flows_;
    std::unique_ptr<WorkerCounters> fanout_counters_;
    std::vector<std::unique_ptr<RxCounters>> rx_counters_;
    std::vector<rte_ring*> input_rings_;
    std::vector<rte_ring*> record_rings_;
    std::vector<std::unique_ptr<Worker>> worker_objects_;
    std::unique_ptr<Fanout> fanout_;
    std::atomic<bool> fanout_done_{false};  // the receiver (worker 0 or fan-out) sends no more
    std::atomic<bool> dataplane_done_{false};
    StatsView view_;
    std::unique_ptr<JsonLinesSink> jsonl_;
    std::unique_ptr<IpfixExportSet> exports_;
    std::unique_ptr<RecordDrain> drain_;
    // Reloads run on a thread of their own: a slow one (a large rules file, a key log that
    // grew) holds up neither the record drain, nor the stop, nor progress and --duration.
    std::thread reload_thread_;
    std::mutex reload_wake_mutex_;
    std::condition_variable reload_wake_;
    std::atomic<bool> reload_thread_done_{false};
    bool sink_stuck_ = false;
    bool reloads_settled_ = true;
    std::unique_ptr<ControlServer> control_server_;
    std::atomic<int> phase_{static_cast<int>(RunPhase::starting)};
    std::chrono::steady_clock::time_point started_;
    std::chrono::steady_clock::time_point dataplane_ended_;
    // Progress display: the previous sample, for the current rate.
    std::chrono::steady_clock::time_point progress_at_;
    uint64_t progress_packets_ = 0;
};

// Reached with threads still running only when run() failed half-way.
Appliance::~Appliance() {
    dataplane_done_.store(true, std::memory_order_release);
    if (drain_) drain_->join();
    if (reload_thread_.joinable()) {
        reload_thread_done_.store(true);
        reload_wake_.notify_one();
        reload_thread_.join();
    }
}

// A generation's parts beside the rules, on the reload thread: the key log as it is now, and
// the nDPI module of each worker, built again only when the protocols file changed.
std::string Appliance::prepare_generation(const Config& config, Generation& generation) {
    const ClassifierSettings settings = classifier_settings_of(config);
    generation.tls_keylog = settings.tls_keylog;
    if (generation.tls_keylog) {
        try {
            TlsClassifier::intern_names(catalog_.get(), generation.sip_tls_app,
                                        generation.decrypted_evidence);
        } catch (const std::length_error& e) {
            return e.what();
        }
    }
    // Modules whose flows have all ended are freed here, off the packet path.
    std::erase_if(ndpi_retiring_, [](const std::shared_ptr<NdpiGeneration>& module) {
        return module->drained.load(std::memory_order_acquire);
    });
    const std::string stamp = ndpi_protocols_stamp(config.ndpi_protocols_file);
    if (stamp == ndpi_stamp_) {
        generation.ndpi = ndpi_in_force_;
        return {};
    }
    for (unsigned w = 0; w < workers_; ++w) {
        std::string error;
        std::unique_ptr<NdpiGeneration> module =
            make_ndpi_generation(settings.ndpi, catalog_.get(), error);
        if (!module) return error;
        generation.ndpi.push_back(std::move(module));
    }
    pending_ndpi_stamp_ = stamp;
    return {};
}

void Appliance::prepare_captures() {
    port_configs_ = configured_ports(config_);
    std::vector<CaptureFileInfo> captures;
    for (const std::string& path : options_.pcaps) {
        CaptureFileError error;
        auto info = open_capture_file(path, error);
        if (!info) throw StartupError(error.message);
        captures.push_back(std::move(*info));
    }
    // Counting reads every capture whole: it runs beside the dataplane's start and the run.
    const bool background = !without("background-count");
    std::function<void()> first;
    if (ndpi_modules_) first = [modules = ndpi_modules_.get()] { modules->build(); };
    capture_counter_ = std::make_unique<CaptureCounter>(captures, background, std::move(first));
    if (!background) capture_counter_->wait();  // as before: read whole, then start
    for (size_t i = 0; i < captures.size(); ++i) {
        PortConfig port = capture_port(config_, i, captures[i].path, options_.loop);
        port.link = captures[i].link;
        port.expected_packets = capture_counter_->expected(i);
        port.capture = std::move(captures[i]);
        port_configs_.push_back(std::move(port));
    }
    check_port_count(port_configs_.size());
}

// A damaged capture's readable packets are processed; the run says so and exits 1.
void Appliance::note_capture_damage(const std::vector<CaptureFileInfo>& captures) {
    for (const CaptureFileInfo& capture : captures) {
        if (capture.damage.empty()) continue;
        damaged_.push_back(capture.path + ": " + capture.damage);
        fmt::print(stderr, "ottscope: {}: {}; the packets before it are processed\n", capture.path,
                   capture.damage);
    }
}

// nDPI modules need no EAL: the capture counter's thread builds them, before it counts, while
// DPDK starts (see NdpiModuleStock).
void Appliance::order_ndpi_modules() {
    if (without("modules-ahead")) return;  // each is built where it is needed, after the EAL
    std::vector<std::string> protocols_files(workers_ + 1, config_.ndpi_protocols_file);
    protocols_files.front().clear();  // the catalog's module knows the built-in protocols only
    ndpi_modules_ = std::make_unique<NdpiModuleStock>(std::move(protocols_files));
}

void Appliance::build_dataplane() {
    StartupFacts facts;
    facts.workers = workers_;
    for (const PortConfig& port : port_configs_) facts.devices.push_back(port.device);
    if (options_.loop) {
        // A looping capture is preloaded whole: its pool is sized by its count.
        note_capture_damage(capture_counter_->wait());
        for (const CaptureFileInfo& capture : capture_counter_->wait())
            facts.replay_packets += capture.packets;
    }
    facts.available_bytes = meminfo_bytes("MemAvailable");
    const StartupPlan plan = plan_startup(config_, options_, facts);
    fanout_mode_ = plan.fanout_mode;
    const uint64_t mbufs = plan.mbufs.total();
    start_eal(plan.eal);

    pool_ =
        rte_pktmbuf_pool_create("ottscope_mbufs", static_cast<unsigned>(mbufs), plan.mbuf_cache, 0,
                                RTE_MBUF_DEFAULT_BUF_SIZE, static_cast<int>(rte_socket_id()));
    if (pool_ == nullptr)
        throw StartupError(
            fmt::format("cannot allocate {} packet buffers: {} (raise dataplane.memory_mb)", mbufs,
                        rte_strerror(rte_errno)));
    ports_ = start_ports(port_configs_, static_cast<uint16_t>(workers_), pool_);

    int timestamp_offset = rte_mbuf_dynfield_lookup(RTE_MBUF_DYNFIELD_TIMESTAMP_NAME, nullptr);
    const int timestamp_bit = rte_mbuf_dynflag_lookup(RTE_MBUF_DYNFLAG_RX_TIMESTAMP_NAME, nullptr);
    const uint64_t timestamp_flag = timestamp_bit >= 0 ? (1ULL << timestamp_bit) : 0;
    if (timestamp_bit < 0) timestamp_offset = -1;

    if (ndpi_modules_) catalog_module_ = ndpi_modules_->take({});
    if (!catalog_module_) catalog_module_ = make_ndpi_module();
    catalog_ = std::make_unique<AppCatalog>(catalog_module_.get());
    publisher_ = std::make_unique<GenerationPublisher>(workers_);

    const auto views = port_views(ports_);
    std::vector<PortQueues> port_queues;
    for (const Port& port : ports_)
        port_queues.push_back(PortQueues{port.rx_queues, port.expected_packets != nullptr});
    const QueuePlan queues = plan_queues(config_, plan, port_queues);
    std::vector<std::vector<RxQueueRef>> worker_queues(workers_);
    std::vector<RxQueueRef> fanout_queues;
    for (const RxAssignment& rx : queues.rx) {
        const Port& port = ports_[rx.port];
        rx_counters_.push_back(std::make_unique<RxCounters>());
        const RxQueueRef ref{port.id, rx.queue, port.finite, port.expected_packets,
                             rx_counters_.back().get()};
        view_.rx.push_back(RxSlot{port.name, port.id, rx.queue, rx_counters_.back().get()});
        if (rx.worker == kNoWorker)
            fanout_queues.push_back(ref);
        else
            worker_queues[rx.worker].push_back(ref);
    }
    fanout_used_ = queues.fanout_used;
    const bool receiver = queues.receiver;
    const RedirectionTable table(queues.shares);
    view_.fanout_mode = queues.fanout_mode_name();
    view_.receiver_share = queues.receiver_share;

    ClassifierSettings classifier_settings = classifier_settings_of(config_);
    classifier_settings.ndpi_modules = ndpi_modules_.get();

    std::vector<WorkerSetup> worker_setups;
    for (unsigned w = 0; w < workers_; ++w) {
        worker_counters_.push_back(std::make_unique<WorkerCounters>());
        view_.workers.push_back(worker_counters_.back().get());
        top_flows_.push_back(std::make_unique<FlowSnapshotMailbox>());
        view_.top_flows.push_back(top_flows_.back().get());
        WorkerSetup setup;
        setup.index = static_cast<uint16_t>(w);
        setup.queues = worker_queues[w];
        setup.stop = &g_stop;
        setup.ports = views;
        setup.pool = pool_;
        setup.flow_capacity = plan.flow_capacity;
        setup.burst_lookup = plan.burst_lookup;
        setup.timeouts = plan.timeouts;
        setup.classifier_settings = classifier_settings;
        setup.stream = plan.stream;
        setup.counters = worker_counters_.back().get();
        setup.generations = publisher_.get();
        setup.top_flows = top_flows_.back().get();
        setup.timestamp_offset = timestamp_offset;
        setup.timestamp_flag = timestamp_flag;
        // The receiver worker takes its own flows' packets straight from the burst it read.
        if (queues.input_ring[w]) {
            rte_ring* ring =
                rte_ring_create(("in_w" + std::to_string(w)).c_str(), plan.input_ring_size,
                                static_cast<int>(rte_socket_id()), RING_F_SP_ENQ | RING_F_SC_DEQ);
            if (ring == nullptr)
                throw StartupError("cannot create worker ring: " +
                                   std::string(rte_strerror(rte_errno)));
            input_rings_.push_back(ring);
            view_.rings.push_back(RingSlot{"in_w" + std::to_string(w), ring});
            setup.input_ring = ring;
            setup.input_done = &fanout_done_;
        } else if (fanout_used_) {
            input_rings_.push_back(nullptr);
        }
        if (plan.record_rings) {
            rte_ring* ring = rte_ring_create_elem(
                ("rec_w" + std::to_string(w)).c_str(), sizeof(FlowRecord), plan.record_ring_size,
                static_cast<int>(rte_socket_id()), RING_F_SP_ENQ | RING_F_SC_DEQ);
            if (ring == nullptr)
                throw StartupError("cannot create record ring: " +
                                   std::string(rte_strerror(rte_errno)));
            record_rings_.push_back(ring);
            view_.rings.push_back(RingSlot{"rec_w" + std::to_string(w), ring});
            setup.record_ring = ring;
        }
        worker_setups.push_back(std::move(setup));
    }
    // Built once every ring exists: the receiver worker's dispatcher needs them all.
    DispatchSetup dispatch;
    dispatch.queues = fanout_queues;
    dispatch.rings = input_rings_;
    dispatch.table = table;
    dispatch.ports = views;
    dispatch.pool = pool_;
    dispatch.self = receiver ? 0 : kNoWorker;
    dispatch.done = &fanout_done_;
    if (receiver) worker_setups[0].dispatch = dispatch;  // a copy: the fan-out branch moves it
    for (WorkerSetup& setup : worker_setups)
        worker_objects_.push_back(std::make_unique<Worker>(std::move(setup)));
    if (queues.dedicated_fanout) {
        fanout_counters_ = std::make_unique<WorkerCounters>();
        view_.fanout = fanout_counters_.get();
        FanoutSetup setup;
        setup.dispatch = std::move(dispatch);
        setup.stop = &g_stop;
        setup.counters = fanout_counters_.get();
        fanout_ = std::make_unique<Fanout>(std::move(setup));
    }
    // Rules load once the workers exist (they own the classifiers a reload reconfigures),
    // before any of them runs.
    ndpi_stamp_ = ndpi_protocols_stamp(config_.ndpi_protocols_file);
    GenerationHooks hook;
    hook.prepare = [this](const Config& config, Generation& generation) {
        return prepare_generation(config, generation);
    };
    hook.published = [this](const Generation& generation) {
        if (generation.ndpi != ndpi_in_force_) {
            for (auto& module : ndpi_in_force_)
                if (module) ndpi_retiring_.push_back(std::move(module));
            ndpi_in_force_ = generation.ndpi;
            ndpi_stamp_ = pending_ndpi_stamp_;
        }
    };
    hook.watched_files = [this](const Config& config) {
        std::vector<std::string> files;
        if (std::string path = keylog_path(config); !path.empty()) files.push_back(std::move(path));
        return files;
    };
    // Export settings apply at the control thread's next pass (see IpfixExportSet); without
    // record rings (no export at startup) there is nothing to feed new collectors.
    ReloadAppliedHook applied = [this](const Config& config) -> std::vector<std::string> {
        if (!exports_)
            return ipfix_settings_differ(config_, config)
                       ? std::vector<std::string>{"export.ipfix changed; the appliance started "
                                                  "without export takes it after a restart"}
                       : std::vector<std::string>{};
        try {
            exports_->request(ipfix_plan_of(config, options_.ipfix));
        } catch (const std::exception& e) {
            return {e.what()};
        }
        return {};
    };
    reloader_ = std::make_unique<RuleReloader>(options_.config_path, config_, *catalog_,
                                               *publisher_, std::move(hook), std::move(applied));
    const ReloadOutcome rules = reloader_->load_initial();
    for (const std::string& message : rules.messages) fmt::print(stderr, "{}\n", message);
    if (!rules.ok) throw StartupError("the rules have errors; nothing was started");

    view_.ports = ports_;
    view_.catalog = catalog_.get();
    view_.reloads = &reloader_->status();
    view_.keylog = &keylogs_;
    view_.flow_capacity = config_.flow_capacity;
    for (const Port& port : ports_) {
        if (view_.zone_names.size() <= port.zone) view_.zone_names.resize(port.zone + 1);
        if (view_.zone_names[port.zone].empty()) view_.zone_names[port.zone] = port.name;
    }
    for (const ClassifierEntry& entry : classifier_registry())
        view_.classifier_names.emplace_back(entry.name);
}

// Who read the single-queue ports, for the start and end lines ("" when nobody had to).
std::string Appliance::fanout_note() const {
    if (view_.fanout_mode == "receiver")
        return fmt::format(" (fan-out in worker 0, receiver_share {:.3g})", view_.receiver_share);
    if (view_.fanout_mode == "dedicated") return " (fan-out on a dedicated lcore)";
    return "";
}

void Appliance::start_exporters() {
    // With record rings, export can be switched on, changed or off by a reload.
    if (record_rings_.empty()) return;
    exports_ = std::make_unique<IpfixExportSet>(workers_, *catalog_, view_.classifier_names);
    try {
        exports_->request(ipfix_plan_of(config_, options_.ipfix));
    } catch (const std::invalid_argument& e) {
        throw StartupError(e.what());
    }
    exports_->pump(std::chrono::steady_clock::now());  // before the first record
    view_.exports = exports_.get();
}

void Appliance::start_record_drain() {
    if (record_rings_.empty()) return;
    if (!options_.flows_out.empty()) {
        try {
            jsonl_ = std::make_unique<JsonLinesSink>(options_.flows_out);
        } catch (const std::runtime_error& e) {
            throw StartupError(e.what());
        }
        view_.jsonl = &jsonl_->stats();
    }
    RecordDrainOutputs outputs;
    outputs.jsonl = jsonl_.get();
    if (jsonl_)
        outputs.format_jsonl = [this, fields = FlowRecordFields{config_.flow_record_tls_fields}](
                                   const FlowRecord& record) {
            return format_flow_record(record, *catalog_, view_.classifier_names, view_.zone_names,
                                      fields);
        };
    outputs.ipfix = exports_.get();
    drain_ = std::make_unique<RecordDrain>(record_rings_, std::move(outputs));
    drain_->start(dataplane_done_);
}

// Records still queued get a bounded time to leave: a reader or collector that is away does
// not hold the appliance's exit, and what stays behind is counted (reason shutdown).
int Appliance::finish_sinks() {
    if (!jsonl_) return 0;
    const bool ended = jsonl_->finish(sink_deadline(), &stop_requested);
    const RecordSinkStats& stats = jsonl_->stats();
    const uint64_t dropped = stats.dropped_total();
    std::string reasons;
    for (size_t i = 0; i < kSinkDropNames.size(); ++i)
        if (const uint64_t n = stats.dropped[i].load(); n != 0)
            reasons += fmt::format("{}{} {}", reasons.empty() ? "" : ", ", n, kSinkDropNames[i]);
    fmt::print(stderr, "ottscope: flow records to {}: {} written, {} dropped{}\n",
               options_.flows_out, stats.written.load(), dropped,
               reasons.empty() ? "" : " (" + reasons + ")");
    sink_stuck_ = !ended;
    // Records lost to a failed write make the run fail, as a capture run's output is its result.
    return stats.dropped[static_cast<size_t>(SinkDrop::write_error)].load() != 0 ? 1 : 0;
}

void Appliance::finish_exporters() {
    if (!exports_) return;
    for (const std::string& line : exports_->finish(sink_deadline()))
        fmt::print(stderr, "ottscope: {}\n", line);
}

void Appliance::show_progress(bool last) {
    const auto now = std::chrono::steady_clock::now();
    uint64_t received = 0;
    for (const RxSlot& slot : view_.rx) received += slot.counters->packets.read();
    const double interval = std::chrono::duration<double>(now - progress_at_).count();
    const double rate =
        interval > 0 ? static_cast<double>(received - progress_packets_) / interval : 0.0;
    progress_at_ = now;
    progress_packets_ = received;
    std::string line = fmt::format("ottscope: {:>12} packets {:>10.0f} pkt/s", received, rate);
    for (const Port& port : ports_) {
        const uint64_t expected = expected_packets(port.expected_packets);
        if (expected == 0 || expected == CaptureCounter::kUnknown) continue;
        uint64_t delivered = 0;
        for (const RxSlot& slot : view_.rx)
            if (slot.port_id == port.id) delivered += slot.counters->packets.read();
        if (options_.loop)
            line += fmt::format(
                "  {} pass {} {:5.1f}%", port.name, delivered / expected + 1,
                100.0 * static_cast<double>(delivered % expected) / static_cast<double>(expected));
        else
            line += fmt::format("  {} {:5.1f}%", port.name,
                                std::min(100.0, 100.0 * static_cast<double>(delivered) /
                                                    static_cast<double>(expected)));
    }
    line += fmt::format("  {:.0f} s", std::chrono::duration<double>(now - started_).count());
    // On a terminal the line redraws itself; in a log it is one line per update.
    static const bool terminal = isatty(STDERR_FILENO) != 0;
    if (terminal)
        fmt::print(stderr, "\r{}\x1b[K{}", line, last ? "\n" : "");
    else
        fmt::print(stderr, "{}\n", line);
}

// Progress, --duration and reload requests: never blocks on anything, so a stop by
// --duration comes on time whatever a reload or a sink is doing.
void Appliance::control_loop() {
    progress_at_ = started_;
    const auto progress_every = isatty(STDERR_FILENO) != 0 ? std::chrono::milliseconds(500)
                                                           : std::chrono::milliseconds(5000);
    auto last_progress = std::chrono::steady_clock::now();
    RateLimitedLog ring_log;
    uint64_t ring_drops = 0;
    while (!dataplane_done_.load(std::memory_order_acquire)) {
        const auto now = std::chrono::steady_clock::now();
        uint64_t drops = 0;
        for (const WorkerCounters* worker : view_.workers) drops += worker->records_dropped.read();
        if (drops != ring_drops) {
            ring_log.print(fmt::format("flow records dropped: a worker's record ring was full "
                                       "(the record drain is behind); {} so far",
                                       drops),
                           now);
            ring_drops = drops;
        }
        if (options_.duration_seconds > 0 &&
            now - started_ > std::chrono::duration<double>(options_.duration_seconds))
            g_stop.store(true);
        if (g_reload.load(std::memory_order_relaxed)) reload_wake_.notify_one();
        if (options_.progress && now - last_progress > progress_every) {
            show_progress(false);
            last_progress = now;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (options_.progress) show_progress(true);
}

// SIGHUP and changed files (the HTTP API reloads on its own thread). Runs until the end of
// the run, lingering included; a reload under way at exit is left to the process exit.
void Appliance::reload_loop() {
    auto last_poll = std::chrono::steady_clock::now();
    std::unique_lock lock(reload_wake_mutex_);
    while (!reload_thread_done_.load()) {
        reload_wake_.wait_for(lock, std::chrono::milliseconds(100));
        if (reload_thread_done_.load()) break;
        lock.unlock();
        if (g_reload.exchange(false, std::memory_order_relaxed)) reloader_->reload("sighup");
        const auto now = std::chrono::steady_clock::now();
        if (config_.watch_rule_files && now - last_poll >= kReloadPollInterval) {
            reloader_->reload_if_changed();
            last_poll = now;
        }
        lock.lock();
    }
}

int Appliance::finish() {
    int status = finish_sinks();
    Totals totals = sum_totals(view_);
    // A stopped run does not wait for the rest of a count it no longer needs.
    if (g_stop.load()) capture_counter_->abandon();
    if (!options_.loop) note_capture_damage(capture_counter_->wait());
    // Packets a capture holds but its port never delivered: counted, so nothing goes missing.
    for (const Port& port : ports_) {
        if (!port.finite || g_stop.load()) continue;
        uint64_t delivered = 0;
        for (const RxSlot& slot : view_.rx)
            if (slot.port_id == port.id) delivered += slot.counters->packets.read();
        rte_eth_stats stats{};
        rte_eth_stats_get(port.id, &stats);
        const uint64_t expected = expected_packets(port.expected_packets);
        if (delivered + stats.rx_nombuf < expected) {
            const uint64_t missing = expected - delivered - stats.rx_nombuf;
            fmt::print(stderr, "ottscope: port {}: {} packets of the capture were not delivered\n",
                       port.name, missing);
            totals.drops[index_of(DropReason::rx_error)] += missing;
            totals.received += missing;
            totals.counted += missing;
            status = 1;
        }
    }
    // The run's time ends with the dataplane, not with the wait for slow sinks.
    const double seconds = std::chrono::duration<double>(dataplane_ended_ - started_).count();
    uint64_t bytes = 0;
    for (const RxSlot& slot : view_.rx) bytes += slot.counters->bytes.read();
    if (totals.received != totals.counted) status = 1;
    if (!damaged_.empty()) status = 1;
    if (options_.json_summary) {
        const std::string json =
            summary_json(totals, *catalog_,
                         RunFigures{seconds, bytes, workers_, view_.fanout_mode,
                                    view_.receiver_share, damaged_});
        std::fwrite(json.data(), 1, json.size(), stdout);
    } else {
        print_app_table(stdout, totals, *catalog_);
        print_drops(stdout, totals);
        fmt::print(
            "processed {} packets ({} bytes) in {:.3f} s with {} worker{}{}: {:.0f} pkt/s, "
            "{:.3f} Gb/s\n",
            totals.received, bytes, seconds, workers_, workers_ == 1 ? "" : "s", fanout_note(),
            totals.received / seconds, bytes * 8.0 / seconds / 1e9);
        print_conservation(stdout, totals);
    }
    std::fflush(stdout);
    // After the summary, whose rate must not include the wait for a collector.
    finish_exporters();
    return status;
}

int Appliance::run() {
    // Known first: the nDPI modules are ordered one per worker before anything else starts.
    workers_ = worker_count(options_.workers, config_.workers, automatic_workers());
    order_ndpi_modules();
    prepare_captures();
    build_dataplane();
    start_exporters();
    start_record_drain();
    const std::string listen = options_.metrics_listen.value_or(config_.metrics_listen);
    ControlServerOptions server_options;
    server_options.listen = listen;
    server_options.api_token = config_.api_token;
    server_options.config_path = options_.config_path;
    server_options.reload = [this] {
        const ReloadOutcome outcome = reloader_->reload("http");
        ReloadReport report;
        report.ok = outcome.ok;
        report.applied = outcome.ok;
        report.rule_version = std::to_string(reloader_->status().version.load());
        report.errors = outcome.ok ? std::vector<std::string>{} : outcome.messages;
        report.message =
            outcome.ok
                ? fmt::format("rules version {} in force (digest {}){}", *report.rule_version,
                              reloader_->digest(),
                              outcome.messages.empty() ? "" : "; " + outcome.messages[0])
                : fmt::format("{} error{}; rules version {} stay in force", outcome.messages.size(),
                              outcome.messages.size() == 1 ? "" : "s", *report.rule_version);
        return report;
    };
    server_options.phase = &phase_;
    control_server_ = std::make_unique<ControlServer>(std::move(server_options), view_);
    fmt::print(stderr,
               "ottscope: {} worker{} on {} port{}{}; metrics on http://{}/metrics, API on "
               "http://{}/api/v1/status\n",
               workers_, workers_ == 1 ? "" : "s", ports_.size(), ports_.size() == 1 ? "" : "s",
               fanout_note(), control_server_->bound_address().to_string(),
               control_server_->bound_address().to_string());

    started_ = std::chrono::steady_clock::now();
    std::thread control([this] { control_loop(); });
    reload_thread_ = std::thread([this] { reload_loop(); });

    // The main lcore takes the first role (the dedicated fan-out when there is one, else
    // worker 0, the receiver of single-queue ports), the others the rest.
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
    phase_.store(static_cast<int>(RunPhase::running), std::memory_order_release);
    roles[0].first(roles[0].second);
    rte_eal_mp_wait_lcore();
    for (const auto& worker : worker_objects_)
        if (!worker->finished()) throw StartupError("a worker lcore ended without finishing");
    if (fanout_ && !fanout_->finished())
        throw StartupError("the fan-out lcore ended without finishing");
    dataplane_ended_ = std::chrono::steady_clock::now();
    dataplane_done_.store(true, std::memory_order_release);
    phase_.store(static_cast<int>(RunPhase::finished), std::memory_order_release);
    control.join();
    if (drain_) drain_->join();

    const int status = finish();
    if (options_.linger && !g_stop.load()) {
        fmt::print(
            stderr,
            "ottscope: captures done; serving metrics and the API until SIGTERM or Ctrl-C\n");
        while (!g_stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    // A reload still under way (a slow file system) is not waited for: the appliance and
    // what the reload touches are left to the process exit instead.
    reload_thread_done_.store(true);
    reload_wake_.notify_one();
    reloads_settled_ = reloader_->close(std::chrono::milliseconds(200));
    if (reloads_settled_)
        reload_thread_.join();
    else
        reload_thread_.detach();
    control_server_->detach_from_dataplane();
    g_left_to_exit =
        new LeftToExit{std::move(control_server_), std::move(worker_objects_),
                       std::move(catalog_module_), sink_stuck_ ? std::move(jsonl_) : nullptr};
    fanout_.reset();
    stop_ports(ports_);
    return status;
}

}  // namespace

int run_appliance(const RunOptions& options) {
    // Checked here, before the EAL starts, like the configuration's control.metrics_listen.
    if (options.metrics_listen) {
        if (const auto listen = parse_listen_address(*options.metrics_listen); !listen.address) {
            fmt::print(stderr, "ottscope: --metrics {}\n", listen.error);
            return 1;
        }
    }
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
    install_signal_handlers();
    try {
        auto appliance = std::make_unique<Appliance>(options, std::move(config));
        const int status = appliance->run();
        if (!appliance->reloads_settled()) (void)appliance.release();  // see Appliance::run
        return status;
    } catch (const std::exception& e) {
        fmt::print(stderr, "ottscope: {}\n", e.what());
        return 1;
    }
}

}  // namespace ottscope
