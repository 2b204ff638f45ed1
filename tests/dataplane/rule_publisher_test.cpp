#include "dataplane/rule_publisher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

namespace ottscope {
namespace {

std::unique_ptr<const RuleSet> rules_version(uint64_t version) {
    return std::make_unique<const RuleSet>(std::vector<AppRule>{}, version, "digest");
}

TEST(RulePublisher, APublicationWaitingForAWorkerKeepsCallingItsWaitHook) {
    // The worker stands for one stalled on a full flow-record ring: it passes no quiescent
    // state until the waiting thread does what only it does (drains the ring; here, the hook
    // releases it). A blind wait would never return.
    RulePublisher publisher(1);
    publisher.publish(rules_version(1));
    std::atomic<bool> online{false};
    std::atomic<bool> released{false};
    std::atomic<bool> stop{false};
    std::thread worker([&] {
        publisher.worker_online(0);
        publisher.quiescent(0);
        online.store(true);
        while (!released.load()) std::this_thread::yield();  // stalled, holding the rules
        while (!stop.load()) {
            publisher.quiescent(0);
            std::this_thread::yield();
        }
        publisher.worker_offline(0);
    });
    while (!online.load()) std::this_thread::yield();
    std::atomic<unsigned> hook_calls{0};
    publisher.set_wait_hook([&] {
        if (++hook_calls == 3) released.store(true);
    });
    publisher.publish(rules_version(2));
    EXPECT_GE(hook_calls.load(), 3u);
    EXPECT_EQ(publisher.current()->version(), 2u);
    stop.store(true);
    worker.join();
}

}  // namespace
}  // namespace ottscope
