#pragma once
// Everything the control plane reads from the dataplane: the per-lcore counter blocks and the
// port list. Workers write their blocks; the control side only reads, at any time.

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "classifiers/app_catalog.h"
#include "control/export/ipfix_export_set.h"
#include "control/export/record_sink_stats.h"
#include "control/rule_reloader.h"
#include "dataplane/counters.h"
#include "dataplane/flow_snapshot.h"
#include "dataplane/ports.h"

struct rte_ring;

namespace ottscope {

class KeyLogStore;

struct RxSlot {
    std::string port;
    uint16_t port_id = 0;
    uint16_t queue = 0;
    const RxCounters* counters = nullptr;
};

struct RingSlot {
    std::string name;  // in_w1: receiver to worker 1; rec_w0: worker 0's finished flows
    const rte_ring* ring = nullptr;
};

struct StatsView {
    std::vector<const WorkerCounters*> workers;
    const WorkerCounters* fanout = nullptr;  // its own drops (shutdown), if it exists
    // Who read the single-queue ports: "receiver" (worker 0), "dedicated" (the fan-out
    // lcore) or "none" (one worker, or multi-queue ports only); worker 0's share if receiver.
    std::string fanout_mode = "none";
    double receiver_share = 0;
    std::vector<RxSlot> rx;
    std::vector<Port> ports;
    const AppCatalog* catalog = nullptr;
    const ReloadStatus* reloads = nullptr;
    const KeyLogStore* keylog = nullptr;  // TLS key log; its metrics only when one is set
    std::vector<std::string> classifier_names;
    // Whether an option of a classifier (by registry index) is set in the configuration in
    // force, for families declared shown_with_option; null: every family is shown.
    std::function<bool(size_t classifier, std::string_view option)> option_set;
    std::vector<RingSlot> rings;
    std::vector<FlowSnapshotMailbox*> top_flows;  // one per worker, same order as `workers`
    std::vector<std::string> zone_names;          // port name of each flow zone
    uint32_t flow_capacity = 0;                   // per worker
    const IpfixExportSet* exports = nullptr;      // IPFIX collectors, if export is on
    const RecordSinkStats* jsonl = nullptr;       // the --flows-out writer, if there is one
};

struct AppTotals {
    uint16_t app = 0;
    uint64_t flows = 0;
    uint64_t active_flows = 0;
    uint64_t packets[2] = {};
    uint64_t bytes[2] = {};
    // Decided flows by (deciding classifier, confidence): classifier * kConfidenceLevels +
    // confidence.
    std::vector<uint64_t> verdicts;
};

struct Totals {
    std::vector<AppTotals> apps;  // apps with any traffic, most bytes first
    std::array<uint64_t, index_of(DropReason::count)> drops{};
    std::array<uint64_t, index_of(DecodeError::count)> decode_errors{};
    std::array<uint64_t, index_of(FlowEnd::count)> evictions{};
    std::array<uint64_t, index_of(StreamEvent::count)> stream_events{};
    uint64_t stream_delivered_bytes = 0;
    uint64_t received = 0;  // packets the ports delivered, plus those they lost for want of mbufs
    uint64_t counted = 0;   // under apps plus under drop reasons
};

// Sums the counter blocks. Port-level losses (rx_nombuf) are read from the ports.
Totals sum_totals(const StatsView& view);

}  // namespace ottscope
