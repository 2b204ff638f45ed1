// The appliance's start, step by step: see appliance.h.

#include "appliance.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <future>
#include <stdexcept>

#include "classifiers/registry.h"
#include "classifiers/tls/tls_classifier.h"
#include "config/memory_estimate.h"
#include "control/export/flow_record_writer.h"
#include "dataplane/capture_file.h"

namespace ottscope {
namespace {

// The catalog copies what it needs of nDPI's names from a module (the built-in protocols
// only) at its construction; that module is then freed. Built ahead, on the thread that
// builds the workers' modules next, their allocations take its memory again: one nDPI module
// (5.6 MB) fewer resident for the whole run (measured: see README, Performance).
std::unique_ptr<AppCatalog> catalog_from_module_of_its_own() {
    const NdpiModule module = make_ndpi_module();
    return std::make_unique<AppCatalog>(module.get());
}

}  // namespace

void Appliance::start() {
    // Known first: the nDPI modules are ordered one per worker before anything else starts.
    workers_ = worker_count(options_.workers, config_.workers, automatic_workers());
    if (!options_.pcap_queues.empty()) check_queue_files(options_.pcap_queues.size(), workers_);
    order_ndpi_modules();
    prepare_captures();
    build_dataplane();
    start_exporters();
    start_record_drain();
    start_control_server();
}

ClassifierSettings Appliance::classifier_settings_of(const Config& config) {
    ClassifierSettings settings;
    settings.catalog = catalog_.get();
    settings.tls_keylog = keylogs_.snapshot(keylog_path(config));
    settings.ndpi_state_from_first_payload = !without("ndpi-lazy-state");
    settings.ndpi_final_stop = !without("ndpi-final-stop");
    settings.ndpi_tls_facts = !without("ndpi-tls-facts");
    settings.tls_certificate_cache = !without("certificate-cache");
    settings.tls_fingerprint_memo = !without("fingerprint-memo");
    settings.tls_quic_skip_undersized = !without("quic-datagram-size");
    return settings;
}

bool Appliance::without(std::string_view optimisation) const {
    return std::find(options_.without.begin(), options_.without.end(), optimisation) !=
           options_.without.end();
}

// The command line's --tls-keylog wins over the configuration, on reloads too.
std::string Appliance::keylog_path(const Config& config) const {
    return options_.tls_keylog ? *options_.tls_keylog : tls_keylog_file(config);
}

// nDPI modules need no EAL: the capture counter's thread builds them, before it counts, while
// DPDK starts (see NdpiModuleStock). The catalog is built there first (see prepare_captures).
void Appliance::order_ndpi_modules() {
    if (without("modules-ahead")) return;  // each is built where it is needed, after the EAL
    ndpi_modules_ = std::make_unique<NdpiModuleStock>(
        std::vector<std::string>(workers_, ndpi_protocols_file(config_)));
}

void Appliance::prepare_captures() {
    port_configs_ = configured_ports(config_);
    // Each --pcap file is a port; the --pcap-queues files, counted after them, are one more.
    std::vector<std::vector<std::string>> port_files;
    for (const std::string& path : options_.pcaps) port_files.push_back({path});
    if (!options_.pcap_queues.empty()) port_files.push_back(options_.pcap_queues);
    std::vector<CaptureFileInfo> captures;
    for (const std::vector<std::string>& files : port_files) {
        const size_t first = captures.size();
        for (const std::string& path : files) {
            CaptureFileError error;
            auto info = open_capture_file(path, error);
            if (!info) throw StartupError(error.message);
            // One port decodes its frames one way, whichever queue they come from.
            if (captures.size() > first && info->link != captures[first].link)
                throw StartupError(captures[first].path + " and " + path +
                                   " start their frames differently (link types); the files of "
                                   "--pcap-queues are queues of one port and must share theirs");
            captures.push_back(std::move(*info));
        }
    }
    // Counting reads every capture whole: it runs beside the dataplane's start and the run.
    const bool background = !without("background-count");
    std::function<void()> first;
    if (ndpi_modules_) {
        auto catalog = std::make_shared<std::packaged_task<std::unique_ptr<AppCatalog>()>>(
            &catalog_from_module_of_its_own);
        catalog_ahead_ = catalog->get_future();
        first = [catalog, modules = ndpi_modules_.get()] {
            (*catalog)();
            modules->build();
        };
    }
    capture_counter_ = std::make_unique<CaptureCounter>(captures, background, std::move(first));
    if (!background) capture_counter_->wait();  // as before: read whole, then start
    size_t next = 0;
    for (size_t i = 0; i < port_files.size(); ++i) {
        PortConfig port = capture_port(config_, i, port_files[i], options_.loop);
        port.link = captures[next].link;
        for (size_t q = 0; q < port_files[i].size(); ++q, ++next) {
            port.expected_packets.push_back(capture_counter_->expected(next));
            port.captures.push_back(captures[next]);
        }
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

// The facts the plan needs, read here: the devices, a looping capture's count, the memory.
StartupPlan Appliance::plan() {
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
    return plan_startup(config_, options_, facts);
}

void Appliance::build_dataplane() {
    const StartupPlan plan = this->plan();
    topology_.start(plan, port_configs_);
    make_catalog();
    std::vector<PortQueues> port_queues;
    for (const Port& port : topology_.ports())
        port_queues.push_back(PortQueues{port.rx_queues, !port.expected_packets.empty()});
    topology_.assign_queues(plan_queues(config_, plan, port_queues), view_);
    WorkerShared shared;
    shared.classifiers = classifier_settings_of(config_);
    shared.classifiers.ndpi_modules = ndpi_modules_.get();
    shared.classifier_options = config_.classifiers;
    shared.generations = publisher_.get();
    shared.stop = &stop_flag();
    topology_.build_workers(plan, shared, view_);
    // Rules load once the workers exist (they own the classifiers a reload reconfigures),
    // before any of them runs.
    start_reloader();
    fill_view();
}

void Appliance::make_catalog() {
    if (catalog_ahead_.valid()) {
        try {
            catalog_ = catalog_ahead_.get();
        } catch (const std::exception&) {  // built again below, which reports the failure
        }
    }
    if (!catalog_) {
        catalog_module_ = make_ndpi_module();
        catalog_ = std::make_unique<AppCatalog>(catalog_module_.get());
    }
    publisher_ = std::make_unique<GenerationPublisher>(workers_);
}

void Appliance::start_reloader() {
    ndpi_stamp_ = ndpi_protocols_stamp(ndpi_protocols_file(config_));
    GenerationHooks hook;
    hook.prepare = [this](const Config& config, Generation& generation) {
        return prepare_generation(config, generation);
    };
    hook.published = [this](const Generation& generation) { generation_published(generation); };
    hook.watched_files = [this](const Config& config) {
        std::vector<std::string> files;
        if (std::string path = keylog_path(config); !path.empty()) files.push_back(std::move(path));
        return files;
    };
    ReloadAppliedHook applied = [this](const Config& config) { return apply_reloaded(config); };
    reloader_ = std::make_unique<RuleReloader>(options_.config_path, config_, *catalog_,
                                               *publisher_, std::move(hook), std::move(applied));
    const ReloadOutcome rules = reloader_->load_initial();
    for (const std::string& message : rules.messages) fmt::print(stderr, "{}\n", message);
    if (!rules.ok) throw StartupError("the rules have errors; nothing was started");
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
    const std::string stamp = ndpi_protocols_stamp(ndpi_protocols_file(config));
    if (stamp == ndpi_stamp_) {
        generation.ndpi = ndpi_in_force_;
        return {};
    }
    for (unsigned w = 0; w < workers_; ++w) {
        std::string error;
        std::unique_ptr<NdpiGeneration> module = make_ndpi_generation(
            ndpi_settings_of(classifier_options(config, "ndpi"), settings), catalog_.get(), error);
        if (!module) return error;
        generation.ndpi.push_back(std::move(module));
    }
    pending_ndpi_stamp_ = stamp;
    return {};
}

void Appliance::generation_published(const Generation& generation) {
    if (generation.ndpi != ndpi_in_force_) {
        for (auto& module : ndpi_in_force_)
            if (module) ndpi_retiring_.push_back(std::move(module));
        ndpi_in_force_ = generation.ndpi;
        ndpi_stamp_ = pending_ndpi_stamp_;
    }
}

// Export settings apply at the control thread's next pass (see IpfixExportSet); without
// record rings (no export at startup) there is nothing to feed new collectors.
std::vector<std::string> Appliance::apply_reloaded(const Config& config) {
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
}

void Appliance::fill_view() {
    view_.ports = topology_.ports();
    view_.catalog = catalog_.get();
    view_.reloads = &reloader_->status();
    view_.keylog = &keylogs_;
    view_.flow_capacity = config_.flow_capacity;
    for (const Port& port : topology_.ports()) {
        if (view_.zone_names.size() <= port.zone) view_.zone_names.resize(port.zone + 1);
        if (view_.zone_names[port.zone].empty()) view_.zone_names[port.zone] = port.name;
    }
    for (const ClassifierDescriptor* descriptor : classifier_registry())
        view_.classifier_names.emplace_back(descriptor->name);
    // The key log in force may come from the command line and is read by the store; other
    // options are as the configuration set them at start.
    view_.option_set = [this](size_t classifier, std::string_view option) {
        const ClassifierDescriptor& descriptor = *classifier_registry()[classifier];
        if (&descriptor == &kTlsClassifier && option == "keylog_file") return keylogs_.configured();
        for (size_t i = 0; i < descriptor.options.size(); ++i)
            if (descriptor.options[i].key == option)
                return !config_.classifiers[classifier].text(i).empty() ||
                       config_.classifiers[classifier].number(i) != 0;
        return true;
    };
}

void Appliance::start_exporters() {
    // With record rings, export can be switched on, changed or off by a reload.
    if (topology_.record_rings().empty()) return;
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
    if (topology_.record_rings().empty()) return;
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
    if (jsonl_) {
        FlowRecordFields record_fields;
        for (const ClassifierOptions& classifier : config_.classifiers)
            record_fields.by_classifier.push_back(classifier.record_fields);
        outputs.format_jsonl = [this, fields = std::move(record_fields)](const FlowRecord& record) {
            return format_flow_record(record, *catalog_, view_.classifier_names, view_.zone_names,
                                      fields);
        };
    }
    outputs.ipfix = exports_.get();
    drain_ = std::make_unique<RecordDrain>(topology_.record_rings(), std::move(outputs));
    drain_->start(dataplane_done_);
}

// The control server, then the start line with the address it bound.
void Appliance::start_control_server() {
    ControlServerOptions server_options;
    server_options.listen = options_.metrics_listen.value_or(config_.metrics_listen);
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
    const auto& ports = topology_.ports();
    fmt::print(stderr,
               "ottscope: {}; {} worker{} on {} port{}{}; metrics on http://{}/metrics, API on "
               "http://{}/api/v1/status\n",
               rules_note(), workers_, workers_ == 1 ? "" : "s", ports.size(),
               ports.size() == 1 ? "" : "s", fanout_note(),
               control_server_->bound_address().to_string(),
               control_server_->bound_address().to_string());
    // Without rules, apps that only rules name (TU Me's by its certificate and host names)
    // fall to nDPI or behaviour: the run goes on, but an operator has to know.
    if (reloader_->status().apps.load() == 0)
        fmt::print(stderr,
                   "ottscope: warning: no rules loaded: apps named by rules (such as "
                   "tume-voip) are not recognised; {}\n",
                   options_.config_path.empty()
                       ? "give -c FILE (config/ottscope.yaml loads config/rules.d/)"
                       : "the configuration's rules.files match no app");
}

// "configuration FILE: 2 rule apps from 1 rule file", for the start line.
std::string Appliance::rules_note() const {
    const uint64_t apps = reloader_->status().apps.load();
    const uint64_t files = reloader_->status().rule_files.load();
    return fmt::format("{}: {} rule app{} from {} rule file{}",
                       describe_config({options_.config_path, options_.config_origin}), apps,
                       apps == 1 ? "" : "s", files, files == 1 ? "" : "s");
}

}  // namespace ottscope
