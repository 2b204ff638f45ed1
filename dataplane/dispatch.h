#pragma once
// Single-queue ports (the pcap vdev, simple virtual NICs) have no RSS to spread their packets:
// one lcore reads them and hands each packet to the worker that owns its flow. That lcore is
// either worker 0 itself, which keeps its own flows' packets (the receiver worker), or an
// lcore of its own (the dedicated fan-out); the Dispatcher is the part both run.
//
// A flow's owner comes from a symmetric hash of its addresses, so both directions and every
// fragment of a datagram meet in one worker, through a small redirection table as on a NIC
// (the RETA): bucket = hash % 256, each bucket names a worker. The table lets the shares
// differ: the receiver worker also pays for reading and sorting, so it takes fewer flows.

#include <array>
#include <atomic>
#include <cstdint>
#include <span>
#include <vector>

#include "rx_poller.h"

struct rte_mbuf;
struct rte_mempool;
struct rte_ring;

namespace ottscope {

constexpr size_t kRedirectionBuckets = 256;
constexpr uint16_t kNoWorker = UINT16_MAX;

class RedirectionTable {
public:
    RedirectionTable() = default;
    // Worker w gets a number of buckets in proportion to shares[w] (every worker at least
    // one), spread over the table. Throws std::invalid_argument for more workers than
    // buckets or a share that is not above 0.
    explicit RedirectionTable(std::span<const double> shares);

    [[nodiscard]] uint16_t worker_of(uint32_t hash) const noexcept {
        return buckets_[hash % kRedirectionBuckets];
    }
    [[nodiscard]] size_t buckets_of(uint16_t worker) const noexcept;
    [[nodiscard]] size_t workers() const noexcept { return workers_; }

private:
    std::array<uint16_t, kRedirectionBuckets> buckets_{};
    size_t workers_ = 1;
};

// The shares of the workers: `receiver_share` for worker 0 when it does the receiving
// (kNoWorker: a dedicated lcore receives and every worker weighs 1).
std::vector<double> worker_shares(size_t workers, uint16_t receiver, double receiver_share);

// The hash that places a packet: its flow key with the ports left out (fragments carry
// none). A frame that does not decode has no flow: its port number stands in.
uint32_t dispatch_hash(const rte_mbuf* mbuf, const PortView& port) noexcept;

struct DispatchSetup {
    std::vector<RxQueueRef> queues;  // the single-queue ports' queues
    std::vector<rte_ring*> rings;    // rings[w] feeds worker w; null for `self`
    RedirectionTable table;
    std::array<PortView, kMaxPorts> ports{};
    rte_mempool* pool = nullptr;
    uint16_t self = kNoWorker;          // the worker that receives, if a worker does
    std::atomic<bool>* done = nullptr;  // set once nothing more will be put in any ring
};

// Owned by the one lcore that reads the queues; only it enqueues to the rings.
class Dispatcher {
public:
    explicit Dispatcher(DispatchSetup setup);

    // One step: received packets of other workers' flows go to their rings, those of
    // `self` are left at the start of `own` (room for kBurstSize), and their count is
    // returned. A ring without room makes the dispatcher hold the rest and read nothing
    // more until a later step has placed it: the lcore never waits here, so a receiver
    // worker keeps reporting quiescent states and handling its own flows meanwhile.
    // Once `stopping`, nothing more is read and what no ring takes at once is freed,
    // counted in `counters` as DropReason::shutdown. `moved`: packets were read or placed.
    uint16_t poll(rte_mbuf** own, bool stopping, WorkerCounters& counters, bool& moved) noexcept;

    // Nothing more will be sent (queues finished or stopping, nothing held); `done` is set.
    [[nodiscard]] bool finished() const noexcept { return finished_; }

private:
    struct Batch {
        std::array<rte_mbuf*, kBurstSize> mbufs{};
        uint16_t count = 0;
        uint16_t sent = 0;
    };
    [[nodiscard]] uint16_t worker_of(const rte_mbuf* mbuf) const noexcept;
    bool flush() noexcept;
    void discard(WorkerCounters& counters) noexcept;
    void finish() noexcept;

    DispatchSetup setup_;
    RxPoller poller_;
    std::vector<Batch> batches_;  // one per worker
    unsigned held_ = 0;           // packets in batches that no ring has taken yet
    bool finished_ = false;
};

}  // namespace ottscope
