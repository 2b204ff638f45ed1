#include "plan.h"

#include <rte_config.h>  // RTE_MAX_ETHPORTS, RTE_LIBRTE_IP_FRAG_MAX_FRAG: build constants

#include <fmt/format.h>

#include <algorithm>
#include <regex>

#include "classifiers/registry.h"
#include "config/memory_estimate.h"
#include "dataplane/classifier_slots.h"
#include "dataplane/flow_record.h"
#include "dataplane/fragment_reassembler.h"
#include "dataplane/rx_poller.h"

namespace ottscope {

unsigned worker_count(std::optional<unsigned> requested, unsigned configured, unsigned automatic) {
    const unsigned workers = requested.value_or(configured != 0 ? configured : automatic);
    if (workers == 0) throw StartupError("--workers must be at least 1");
    return workers;
}

bool is_pci_address(const std::string& device) {
    static const std::regex pci(R"(^([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$)");
    return std::regex_match(device, pci);
}

std::string pcap_vdev(size_t index, const std::vector<std::string>& paths, bool forever) {
    std::string device = fmt::format("net_pcap{}", index);
    for (const std::string& path : paths) {
        if (path.find_first_of(",=") != std::string::npos)
            throw StartupError(path +
                               ": capture paths with ',' or '=' cannot be passed to the pcap "
                               "vdev; rename or link the file");
        device += ",rx_pcap=" + path;
    }
    return device + (forever ? ",infinite_rx=1" : "");
}

std::vector<PortConfig> configured_ports(const Config& config) {
    std::vector<PortConfig> ports;
    for (const PortSettings& settings : config.ports) {
        if (is_pci_address(settings.device) && !config.hugepages)
            throw StartupError("port " + settings.name + " is the PCI device " + settings.device +
                               ": NIC ports need hugepages (set dataplane.hugepages: true)");
        PortConfig port;
        port.name = settings.name;
        port.device = settings.device;
        const auto link =
            std::find_if(kLinkTypeNames.begin(), kLinkTypeNames.end(),
                         [&](const auto& entry) { return entry.name == settings.link; });
        if (link == kLinkTypeNames.end())  // the configuration checked it against the same names
            throw StartupError("port " + settings.name + ": unknown link " + settings.link);
        port.link = link->value;
        port.zone = settings.zone;
        ports.push_back(port);
    }
    return ports;
}

PortConfig capture_port(const Config& config, size_t index, const std::vector<std::string>& paths,
                        bool loop) {
    uint16_t zone = 0;
    for (const PortSettings& settings : config.ports)
        zone = std::max<uint16_t>(zone, settings.zone + 1);
    PortConfig port;
    port.name = "pcap" + std::to_string(index);
    port.device = pcap_vdev(index, paths, loop);
    // Each capture is its own observation point: its flows never merge with another's. Files
    // split per queue are one observation point, as one link is whatever queues it has.
    port.zone = static_cast<uint16_t>(zone + index);
    port.replay_forever = loop;
    return port;
}

void check_queue_files(size_t files, unsigned workers) {
    if (files != workers)
        throw StartupError(fmt::format(
            "--pcap-queues gives {} file{} for {} worker{}: it takes one file per worker, each "
            "read by its worker as a queue of its own (give --workers {})",
            files, files == 1 ? "" : "s", workers, workers == 1 ? "" : "s", files));
}

void check_port_count(size_t ports) {
    if (ports == 0)
        throw StartupError("nothing to read: give --pcap FILE or ports in the configuration");
    if (ports > std::min<size_t>(RTE_MAX_ETHPORTS, kMaxPorts))
        throw StartupError(fmt::format("{} ports or captures given; one run takes at most {}",
                                       ports, std::min<size_t>(RTE_MAX_ETHPORTS, kMaxPorts)));
}

namespace {

bool without(const RunOptions& options, std::string_view optimisation) {
    return std::find(options.without.begin(), options.without.end(), optimisation) !=
           options.without.end();
}

// Packet buffers: every RX queue's posted descriptors (at most one queue per worker on
// each port), what each worker can have waiting in its input ring and in its fragment
// table, the reserve a capture port keeps free, and a looping capture preloaded whole.
// Every buffer is touched when the pool is made, so the pool is sized for what this run can
// hold, not for the worst NIC setup, which a short capture run would spend its start filling
// (measured: see README, Performance).
MbufPlan plan_mbufs(const StartupPlan& plan, const StartupFacts& facts) {
    const uint64_t workers = plan.workers;
    MbufPlan mbufs;
    // Virtual ports (pcap, af_packet, null) allocate their mbufs as they receive; only a NIC
    // keeps descriptors posted.
    const auto nic_ports = static_cast<uint64_t>(
        std::count_if(facts.devices.begin(), facts.devices.end(), is_pci_address));
    mbufs.rx_descriptors = uint64_t{kRxDescriptorsPerQueue} * nic_ports * workers;
    mbufs.fragments =
        workers * (uint64_t{FragmentLimits{}.max_datagrams} * RTE_LIBRTE_IP_FRAG_MAX_FRAG);
    // Input rings exist only where packets are placed for other workers (not with one
    // worker, and never for a receiving worker 0).
    mbufs.input_rings =
        workers == 1 ? 0
                     : uint64_t{kInputRingSize} *
                           (plan.fanout_mode == FanoutMode::dedicated ? workers : workers - 1);
    mbufs.reserve = kMbufReserve;
    mbufs.replay = facts.replay_packets;
    // Slack over what queues, rings and fragment tables can hold at once: what each lcore's
    // cache can keep, the burst it has in hand and a receiver's batch for every worker.
    // Sized by the lcores rather than a fixed slack, as every buffer is touched when the pool
    // is made (measured: see README, Performance).
    mbufs.lcore_slack =
        uint64_t{plan.eal.lcores} * (kMbufCache * 3 / 2 + kBurstSize * (plan.workers + 1));
    return mbufs;
}

// A looping capture is preloaded into mbufs by the pcap PMD: the pool, and so the memory,
// make room for all of it.
DpdkMemoryPlan plan_memory(const StartupPlan& plan, const Config& config,
                           const RunOptions& options) {
    const unsigned workers = plan.workers;
    DpdkMemoryPlan memory;
    memory.mbufs_mb = static_cast<unsigned>(plan.mbufs.total() * kMbufFootprint / (1 << 20));
    memory.flow_hashes_mb =
        workers * static_cast<unsigned>(uint64_t{config.flow_capacity} * kFlowHashBytes >> 20);
    memory.per_worker_mb = workers * 64;
    memory.base_mb = 512;
    memory.record_rings_mb =
        options.flows_out.empty()
            ? 0u
            : static_cast<unsigned>(workers * uint64_t{kRecordRingSize} * sizeof(FlowRecord) >> 20);
    memory.configured_mb = config.memory_mb;
    return memory;
}

EalPlan plan_eal(const StartupPlan& plan, const Config& config, const StartupFacts& facts) {
    EalPlan eal;
    // The main lcore takes the first role: worker 0, or the dedicated fan-out.
    eal.lcores =
        plan.workers + (plan.workers > 1 && plan.fanout_mode == FanoutMode::dedicated ? 1 : 0);
    eal.hugepages = config.hugepages;
    eal.extra_args = config.eal_args;
    for (const std::string& device : facts.devices) {
        if (!is_pci_address(device)) {
            eal.vdevs.push_back(device);
        } else {
            eal.extra_args.push_back("-a");
            eal.extra_args.push_back(device);
        }
    }
    return eal;
}

FlowTimeouts timeouts_of(const Config& config) {
    return FlowTimeouts{.tcp_us = config.tcp_idle_seconds * 1'000'000ULL,
                        .tcp_embryonic_us = config.tcp_embryonic_idle_seconds * 1'000'000ULL,
                        .tcp_closing_us = config.tcp_closing_idle_seconds * 1'000'000ULL,
                        .tcp_closed_us = config.tcp_closed_linger_seconds * 1'000'000ULL,
                        .udp_us = config.udp_idle_seconds * 1'000'000ULL,
                        .other_us = config.other_idle_seconds * 1'000'000ULL};
}

// What the run would take (DPDK's memory, reserved whole at start, and the flow slots each
// worker's table may fill) against what the machine has free.
void check_memory(const StartupPlan& plan, std::optional<uint64_t> available) {
    if (!available || plan.needed_bytes <= *available) return;
    throw StartupError(fmt::format(
        "this run needs about {} MiB ({} MiB of DPDK memory for packet buffers and flow hashes, "
        "{} MiB of flow slots) and the machine has {} MiB available; lower "
        "flow_table.capacity, the worker count or dataplane.memory_mb",
        plan.needed_bytes >> 20, plan.eal.memory_mb, plan.flow_slot_bytes >> 20, *available >> 20));
}

}  // namespace

StartupPlan plan_startup(const Config& config, const RunOptions& options,
                         const StartupFacts& facts) {
    StartupPlan plan;
    plan.workers = facts.workers;
    plan.fanout_mode = without(options, "receiver-worker") ? FanoutMode::dedicated : config.fanout;
    plan.eal = plan_eal(plan, config, facts);
    plan.mbufs = plan_mbufs(plan, facts);
    plan.packed_mbufs = !config.hugepages && !without(options, "packed-mbufs");
    plan.memory = plan_memory(plan, config, options);
    plan.eal.memory_mb = std::max(plan.memory.configured_mb, plan.memory.needed_mb());
    plan.flow_slot_bytes = uint64_t{plan.workers} * config.flow_capacity *
                           (sizeof(Flow) + sizeof(uint32_t) +
                            ClassifierSlots::bytes_per_flow(classifier_registry().size()));
    plan.needed_bytes = (uint64_t{plan.eal.memory_mb} << 20) + plan.flow_slot_bytes;
    plan.flow_capacity = config.flow_capacity;
    plan.timeouts = timeouts_of(config);
    plan.stream =
        StreamSettings{config.stream_depth_bytes, config.stream_max_flows, config.stream_all_tcp};
    plan.burst_lookup = !without(options, "burst-lookup");
    plan.record_rings =
        !options.flows_out.empty() || !options.ipfix.empty() || !config.ipfix_collectors.empty();
    check_memory(plan, facts.available_bytes);
    return plan;
}

const char* QueuePlan::fanout_mode_name() const noexcept {
    return !fanout_used ? "none" : receiver ? "receiver" : "dedicated";
}

QueuePlan plan_queues(const Config& config, const StartupPlan& plan,
                      std::span<const PortQueues> ports) {
    QueuePlan queues;
    for (size_t p = 0; p < ports.size(); ++p) {
        if (ports[p].rx_queues > 1 && ports[p].rx_queues > plan.workers)
            throw StartupError(fmt::format("port {} has {} RX queues for {} workers", p,
                                           ports[p].rx_queues, plan.workers));
        for (uint16_t q = 0; q < ports[p].rx_queues; ++q) {
            const uint16_t worker = ports[p].rx_queues > 1 ? q
                                    : plan.workers > 1     ? kNoWorker
                                                           : uint16_t{0};
            queues.rx.push_back(RxAssignment{p, q, worker});
            if (worker == kNoWorker) queues.fanout_used = true;
        }
    }
    queues.receiver = queues.fanout_used && plan.fanout_mode == FanoutMode::receiver;
    queues.dedicated_fanout = queues.fanout_used && !queues.receiver;
    double share = config.receiver_share;
    if (share == 0) {
        const bool files_only = std::all_of(ports.begin(), ports.end(), [](const PortQueues& port) {
            return port.rx_queues > 1 || port.capture;
        });
        share = files_only ? kCaptureReceiverShare : kPortReceiverShare;
    }
    if (queues.receiver) queues.receiver_share = share;
    queues.shares = worker_shares(plan.workers, queues.receiver ? 0 : kNoWorker, share);
    // The receiver worker takes its own flows' packets straight from the burst it read.
    queues.input_ring.resize(plan.workers);
    for (unsigned w = 0; w < plan.workers; ++w)
        queues.input_ring[w] = queues.fanout_used && !(queues.receiver && w == 0);
    return queues;
}

}  // namespace ottscope
