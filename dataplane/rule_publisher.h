#pragma once
// Hands the current RuleSet to the workers and retires old ones safely. Workers read one
// pointer per burst and report a quiescent state between bursts (DPDK's QSBR RCU); the
// control side swaps the pointer, waits until every online worker has passed a quiescent
// state, and only then frees the old rules. Workers never lock or wait for a reload.

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>

#include "classifiers/rule_set.h"

struct rte_rcu_qsbr;

namespace ottscope {

class RulePublisher {
public:
    explicit RulePublisher(unsigned max_workers);
    ~RulePublisher();
    RulePublisher(const RulePublisher&) = delete;
    RulePublisher& operator=(const RulePublisher&) = delete;

    // Worker side, on the worker's own lcore.
    void worker_online(unsigned worker) noexcept;
    void worker_offline(unsigned worker) noexcept;
    [[nodiscard]] const RuleSet* current() const noexcept {
        return current_.load(std::memory_order_acquire);
    }
    // Between bursts: the worker holds no pointer into the rules it read before.
    void quiescent(unsigned worker) noexcept;

    // Control side: makes `rules` current and frees the previous set once no worker can
    // still be reading it. Safe from any non-worker thread; publications are serialised.
    void publish(std::unique_ptr<const RuleSet> rules);
    // Called again and again while a publication waits for the workers, before any runs: a
    // worker may be held up by what the waiting thread would otherwise do itself (a full
    // flow-record ring the control thread drains), and waiting blind would deadlock.
    void set_wait_hook(std::function<void()> hook) { wait_hook_ = std::move(hook); }

private:
    rte_rcu_qsbr* qsbr_ = nullptr;
    std::atomic<const RuleSet*> current_{nullptr};
    std::unique_ptr<const RuleSet> owned_;
    std::mutex publish_mutex_;
    std::function<void()> wait_hook_;
};

}  // namespace ottscope
