#include "generation_publisher.h"

#include <rte_rcu_qsbr.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>

namespace ottscope {

GenerationPublisher::GenerationPublisher(unsigned max_workers) {
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

GenerationPublisher::~GenerationPublisher() {
    std::free(qsbr_);
}

void GenerationPublisher::worker_online(unsigned worker) noexcept {
    rte_rcu_qsbr_thread_register(qsbr_, worker);
    rte_rcu_qsbr_thread_online(qsbr_, worker);
}

void GenerationPublisher::worker_offline(unsigned worker) noexcept {
    rte_rcu_qsbr_thread_offline(qsbr_, worker);
    rte_rcu_qsbr_thread_unregister(qsbr_, worker);
}

void GenerationPublisher::quiescent(unsigned worker) noexcept {
    rte_rcu_qsbr_quiescent(qsbr_, worker);
}

void GenerationPublisher::publish(std::unique_ptr<const Generation> generation) {
    std::lock_guard lock(publish_mutex_);
    current_.store(generation.get(), std::memory_order_release);
    // Workers never wait for anything but their own queues, so every online worker passes a
    // quiescent state within a burst; offline ones hold nothing.
    const uint64_t token = rte_rcu_qsbr_start(qsbr_);
    while (rte_rcu_qsbr_check(qsbr_, token, false) == 0)
        std::this_thread::sleep_for(std::chrono::microseconds(50));
    std::unique_ptr<const Generation> oldest = std::move(kept_[0]);
    kept_[0] = std::move(kept_[1]);
    kept_[1] = std::move(generation);
    // `oldest` is freed here, on the publishing thread.
}

std::shared_ptr<const RuleSet> GenerationPublisher::current_rules() const {
    std::lock_guard lock(publish_mutex_);
    return kept_[1] ? kept_[1]->rules : nullptr;
}

}  // namespace ottscope
