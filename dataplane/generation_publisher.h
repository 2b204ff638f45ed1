#pragma once
// The one way new state reaches the workers: hands the current Generation (rules, key log,
// nDPI modules) to the workers and retires old ones safely. Workers read one pointer per
// burst and report a quiescent state between bursts (DPDK's QSBR RCU); the control side swaps
// the pointer and waits until every online worker has passed a quiescent state. Workers never
// lock or wait for a publication.
//
// A generation is freed only after the grace period of the publication after next: by then
// every worker has adopted a newer one and dropped its own references to what the old one
// held (a key log snapshot), so the last reference, and the cost of freeing it, stays on the
// control side.

#include <array>
#include <atomic>
#include <memory>
#include <mutex>

#include "classifiers/generation.h"

struct rte_rcu_qsbr;

namespace ottscope {

class GenerationPublisher {
public:
    explicit GenerationPublisher(unsigned max_workers);
    ~GenerationPublisher();
    GenerationPublisher(const GenerationPublisher&) = delete;
    GenerationPublisher& operator=(const GenerationPublisher&) = delete;

    // Worker side, on the worker's own lcore.
    void worker_online(unsigned worker) noexcept;
    void worker_offline(unsigned worker) noexcept;
    [[nodiscard]] const Generation* current() const noexcept {
        return current_.load(std::memory_order_acquire);
    }
    // Between bursts: the worker holds no pointer into a generation it read before, other
    // than the shared references its classifiers took when they adopted it.
    void quiescent(unsigned worker) noexcept;

    // Control side: makes `generation` current; returns once every online worker has passed a
    // quiescent state since, having freed the generation before the previous one. Safe from
    // any non-worker thread; publications are serialised.
    void publish(std::unique_ptr<const Generation> generation);
    [[nodiscard]] std::shared_ptr<const RuleSet> current_rules() const;

private:
    rte_rcu_qsbr* qsbr_ = nullptr;
    std::atomic<const Generation*> current_{nullptr};
    // [0]: the previous generation, [1]: the current one.
    std::array<std::unique_ptr<const Generation>, 2> kept_;
    mutable std::mutex publish_mutex_;
};

}  // namespace ottscope
