#pragma once
// `ottscope run`: the appliance. Sets up DPDK, ports and workers from the configuration and
// the command line, serves metrics, writes flow records, and at the end of captures prints
// the per-app table and the packet-conservation check. The appliance itself is in
// control/startup/: its plan, its topology, its start and its run (appliance.h).

#include <optional>
#include <string>
#include <vector>

#include "config/default_config_path.h"

namespace ottscope {

struct RunOptions {
    // -c; without it the command line fills in the default (config/default_config_path.h).
    std::string config_path;
    ConfigOrigin config_origin = ConfigOrigin::command_line;
    std::vector<std::string> pcaps;
    // --pcap-queues: one port with an RX queue per file, queue w read by worker w, as a NIC's
    // RSS would deliver the traffic these files hold (one file per worker).
    std::vector<std::string> pcap_queues;
    std::optional<unsigned> workers;
    std::string flows_out;
    std::optional<std::string> metrics_listen;
    bool linger = false;
    bool loop = false;
    bool progress = false;
    bool json_summary = false;       // --output json: the end-of-run summary as one JSON object
    double duration_seconds = 0;     // 0: until the captures end or a signal
    std::vector<std::string> ipfix;  // --ipfix udp://HOST:PORT | tcp://HOST:PORT, validated
    // --tls-keylog: overrides classifiers.tls.keylog_file (on reloads too)
    std::optional<std::string> tls_keylog;
    // --without: optimisations turned off, to measure in one benchmark run what each is
    // worth (names in kOptimisations).
    std::vector<std::string> without;
};

// The optimisations --without can turn off, with what each does.
struct Optimisation {
    const char* name;
    const char* what;
};
inline constexpr Optimisation kOptimisations[] = {
    {"burst-lookup", "flow lookups for a whole burst at once, flows prefetched"},
    {"certificate-cache", "decoded TLS certificates kept per worker"},
    {"fingerprint-memo", "JA3/JA4 digests of texts seen before kept per worker"},
    {"quic-datagram-size",
     "no Initial keys derived for a QUIC flow's first datagram under 1,200 bytes"},
    {"ndpi-lazy-state", "nDPI flow state taken at the first payload, not the first packet"},
    {"ndpi-final-stop", "nDPI stops on a TLS flow once its name can no longer change"},
    {"ndpi-tls-facts", "nDPI names TLS flows from our ClientHello parse, not its own dissection"},
    {"background-count", "capture files counted beside the run, by their record headers"},
    {"receiver-worker", "worker 0 reads single-queue ports itself (no dedicated fan-out lcore)"},
    {"modules-ahead", "nDPI modules built while DPDK starts, on the capture counter's thread"},
    {"packed-mbufs", "packet buffers packed across pages when DPDK runs without hugepages"},
};

// Returns the process exit status.
// `options` must outlive the call's threads: the process (see Appliance::end_reloads).
int run_appliance(const RunOptions& options);

}  // namespace ottscope
