#pragma once
// The appliance of `ottscope run`, in the order it comes up and goes down. Its start
// (appliance.cpp): the workers and their nDPI modules ordered, the captures opened and
// counted, the plan worked out (plan.h), the topology built from it (topology.h), the rules
// loaded, the record sinks, exporters and the control server started. Its run (run.cpp): the
// lcores, the control and reload threads, the end-of-run summary, and what is left to the
// process exit.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "classifiers/app_catalog.h"
#include "classifiers/ndpi/ndpi_classifier.h"
#include "classifiers/ndpi/ndpi_module_stock.h"
#include "config/config.h"
#include "control/control_server.h"
#include "control/export/ipfix_export_set.h"
#include "control/export/jsonl_sink.h"
#include "control/export/record_drain.h"
#include "control/keylog_store.h"
#include "control/rate_limited_log.h"
#include "control/rule_reloader.h"
#include "control/run_command.h"
#include "control/startup/plan.h"
#include "control/startup/topology.h"
#include "control/stats_view.h"
#include "dataplane/capture_counter.h"
#include "dataplane/generation_publisher.h"

namespace ottscope {

// Stop and reload requests: set by SIGINT/SIGTERM and SIGHUP, --duration, or a run short of
// lcores (run.cpp).
void install_signal_handlers();
std::atomic<bool>& stop_flag() noexcept;

class Appliance {
public:
    Appliance(const RunOptions& options, Config config)
        : options_(options), config_(std::move(config)) {}
    ~Appliance();
    Appliance(const Appliance&) = delete;
    Appliance& operator=(const Appliance&) = delete;
    int run();
    // False when a reload was still running at the end: then this object is left to the exit.
    [[nodiscard]] bool reloads_settled() const noexcept { return reloads_settled_; }

private:
    // The start (appliance.cpp).
    void start();
    ClassifierSettings classifier_settings_of(const Config& config);
    [[nodiscard]] bool without(std::string_view optimisation) const;
    [[nodiscard]] std::string keylog_path(const Config& config) const;
    void order_ndpi_modules();
    void prepare_captures();
    void note_capture_damage(const std::vector<CaptureFileInfo>& captures);
    [[nodiscard]] StartupPlan plan();
    void build_dataplane();
    void make_catalog();
    void start_reloader();
    std::string prepare_generation(const Config& config, Generation& generation);
    void generation_published(const Generation& generation);
    std::vector<std::string> apply_reloaded(const Config& config);
    void fill_view();
    void start_exporters();
    void start_record_drain();
    void start_control_server();
    // The run (run.cpp).
    void run_dataplane();
    void control_loop();
    void note_record_drops(uint64_t& reported, std::chrono::steady_clock::time_point now,
                           RateLimitedLog& log);
    void reload_loop();
    void show_progress(bool last);
    [[nodiscard]] std::string fanout_note() const;
    [[nodiscard]] std::string rules_note() const;
    int finish();
    uint64_t count_undelivered(Totals& totals);
    void print_summary(const Totals& totals);
    int finish_sinks();
    void finish_exporters();
    void end_reloads();
    void leave_to_exit();

    const RunOptions& options_;
    Config config_;
    std::vector<PortConfig> port_configs_;
    std::vector<std::string> damaged_;
    // Outlives the ports and workers that read its counts.
    std::unique_ptr<CaptureCounter> capture_counter_;
    unsigned workers_ = 1;

    // Each worker's nDPI module, ordered before DPDK starts, and the catalog built beside them.
    std::unique_ptr<NdpiModuleStock> ndpi_modules_;
    std::future<std::unique_ptr<AppCatalog>> catalog_ahead_;
    // The catalog's module where the catalog was not built ahead.
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
    // After the catalog, publisher and reloader the workers use: freed before them.
    Topology topology_;
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

}  // namespace ottscope
