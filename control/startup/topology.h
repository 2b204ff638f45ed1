#pragma once
// The DPDK objects of a run, built from its plan (plan.h) in the order startup needs them:
// the EAL, the packet-buffer pool and the ports; then a counter block per RX queue and the
// redirection table; then the workers' rings, the workers and the dedicated fan-out lcore
// (single-queue ports are dispatched by worker 0 or by it). Each step fills in what the
// control side reads of it in the StatsView. At the end, the lcores run here.

#include <array>
#include <atomic>
#include <memory>
#include <vector>

#include "classifiers/registry.h"
#include "control/startup/plan.h"
#include "control/stats_view.h"
#include "dataplane/dispatch.h"
#include "dataplane/fanout.h"
#include "dataplane/generation_publisher.h"
#include "dataplane/ports.h"
#include "dataplane/worker.h"

struct rte_mempool;
struct rte_ring;

namespace ottscope {

// What every worker gets beyond the plan.
struct WorkerShared {
    ClassifierSettings classifiers;
    std::vector<ClassifierOptions> classifier_options;  // by registry index
    GenerationPublisher* generations = nullptr;
    const std::atomic<bool>* stop = nullptr;
};

class Topology {
public:
    Topology() = default;
    Topology(const Topology&) = delete;
    Topology& operator=(const Topology&) = delete;

    // Starts the EAL, makes the packet-buffer pool and starts the ports.
    void start(const StartupPlan& plan, const std::vector<PortConfig>& ports);
    // A counter block per RX queue and the redirection table, as `queues` (planned for the
    // ports start() started) assigns them.
    void assign_queues(const QueuePlan& queues, StatsView& view);
    // The workers' rings, the workers and the dedicated fan-out, if there is one.
    void build_workers(const StartupPlan& plan, const WorkerShared& shared, StatsView& view);

    // The lcores: the main lcore takes the first role (the dedicated fan-out when there is
    // one, else worker 0, the receiver of single-queue ports), the others the rest.
    // launch() starts the others; short of lcores it sets `stop` and says so.
    void launch(std::atomic<bool>& stop);
    // Runs the first role on this lcore and waits for every other. Throws StartupError for
    // an lcore that ended without finishing.
    void run_main_lcore();

    [[nodiscard]] const std::vector<Port>& ports() const noexcept { return ports_; }
    [[nodiscard]] const std::vector<rte_ring*>& record_rings() const noexcept {
        return record_rings_;
    }
    // Packets a port lost for want of mbufs (its rx_nombuf).
    [[nodiscard]] static uint64_t lost_for_want_of_mbufs(const Port& port);

    // The workers, for the process exit to free (see run.cpp, LeftToExit).
    std::vector<std::unique_ptr<Worker>> release_workers() { return std::move(workers_); }
    // Drops the fan-out and stops the ports.
    void stop();

private:
    rte_ring* make_input_ring(unsigned worker, const StartupPlan& plan, StatsView& view);
    rte_ring* make_record_ring(unsigned worker, const StartupPlan& plan, StatsView& view);
    WorkerSetup worker_setup(unsigned worker, const StartupPlan& plan, const WorkerShared& shared,
                             StatsView& view);
    void build_fanout(DispatchSetup dispatch, const std::atomic<bool>* stop, StatsView& view);

    rte_mempool* pool_ = nullptr;
    std::vector<Port> ports_;
    int timestamp_offset_ = -1;  // mbuf dynfield with the capture timestamp, if registered
    uint64_t timestamp_flag_ = 0;
    std::array<PortView, kMaxPorts> views_{};
    QueuePlan queues_;
    std::vector<std::vector<RxQueueRef>> worker_queues_;
    std::vector<RxQueueRef> fanout_queues_;
    RedirectionTable table_;
    std::vector<std::unique_ptr<RxCounters>> rx_counters_;
    std::vector<std::unique_ptr<WorkerCounters>> worker_counters_;
    std::vector<std::unique_ptr<FlowSnapshotMailbox>> top_flows_;
    std::unique_ptr<WorkerCounters> fanout_counters_;
    std::vector<rte_ring*> input_rings_;
    std::vector<rte_ring*> record_rings_;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::unique_ptr<Fanout> fanout_;
    std::atomic<bool> fanout_done_{false};  // the receiver (worker 0 or fan-out) sends no more
};

}  // namespace ottscope
