// The appliance's run, once started: the lcores, the control and reload threads, the
// end-of-run summary, and what is left to the process exit. See appliance.h.

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>

#include "appliance.h"
#include "control/summary.h"

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
//   an nDPI module's automata and trees takes milliseconds, and rte_hash_free zeroes every
//   byte of a flow table's hash (DPDK keeps freed memory clean), faulting in the pages a
//   mostly empty table never touched, per worker (measured: see README, Performance).
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

}  // namespace

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

std::atomic<bool>& stop_flag() noexcept {
    return g_stop;
}

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

int Appliance::run() {
    start();
    run_dataplane();
    const int status = finish();
    if (options_.linger && !g_stop.load()) {
        fmt::print(
            stderr,
            "ottscope: captures done; serving metrics and the API until SIGTERM or Ctrl-C\n");
        while (!g_stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    end_reloads();
    leave_to_exit();
    return status;
}

// The lcores run to the end of the input or the stop, beside the control and reload threads.
void Appliance::run_dataplane() {
    started_ = std::chrono::steady_clock::now();
    std::thread control([this] { control_loop(); });
    reload_thread_ = std::thread([this] { reload_loop(); });
    topology_.launch(g_stop);
    phase_.store(static_cast<int>(RunPhase::running), std::memory_order_release);
    topology_.run_main_lcore();
    dataplane_ended_ = std::chrono::steady_clock::now();
    dataplane_done_.store(true, std::memory_order_release);
    phase_.store(static_cast<int>(RunPhase::finished), std::memory_order_release);
    control.join();
    if (drain_) drain_->join();
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
        note_record_drops(ring_drops, now, ring_log);
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

void Appliance::note_record_drops(uint64_t& reported, std::chrono::steady_clock::time_point now,
                                  RateLimitedLog& log) {
    uint64_t drops = 0;
    for (const WorkerCounters* worker : view_.workers) drops += worker->records_dropped.read();
    if (drops == reported) return;
    log.print(fmt::format("flow records dropped: a worker's record ring was full "
                          "(the record drain is behind); {} so far",
                          drops),
              now);
    reported = drops;
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
    for (const Port& port : topology_.ports()) {
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

// Who read the single-queue ports, for the start and end lines ("" when nobody had to).
std::string Appliance::fanout_note() const {
    if (view_.fanout_mode == "receiver")
        return fmt::format(" (fan-out in worker 0, receiver_share {:.3g})", view_.receiver_share);
    if (view_.fanout_mode == "dedicated") return " (fan-out on a dedicated lcore)";
    return "";
}

int Appliance::finish() {
    int status = finish_sinks();
    Totals totals = sum_totals(view_);
    // A stopped run does not wait for the rest of a count it no longer needs.
    if (g_stop.load()) capture_counter_->abandon();
    if (!options_.loop) note_capture_damage(capture_counter_->wait());
    if (count_undelivered(totals) != 0) status = 1;
    if (totals.received != totals.counted) status = 1;
    if (!damaged_.empty()) status = 1;
    print_summary(totals);
    // After the summary, whose rate must not include the wait for a collector.
    finish_exporters();
    return status;
}

// Packets a capture holds but its port never delivered: counted, so nothing goes missing.
// Returns how many.
uint64_t Appliance::count_undelivered(Totals& totals) {
    uint64_t undelivered = 0;
    for (const Port& port : topology_.ports()) {
        if (!port.finite || g_stop.load()) continue;
        uint64_t delivered = 0;
        for (const RxSlot& slot : view_.rx)
            if (slot.port_id == port.id) delivered += slot.counters->packets.read();
        const uint64_t lost = Topology::lost_for_want_of_mbufs(port);
        // Every queue's capture: a port whose captures come split has one per queue.
        const uint64_t expected = expected_packets(port.expected_packets);
        if (delivered + lost < expected) {
            const uint64_t missing = expected - delivered - lost;
            fmt::print(stderr, "ottscope: port {}: {} packets of the capture were not delivered\n",
                       port.name, missing);
            totals.drops[index_of(DropReason::rx_error)] += missing;
            totals.received += missing;
            totals.counted += missing;
            undelivered += missing;
        }
    }
    return undelivered;
}

void Appliance::print_summary(const Totals& totals) {
    // The run's time ends with the dataplane, not with the wait for slow sinks.
    const double seconds = std::chrono::duration<double>(dataplane_ended_ - started_).count();
    uint64_t bytes = 0;
    for (const RxSlot& slot : view_.rx) bytes += slot.counters->bytes.read();
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
}

// Records still queued get a bounded time to leave: a reader or collector that is away does
// not hold the appliance's exit, and what stays behind is counted (reason shutdown).
int Appliance::finish_sinks() {
    if (!jsonl_) return 0;
    const bool ended = jsonl_->finish(sink_deadline(), &stop_requested);
    const RecordSinkStats& stats = jsonl_->stats();
    const uint64_t dropped = stats.dropped_total();
    std::string reasons;
    for (const auto& [reason, name] : kSinkDropNames)
        if (const uint64_t n = stats.dropped[index_of(reason)].load(); n != 0)
            reasons += fmt::format("{}{} {}", reasons.empty() ? "" : ", ", n, name);
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

// A reload still under way (a slow file system) is not waited for: the appliance and what
// the reload touches are left to the process exit instead.
void Appliance::end_reloads() {
    reload_thread_done_.store(true);
    reload_wake_.notify_one();
    reloads_settled_ = reloader_->close(std::chrono::milliseconds(200));
    if (reloads_settled_)
        reload_thread_.join();
    else
        reload_thread_.detach();
}

void Appliance::leave_to_exit() {
    control_server_->detach_from_dataplane();
    g_left_to_exit =
        new LeftToExit{std::move(control_server_), topology_.release_workers(),
                       std::move(catalog_module_), sink_stuck_ ? std::move(jsonl_) : nullptr};
    topology_.stop();
}

}  // namespace ottscope
