#include "topology.h"

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <fmt/format.h>

#include <string>
#include <utility>

#include "dataplane/eal.h"
#include "dataplane/mbuf_pool.h"

namespace ottscope {
namespace {

std::array<PortView, kMaxPorts> port_views(const std::vector<Port>& ports) {
    std::array<PortView, kMaxPorts> views{};
    for (const Port& port : ports) {
        if (port.id >= kMaxPorts)
            throw StartupError("port id " + std::to_string(port.id) + " too large");
        views[port.id] = PortView{port.link, port.zone};
    }
    return views;
}

}  // namespace

void Topology::start(const StartupPlan& plan, const std::vector<PortConfig>& ports) {
    start_eal(plan.eal);
    const uint64_t mbufs = plan.mbufs.total();
    pool_ = make_mbuf_pool("ottscope_mbufs",
                           MbufPoolShape{static_cast<unsigned>(mbufs), plan.mbuf_cache,
                                         static_cast<int>(rte_socket_id()), plan.packed_mbufs});
    if (pool_ == nullptr)
        throw StartupError(
            fmt::format("cannot allocate {} packet buffers: {} (raise dataplane.memory_mb)", mbufs,
                        rte_strerror(rte_errno)));
    ports_ = start_ports(ports, static_cast<uint16_t>(plan.workers), pool_);

    timestamp_offset_ = rte_mbuf_dynfield_lookup(RTE_MBUF_DYNFIELD_TIMESTAMP_NAME, nullptr);
    const int timestamp_bit = rte_mbuf_dynflag_lookup(RTE_MBUF_DYNFLAG_RX_TIMESTAMP_NAME, nullptr);
    timestamp_flag_ = timestamp_bit >= 0 ? (1ULL << timestamp_bit) : 0;
    if (timestamp_bit < 0) timestamp_offset_ = -1;
}

void Topology::assign_queues(const QueuePlan& queues, StatsView& view) {
    views_ = port_views(ports_);
    queues_ = queues;
    worker_queues_.assign(queues.input_ring.size(), {});
    for (const RxAssignment& rx : queues.rx) {
        const Port& port = ports_[rx.port];
        rx_counters_.push_back(std::make_unique<RxCounters>());
        const RxQueueRef ref{
            port.id,
            rx.queue,
            port.finite,
            rx.queue < port.expected_packets.size() ? port.expected_packets[rx.queue] : nullptr,
            rx_counters_.back().get(),
            port.rx_queues == 1};
        view.rx.push_back(RxSlot{port.name, port.id, rx.queue, rx_counters_.back().get()});
        if (rx.worker == kNoWorker)
            fanout_queues_.push_back(ref);
        else
            worker_queues_[rx.worker].push_back(ref);
    }
    table_ = RedirectionTable(queues.shares);
    view.fanout_mode = queues.fanout_mode_name();
    view.receiver_share = queues.receiver_share;
}

rte_ring* Topology::make_input_ring(unsigned worker, const StartupPlan& plan, StatsView& view) {
    const std::string name = "in_w" + std::to_string(worker);
    rte_ring* ring =
        rte_ring_create(name.c_str(), plan.input_ring_size, static_cast<int>(rte_socket_id()),
                        RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (ring == nullptr)
        throw StartupError("cannot create worker ring: " + std::string(rte_strerror(rte_errno)));
    input_rings_.push_back(ring);
    view.rings.push_back(RingSlot{name, ring});
    return ring;
}

rte_ring* Topology::make_record_ring(unsigned worker, const StartupPlan& plan, StatsView& view) {
    const std::string name = "rec_w" + std::to_string(worker);
    rte_ring* ring =
        rte_ring_create_elem(name.c_str(), sizeof(FlowRecord), plan.record_ring_size,
                             static_cast<int>(rte_socket_id()), RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (ring == nullptr)
        throw StartupError("cannot create record ring: " + std::string(rte_strerror(rte_errno)));
    record_rings_.push_back(ring);
    view.rings.push_back(RingSlot{name, ring});
    return ring;
}

WorkerSetup Topology::worker_setup(unsigned worker, const StartupPlan& plan,
                                   const WorkerShared& shared, StatsView& view) {
    worker_counters_.push_back(std::make_unique<WorkerCounters>());
    view.workers.push_back(worker_counters_.back().get());
    top_flows_.push_back(std::make_unique<FlowSnapshotMailbox>());
    view.top_flows.push_back(top_flows_.back().get());
    WorkerSetup setup;
    setup.index = static_cast<uint16_t>(worker);
    setup.queues = worker_queues_[worker];
    setup.stop = shared.stop;
    setup.ports = views_;
    setup.pool = pool_;
    setup.flow_capacity = plan.flow_capacity;
    setup.burst_lookup = plan.burst_lookup;
    setup.timeouts = plan.timeouts;
    setup.classifier_settings = shared.classifiers;
    setup.classifier_options = shared.classifier_options;
    setup.stream = plan.stream;
    setup.counters = worker_counters_.back().get();
    setup.generations = shared.generations;
    setup.top_flows = top_flows_.back().get();
    setup.timestamp_offset = timestamp_offset_;
    setup.timestamp_flag = timestamp_flag_;
    // The receiver worker takes its own flows' packets straight from the burst it read.
    if (queues_.input_ring[worker]) {
        setup.input_ring = make_input_ring(worker, plan, view);
        setup.input_done = &fanout_done_;
    } else if (queues_.fanout_used) {
        input_rings_.push_back(nullptr);
    }
    if (plan.record_rings) setup.record_ring = make_record_ring(worker, plan, view);
    return setup;
}

void Topology::build_workers(const StartupPlan& plan, const WorkerShared& shared, StatsView& view) {
    std::vector<WorkerSetup> setups;
    for (unsigned w = 0; w < plan.workers; ++w)
        setups.push_back(worker_setup(w, plan, shared, view));
    // Built once every ring exists: the receiver worker's dispatcher needs them all.
    DispatchSetup dispatch;
    dispatch.queues = fanout_queues_;
    dispatch.rings = input_rings_;
    dispatch.table = table_;
    dispatch.ports = views_;
    dispatch.pool = pool_;
    dispatch.self = queues_.receiver ? 0 : kNoWorker;
    dispatch.done = &fanout_done_;
    if (queues_.receiver) setups[0].dispatch = dispatch;  // a copy: the fan-out branch moves it
    for (WorkerSetup& setup : setups)
        workers_.push_back(std::make_unique<Worker>(std::move(setup)));
    if (queues_.dedicated_fanout) build_fanout(std::move(dispatch), shared.stop, view);
}

void Topology::build_fanout(DispatchSetup dispatch, const std::atomic<bool>* stop,
                            StatsView& view) {
    fanout_counters_ = std::make_unique<WorkerCounters>();
    view.fanout = fanout_counters_.get();
    FanoutSetup setup;
    setup.dispatch = std::move(dispatch);
    setup.stop = stop;
    setup.counters = fanout_counters_.get();
    fanout_ = std::make_unique<Fanout>(std::move(setup));
}

namespace {

std::vector<std::pair<lcore_function_t*, void*>> lcore_roles(
    Fanout* fanout, const std::vector<std::unique_ptr<Worker>>& workers) {
    std::vector<std::pair<lcore_function_t*, void*>> roles;
    if (fanout) roles.emplace_back(&Fanout::launch, fanout);
    for (const auto& worker : workers) roles.emplace_back(&Worker::launch, worker.get());
    return roles;
}

}  // namespace

void Topology::launch(std::atomic<bool>& stop) {
    const auto roles = lcore_roles(fanout_.get(), workers_);
    size_t next = 1;
    unsigned lcore = 0;
    RTE_LCORE_FOREACH_WORKER(lcore) {
        if (next == roles.size()) break;
        rte_eal_remote_launch(roles[next].first, roles[next].second, lcore);
        ++next;
    }
    if (next != roles.size()) {
        stop.store(true);
        fmt::print(stderr, "ottscope: only {} lcores for {} roles\n", next, roles.size());
    }
}

void Topology::run_main_lcore() {
    const auto roles = lcore_roles(fanout_.get(), workers_);
    roles[0].first(roles[0].second);
    rte_eal_mp_wait_lcore();
    for (const auto& worker : workers_)
        if (!worker->finished()) throw StartupError("a worker lcore ended without finishing");
    if (fanout_ && !fanout_->finished())
        throw StartupError("the fan-out lcore ended without finishing");
}

uint64_t Topology::lost_for_want_of_mbufs(const Port& port) {
    rte_eth_stats stats{};
    rte_eth_stats_get(port.id, &stats);
    return stats.rx_nombuf;
}

void Topology::stop() {
    fanout_.reset();
    stop_ports(ports_);
}

}  // namespace ottscope
