#pragma once
// One worker run in a test: frames go in through the worker's input ring (the ring the
// fan-out lcore feeds) with capture timestamps, flow records come out of its record ring.
// Needs the EAL (tests/test_main.cpp).

#include <gtest/gtest.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <atomic>
#include <cstring>
#include <string>
#include <vector>

#include "dataplane/worker.h"

namespace ottscope::test {

class WorkerRun {
public:
    explicit WorkerRun(uint32_t capacity = 64, FlowTimeouts timeouts = {})
        : id_(std::to_string(next_id_++)) {
        pool_ = rte_pktmbuf_pool_create(("lc_pool" + id_).c_str(), 1023, 0, 0,
                                        RTE_MBUF_DEFAULT_BUF_SIZE, 0);
        input_ = rte_ring_create(("lc_in" + id_).c_str(), 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
        records_ = rte_ring_create_elem(("lc_rec" + id_).c_str(), sizeof(FlowRecord), 1024, 0,
                                        RING_F_SP_ENQ | RING_F_SC_DEQ);
        rte_mbuf_dyn_rx_timestamp_register(&timestamp_offset_, &timestamp_flag_);
        setup_.input_ring = input_;
        setup_.input_done = &input_done_;
        setup_.record_ring = records_;
        setup_.stop = &stop_;
        setup_.pool = pool_;
        setup_.flow_capacity = capacity;
        setup_.timeouts = timeouts;
        setup_.counters = &counters_;
        setup_.timestamp_offset = timestamp_offset_;
        setup_.timestamp_flag = timestamp_flag_;
    }
    ~WorkerRun() {
        rte_ring_free(records_);
        rte_ring_free(input_);
        rte_mempool_free(pool_);
    }
    WorkerRun(const WorkerRun&) = delete;
    WorkerRun& operator=(const WorkerRun&) = delete;

    void send(const std::vector<uint8_t>& frame, uint64_t time_us) {
        rte_mbuf* m = rte_pktmbuf_alloc(pool_);
        ASSERT_NE(m, nullptr);
        std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size())), frame.data(),
                    frame.size());
        *RTE_MBUF_DYNFIELD(m, timestamp_offset_, rte_mbuf_timestamp_t*) = time_us;
        m->ol_flags |= timestamp_flag_;
        ASSERT_EQ(rte_ring_enqueue(input_, m), 0);
        ++sent_;
    }

    // Runs the worker over everything sent; returns the flow records in the order written.
    std::vector<FlowRecord> finish() {
        input_done_.store(true);
        Worker worker(setup_);
        worker.run();
        std::vector<FlowRecord> out;
        FlowRecord record;
        while (rte_ring_dequeue_elem(records_, &record, sizeof(record)) == 0) out.push_back(record);
        return out;
    }

    [[nodiscard]] const WorkerCounters& counters() const { return counters_; }
    // What the worker is made with, for tests that give it rules or classifier options.
    WorkerSetup& setup() { return setup_; }
    [[nodiscard]] uint64_t evictions(FlowEnd reason) const {
        return counters_.evictions[index_of(reason)].read();
    }
    // Every packet taken in is counted under an app or a drop reason.
    [[nodiscard]] bool conserved() const {
        uint64_t counted = 0;
        for (const AppCounters& app : counters_.apps)
            counted += app.packets[0].read() + app.packets[1].read();
        for (const Counter& drop : counters_.drops) counted += drop.read();
        return counted == sent_ && counters_.packets.read() == sent_;
    }

private:
    static inline int next_id_ = 0;
    std::string id_;
    rte_mempool* pool_ = nullptr;
    rte_ring* input_ = nullptr;
    rte_ring* records_ = nullptr;
    std::atomic<bool> input_done_{false};
    std::atomic<bool> stop_{false};
    int timestamp_offset_ = -1;
    uint64_t timestamp_flag_ = 0;
    WorkerCounters counters_;
    WorkerSetup setup_;
    uint64_t sent_ = 0;
};

}  // namespace ottscope::test
