#include "rule_publisher.h"

#include <rte_rcu_qsbr.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>

namespace ottscope {

RulePublisher::RulePublisher(unsigned max_workers) {
    const size_t size = rte_rcu_qsbr_get_memsize(max_workers);
    // Plain heap memory: the EAL may not be up yet when rules are first loaded, and the
    // QSBR variable is only touched by this process's threads.
    qsbr_ = static_cast<rte_rcu_qsbr*>(std::aligned_alloc(
        RTE_CACHE_LINE_SIZE, (size + RTE_CACHE_LINE_SIZE - 1) & ~size_t{RTE_CACHE_LINE_SIZE - 1}));
    if (qsbr_ == nullptr || rte_rcu_qsbr_init(qsbr_, max_workers) != 0) {
        std::free(qsbr_);
        throw std::runtime_error("cannot set up RCU for " + std::to_string(max_workers) +
                                 " workers");
    }
}

RulePublisher::~RulePublisher() {
    std::free(qsbr_);
}

void RulePublisher::worker_online(unsigned worker) noexcept {
    rte_rcu_qsbr_thread_register(qsbr_, worker);
    rte_rcu_qsbr_thread_online(qsbr_, worker);
}

void RulePublisher::worker_offline(unsigned worker) noexcept {
    rte_rcu_qsbr_thread_offline(qsbr_, worker);
    rte_rcu_qsbr_thread_unregister(qsbr_, worker);
}

void RulePublisher::quiescent(unsigned worker) noexcept {
    rte_rcu_qsbr_quiescent(qsbr_, worker);
}

void RulePublisher::publish(std::unique_ptr<const RuleSet> rules) {
    std::lock_guard lock(publish_mutex_);
    current_.store(rules.get(), std::memory_order_release);
    // Every online worker passes a quiescent state within a burst, unless it waits on the
    // wait hook's work; offline ones hold nothing.
    const uint64_t token = rte_rcu_qsbr_start(qsbr_);
    while (rte_rcu_qsbr_check(qsbr_, token, false) == 0) {
        if (wait_hook_) wait_hook_();
        std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    owned_ = std::move(rules);  // frees the previous set
}

}  // namespace ottscope
