#pragma once
// The plan of a run: every size the appliance starts with, worked out from the configuration,
// the command line and a few facts the caller reads (the devices to read, the packets of a
// looping capture, the memory available, the queues each started port got). Pure: no DPDK
// call, no I/O, no globals. The topology (topology.h) builds the DPDK objects from it.

#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/config.h"
#include "control/run_command.h"
#include "dataplane/dispatch.h"
#include "dataplane/eal.h"
#include "dataplane/flow_table.h"
#include "dataplane/ports.h"
#include "dataplane/stream_reassembler.h"

namespace ottscope {

// A startup that cannot go on; the message is printed as it is after "ottscope: ".
struct StartupError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

constexpr unsigned kInputRingSize = 4096;
// Worker 0's share of the flows when the configuration leaves it open. Reading a capture
// file through libpcap costs several times a NIC's receive, so a receiver that reads files
// keeps the fewest flows it can: one bucket of the redirection table, the fastest of the
// shares tried. A receiver of ports, whose receive costs far less, keeps 0.3, the fastest
// share with packets read from memory (measured: see README, Performance).
constexpr double kCaptureReceiverShare = 1.0 / kRedirectionBuckets;
constexpr double kPortReceiverShare = 0.3;
constexpr unsigned kRecordRingSize = 65536;
// Each lcore's cache in the packet-buffer pool. A cache holds up to one and a half times this
// before it flushes to the pool's ring.
constexpr unsigned kMbufCache = 256;
// Memory reserved per mbuf: data room, mbuf and mempool headers, and the slack the DPDK
// allocator needs for one very large pool, which does not fit in much less than a page per
// mbuf (measured: see README, Performance).
constexpr size_t kMbufFootprint = 4096;

// --- The ports and captures to read ---

// The workers of the run: --workers, else the configuration's, else `automatic` (the
// machine's automatic_workers()). Throws StartupError for 0.
unsigned worker_count(std::optional<unsigned> requested, unsigned configured, unsigned automatic);

// "0000:3b:00.0" or "3b:00.0": a NIC to allow-list; anything else is a vdev argument string.
bool is_pci_address(const std::string& device);

// The pcap vdev that replays capture `index` (forever: --loop): one RX queue per path, in
// order. Throws StartupError for a path the vdev's argument syntax cannot carry.
std::string pcap_vdev(size_t index, const std::vector<std::string>& paths, bool forever);

// The configuration's ports, in order. Throws StartupError for a NIC without hugepages.
std::vector<PortConfig> configured_ports(const Config& config);

// The port that replays capture `index` of the command line, each in a flow zone of its own
// after the configuration's zones: one file, or one per RX queue (--pcap-queues). Its
// captures and counts are the caller's to fill in.
PortConfig capture_port(const Config& config, size_t index, const std::vector<std::string>& paths,
                        bool loop);

// --pcap-queues stands for a NIC whose RSS gives each worker a queue of its own: one file per
// worker. Throws StartupError for any other count.
void check_queue_files(size_t files, unsigned workers);

// Throws StartupError when there is nothing to read or more than one run can take.
void check_port_count(size_t ports);

// --- The sizes ---

// What the plan needs beyond the configuration and the command line, read by the caller.
struct StartupFacts {
    unsigned workers = 1;              // as worker_count() gives it
    std::vector<std::string> devices;  // every port's device (PCI address or vdev), in order
    uint64_t replay_packets = 0;       // the packets of looping captures, preloaded whole
    // The machine's MemAvailable; nullopt when it cannot be read (then nothing is checked).
    std::optional<uint64_t> available_bytes;
};

// The packet-buffer pool, by what its buffers are for.
struct MbufPlan {
    uint64_t rx_descriptors = 0;  // posted by every NIC queue (at most one per worker a port)
    uint64_t fragments = 0;       // what the workers' fragment tables can hold
    uint64_t input_rings = 0;     // what the workers' input rings can hold
    uint64_t reserve = 0;         // kept free by capture ports (kMbufReserve)
    uint64_t replay = 0;          // a looping capture, preloaded whole
    uint64_t lcore_slack = 0;     // each lcore's cache, its burst and a batch for every worker
    [[nodiscard]] uint64_t total() const noexcept {
        return rx_descriptors + fragments + input_rings + reserve + replay + lcore_slack;
    }
};

// DPDK's memory in MiB, by what it is for; the EAL gets the larger of `configured` and the sum.
struct DpdkMemoryPlan {
    unsigned mbufs_mb = 0;         // the pool, kMbufFootprint per buffer
    unsigned flow_hashes_mb = 0;   // every worker's flow hash (kFlowHashBytes per flow)
    unsigned per_worker_mb = 0;    // 64 MiB a worker for its other tables
    unsigned base_mb = 512;        // the EAL, ports and rings
    unsigned record_rings_mb = 0;  // the workers' record rings, with --flows-out
    unsigned configured_mb = 0;    // dataplane.memory_mb
    [[nodiscard]] unsigned needed_mb() const noexcept {
        return mbufs_mb + flow_hashes_mb + per_worker_mb + base_mb + record_rings_mb;
    }
};

struct StartupPlan {
    unsigned workers = 1;
    // Who reads single-queue ports, chosen before the EAL starts (a dedicated fan-out needs
    // an lcore), in use once the ports turn out to include one (QueuePlan::fanout_used).
    FanoutMode fanout_mode = FanoutMode::receiver;
    MbufPlan mbufs;
    unsigned mbuf_cache = kMbufCache;
    // Buffers packed across page boundaries: without hugepages, where only virtual devices
    // run and none reads a buffer by its IO address.
    bool packed_mbufs = false;
    DpdkMemoryPlan memory;
    EalPlan eal;  // lcores, memory_mb, hugepages, vdevs and allow-listed NICs
    // Memory outside DPDK's: every worker's flow slots and their free-slot list.
    uint64_t flow_slot_bytes = 0;
    // What the run takes in all, checked against StartupFacts::available_bytes.
    uint64_t needed_bytes = 0;
    // Each worker.
    uint32_t flow_capacity = 0;
    FlowTimeouts timeouts;
    StreamSettings stream;
    bool burst_lookup = true;
    // Rings: a receiver's ring to each other worker, and each worker's ring of finished flows
    // when anyone wants them (--flows-out, IPFIX).
    unsigned input_ring_size = kInputRingSize;
    unsigned record_ring_size = kRecordRingSize;
    bool record_rings = false;
};

// Throws StartupError when the run needs more memory than the machine has available: refused
// before the EAL starts, with the figures, instead of a death by the OOM killer with no word.
StartupPlan plan_startup(const Config& config, const RunOptions& options,
                         const StartupFacts& facts);

// --- Who polls which queue, once the ports are started ---

// A started port as the queue plan sees it.
struct PortQueues {
    uint16_t rx_queues = 1;  // `workers` where the device has that many, else 1
    bool capture = false;    // it replays a capture file (its count is known)
};

// One RX queue and who polls it: a worker, or kNoWorker for the lcore that reads the
// single-queue ports (worker 0 as receiver, or the dedicated fan-out).
struct RxAssignment {
    size_t port = 0;  // index in the started ports
    uint16_t queue = 0;
    uint16_t worker = 0;
};

struct QueuePlan {
    std::vector<RxAssignment> rx;  // every port's queues, port by port, queue by queue
    // Single-queue ports with several workers: someone places their packets in rings.
    bool fanout_used = false;
    bool receiver = false;          // worker 0 does it (else the dedicated fan-out lcore)
    bool dedicated_fanout = false;  // a fan-out lcore of its own does it
    double receiver_share = 0;      // worker 0's share of the flows when it is the receiver
    std::vector<double> shares;     // each worker's share, for the redirection table
    std::vector<bool> input_ring;   // which workers get their packets through a ring
    // "receiver", "dedicated" or "none", as metrics and the summary show it.
    [[nodiscard]] const char* fanout_mode_name() const noexcept;
};

// Multi-queue ports (RSS, a queue per worker) need no fan-out at all. Throws StartupError
// for a port with more queues than workers.
QueuePlan plan_queues(const Config& config, const StartupPlan& plan,
                      std::span<const PortQueues> ports);

}  // namespace ottscope
