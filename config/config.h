#pragma once
// The appliance configuration: what the YAML file says, validated whole before anything
// starts. Every problem is reported as FILE:LINE:COL: message.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "classifiers/descriptor.h"

namespace ottscope {

// What a port's frames start with (a vdev such as net_pcap on `any` or `nflog:N` gives Linux
// cooked or NFLOG frames): the names of dataplane/link_type.h's LinkType, which config may
// not include; tests/control/startup/plan_test.cpp checks that the two lists agree.
inline constexpr std::string_view kPortLinkNames[] = {
    "ethernet", "raw-ip", "null", "linux-sll", "ppp", "cisco-hdlc", "linux-sll2", "nflog"};

struct PortSettings {
    std::string name;
    std::string device;
    std::string link = "ethernet";  // one of kPortLinkNames
    uint16_t zone = 0;
};

// Who reads single-queue ports (no RSS) when there are several workers.
enum class FanoutMode : uint8_t {
    receiver,   // worker 0, which keeps its own flows and places the others in rings
    dedicated,  // an lcore of its own, which only places packets in rings
};

struct Config {
    Config();
    // dataplane
    unsigned workers = 0;  // 0: every core but one, which is left to the control thread
    FanoutMode fanout = FanoutMode::receiver;
    // Worker 0's weight for flows in receiver mode, each other worker weighing 1: it also pays
    // for reading and placing every packet, so it takes fewer flows. 0 (the default): chosen
    // at start by what is read (see control/startup/plan.h, kCaptureReceiverShare).
    double receiver_share = 0;
    unsigned memory_mb = 512;
    bool hugepages = false;
    std::vector<std::string> eal_args;
    std::vector<PortSettings> ports;
    // flow table (per worker)
    uint32_t flow_capacity = 1u << 20;
    uint32_t tcp_idle_seconds = 300;  // established
    uint32_t tcp_embryonic_idle_seconds = 20;
    uint32_t tcp_closing_idle_seconds = 60;
    uint32_t tcp_closed_linger_seconds = 10;
    uint32_t udp_idle_seconds = 120;
    uint32_t other_idle_seconds = 60;
    // TCP stream reassembly (per worker)
    uint32_t stream_depth_bytes = 16384;  // per direction
    uint32_t stream_max_flows = 4096;
    bool stream_all_tcp = false;
    // classifiers.<name>, by registry index: enabled, budgets and declared options (paths
    // resolved against the configuration's folder).
    std::vector<ClassifierOptions> classifiers;
    // rules: file names or glob patterns, relative to the configuration's folder
    std::vector<std::string> rule_files;
    bool watch_rule_files = true;  // reload when the configuration or a rule file changes
    // control
    std::string metrics_listen = "127.0.0.1:9464";
    // The folder of the configuration file ("" for the built-in defaults).
    std::string directory;
    // Bearer token for mutating API calls (POST /-/reload) when the API listens beyond
    // loopback. Empty: such calls are refused there.
    std::string api_token;
    // IPFIX export (export.ipfix): collectors as udp://HOST:PORT or tcp://HOST:PORT. Read
    // at startup only: a reload reports a change here as needing a restart.
    std::vector<std::string> ipfix_collectors;
    uint32_t ipfix_domain_id = 1;  // observation domain of worker w: domain_id * 256 + w
    bool ipfix_app_names = true;   // options template naming applicationId values
    bool ipfix_enterprise_elements = true;
    // export.ipfix.record_form: false "unidirectional" (two records per flow, the default),
    // true "biflow" (one RFC 5103 record).
    bool ipfix_biflow_records = false;
    uint32_t ipfix_template_refresh_seconds = 60;
    uint32_t ipfix_max_records_per_second = 0;  // 0: unbounded
    uint32_t ipfix_buffer_records = 262144;
};

// The options of the classifier named `name` (a disabled, empty set for an unknown name).
const ClassifierOptions& classifier_options(const Config& config, std::string_view name);
// The nDPI protocols file ("" none) and the TLS key log (SSLKEYLOGFILE format, re-read when
// it changes; "" none), which the control side watches and reads.
std::string ndpi_protocols_file(const Config& config);
std::string tls_keylog_file(const Config& config);

// True when two configurations export differently (what a reload cannot change).
bool ipfix_settings_differ(const Config& a, const Config& b);

struct ConfigResult {
    Config config;
    std::vector<std::string> errors;  // "FILE:LINE:COL: message"
    // Where flow_table.capacity was set ("FILE:LINE:COL"), or the file when it was not: for
    // messages about what it costs (memory_estimate.h).
    std::string flow_capacity_origin;
    [[nodiscard]] bool ok() const noexcept { return errors.empty(); }
};

// Checks of values whose meaning belongs to code outside config/ (which includes nothing of
// control/ or dataplane/): the caller supplies them, and load_config runs each where it meets
// the value, so its message is located there like any other. Each returns "" for a good value,
// else the message. Unset: the value is taken as it is.
struct ConfigChecks {
    // One URL of export.ipfix.collectors (control/export/ipfix_url.h: export_config_checks()).
    std::function<std::string(const std::string& url)> ipfix_collector;
};

// Reads and checks a configuration. Never throws for what the file holds or what the path is
// (a directory, a FIFO, a file too large): those are errors located in it. The nDPI protocols
// file it names must be a regular file of at most kMaxProtocolsFileBytes (file_reader.h).
ConfigResult load_config(const std::string& path, const ConfigChecks& checks);

// Why the flow tables of `config` with `workers` workers (0: automatic_workers()) would not fit
// in this machine's memory (memory_estimate.h), as "ORIGIN: message" ("message" for a result
// not read from a file, such as the built-in defaults); "" when they fit or the memory cannot
// be read. check-config uses it; a start with --workers can too.
std::string flow_memory_error(const ConfigResult& loaded, unsigned workers);
// The built-in defaults, used when no -c is given.
Config default_config();

}  // namespace ottscope
