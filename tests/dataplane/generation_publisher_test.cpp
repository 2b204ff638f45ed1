#include "dataplane/generation_publisher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

namespace ottscope {
namespace {

using namespace std::chrono_literals;

// A generation whose key log tells when it is freed: the key log outlives the generation only
// through references the test holds (none here).
struct Watched {
    std::unique_ptr<const Generation> generation;
    std::weak_ptr<const tls::KeyLog> keylog;
};

Watched generation_version(uint64_t version) {
    auto generation = std::make_unique<Generation>();
    generation->rules_version = version;
    generation->rules = std::make_shared<const RuleSet>(std::vector<AppRule>{}, version, "digest");
    auto keylog = std::make_shared<const tls::KeyLog>(std::vector<tls::KeyLogEntry>{});
    Watched watched{nullptr, keylog};
    generation->tls_keylog = std::move(keylog);
    watched.generation = std::move(generation);
    return watched;
}

// A worker on its own thread that reads the current generation at every step and reports a
// quiescent state only when the test lets it, standing for a long burst.
class SlowWorker {
public:
    explicit SlowWorker(GenerationPublisher& publisher) : publisher_(publisher) {
        thread_ = std::thread([this] {
            publisher_.worker_online(0);
            while (!stop_.load()) {
                seen_.store(publisher_.current());
                if (let_pass_.exchange(false)) {
                    publisher_.quiescent(0);
                    ++passes_;
                }
                std::this_thread::yield();
            }
            publisher_.worker_offline(0);
        });
    }
    ~SlowWorker() {
        stop_.store(true);
        thread_.join();
    }
    void pass() {
        const unsigned before = passes_.load();
        let_pass_.store(true);
        while (passes_.load() == before) std::this_thread::yield();
    }
    std::atomic<bool>& let_pass() { return let_pass_; }
    [[nodiscard]] const Generation* seen() const { return seen_.load(); }

private:
    GenerationPublisher& publisher_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> let_pass_{false};
    std::atomic<unsigned> passes_{0};
    std::atomic<const Generation*> seen_{nullptr};
    std::thread thread_;
};

TEST(GenerationPublisher, APublicationWaitsForEveryOnlineWorkerToPassAQuiescentState) {
    GenerationPublisher publisher(1);
    publisher.publish(generation_version(1).generation);
    SlowWorker worker(publisher);
    worker.pass();  // online and past a quiescent state
    std::atomic<bool> published{false};
    std::thread control([&] {
        publisher.publish(generation_version(2).generation);
        published.store(true);
    });
    std::this_thread::sleep_for(100ms);
    EXPECT_FALSE(published.load()) << "returned while the worker was still inside a burst";
    EXPECT_EQ(publisher.current()->rules_version, 2u);  // new bursts read the new one at once
    worker.let_pass().store(true);
    control.join();
    EXPECT_TRUE(published.load());
}

TEST(GenerationPublisher, AGenerationIsFreedOnlyAfterTheGracePeriodOfThePublicationAfterNext) {
    GenerationPublisher publisher(1);
    Watched first = generation_version(1);
    const std::weak_ptr<const tls::KeyLog> first_keylog = first.keylog;
    publisher.publish(std::move(first.generation));
    SlowWorker worker(publisher);
    worker.pass();

    auto publish_in_background = [&](uint64_t version) {
        return std::thread(
            [&publisher, version] { publisher.publish(generation_version(version).generation); });
    };
    // Generation 2: generation 1 is the previous one, still kept.
    std::thread second = publish_in_background(2);
    std::this_thread::sleep_for(50ms);
    EXPECT_FALSE(first_keylog.expired()) << "freed while the worker could still read it";
    worker.let_pass().store(true);
    second.join();
    EXPECT_FALSE(first_keylog.expired()) << "the previous generation must outlive one more grace";

    // Generation 3: only once its grace period has passed is generation 1 freed.
    std::thread third = publish_in_background(3);
    std::this_thread::sleep_for(50ms);
    EXPECT_FALSE(first_keylog.expired()) << "freed before the worker passed a quiescent state";
    worker.let_pass().store(true);
    third.join();
    EXPECT_TRUE(first_keylog.expired());
    EXPECT_EQ(publisher.current()->rules_version, 3u);
}

TEST(GenerationPublisher, OfflineWorkersHoldNothingUp) {
    GenerationPublisher publisher(4);
    for (uint64_t version = 1; version <= 5; ++version)
        publisher.publish(generation_version(version).generation);
    EXPECT_EQ(publisher.current()->rules_version, 5u);
    EXPECT_EQ(publisher.current_rules()->version(), 5u);
}

}  // namespace
}  // namespace ottscope
