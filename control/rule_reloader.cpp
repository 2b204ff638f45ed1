#include "rule_reloader.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "classifiers/registry.h"
#include "config/error_list.h"
#include "config/rules_loader.h"
#include "control/export/ipfix_url.h"

namespace ottscope {
namespace {

double unix_seconds() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Settings that shape the dataplane itself: a reload cannot change them under running workers.
std::vector<std::string> restart_only_changes(const Config& running, const Config& loaded) {
    std::vector<std::string> changed;
    auto check = [&](bool differs, std::string name) {
        if (differs) changed.push_back(std::move(name));
    };
    check(running.workers != loaded.workers, "dataplane.workers");
    check(running.fanout != loaded.fanout, "dataplane.fanout");
    check(running.receiver_share != loaded.receiver_share, "dataplane.receiver_share");
    check(running.memory_mb != loaded.memory_mb, "dataplane.memory_mb");
    check(running.hugepages != loaded.hugepages, "dataplane.hugepages");
    check(running.eal_args != loaded.eal_args, "dataplane.eal_args");
    check(running.ports.size() != loaded.ports.size(), "ports");
    check(running.flow_capacity != loaded.flow_capacity, "flow_table.capacity");
    check(running.tcp_idle_seconds != loaded.tcp_idle_seconds ||
              running.udp_idle_seconds != loaded.udp_idle_seconds ||
              running.other_idle_seconds != loaded.other_idle_seconds,
          "flow_table.idle_timeout_seconds");
    // Classifiers are made once per worker at start: what makes them needs a restart. Their
    // file options (a protocols file, a key log) are read again on reload.
    const auto registry = classifier_registry();
    for (size_t i = 0; i < registry.size(); ++i) {
        const ClassifierOptions& before = running.classifiers[i];
        const ClassifierOptions& after = loaded.classifiers[i];
        check(before.enabled != after.enabled || before.budget != after.budget ||
                  before.numbers != after.numbers,
              "classifiers." + std::string(registry[i]->name));
    }
    check(running.metrics_listen != loaded.metrics_listen, "control.metrics_listen");
    return changed;
}

}  // namespace

RuleReloader::RuleReloader(std::string config_path, const Config& startup_config,
                           AppCatalog& catalog, GenerationPublisher& publisher,
                           GenerationHooks classifiers, ReloadAppliedHook applied)
    : config_path_(std::move(config_path)),
      startup_config_(startup_config),
      catalog_(catalog),
      publisher_(publisher),
      classifiers_(std::move(classifiers)),
      applied_(std::move(applied)) {}

std::vector<RuleReloader::FileStamp> RuleReloader::stamps(const Config& config) const {
    std::vector<std::string> paths;
    if (!config_path_.empty()) paths.push_back(config_path_);
    if (std::string protocols = ndpi_protocols_file(config); !protocols.empty())
        paths.push_back(std::move(protocols));
    std::vector<std::string> ignored;
    for (std::string& file : rule_files_of(config, ignored)) paths.push_back(std::move(file));
    if (classifiers_.watched_files)
        for (std::string& file : classifiers_.watched_files(config))
            paths.push_back(std::move(file));
    std::vector<FileStamp> result;
    for (std::string& path : paths) {
        FileStamp stamp{std::move(path)};
        struct stat info {};
        if (::stat(stamp.path.c_str(), &info) == 0) {
            stamp.mtime_ns =
                static_cast<int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec;
            stamp.size = info.st_size;
            stamp.inode = info.st_ino;
        }
        result.push_back(std::move(stamp));
    }
    return result;
}

ReloadOutcome RuleReloader::load(const Config& config, bool initial) {
    ReloadOutcome outcome;
    std::vector<std::string> files = rule_files_of(config, outcome.messages);
    if (!outcome.messages.empty()) return outcome;
    // Classifier parts first: a protocols file can add nDPI names that rules refer to.
    auto generation = std::make_unique<Generation>();
    if (classifiers_.prepare) {
        const std::string errors = classifiers_.prepare(config, *generation);
        if (!errors.empty()) {
            outcome.messages.push_back(errors);
            return outcome;
        }
    }
    RulesResult rules = load_rules(files, &catalog_, next_version_);
    if (!rules.rules) {
        outcome.messages = std::move(rules.errors);
        return outcome;
    }
    if (!initial)
        for (const std::string& setting : restart_only_changes(startup_config_, config))
            outcome.messages.push_back(config_path_ + ": " + setting +
                                       " changed; it takes effect after a restart");
    digest_ = rules.rules->digest();
    status_.apps.store(rules.rules->size(), std::memory_order_relaxed);
    status_.rule_files.store(files.size(), std::memory_order_relaxed);
    generation->rules_version = next_version_;
    generation->rules = std::move(rules.rules);
    const Generation& in_force = *generation;
    publisher_.publish(std::move(generation));
    if (classifiers_.published) classifiers_.published(in_force);
    status_.version.store(next_version_++, std::memory_order_relaxed);
    if (!initial && applied_)
        for (std::string& note : applied_(config)) outcome.messages.push_back(std::move(note));
    outcome.ok = true;
    return outcome;
}

ReloadOutcome RuleReloader::load_initial() {
    std::lock_guard lock(mutex_);
    watched_ = stamps(startup_config_);
    ReloadOutcome outcome = load(startup_config_, true);
    status_.last_timestamp_seconds.store(unix_seconds(), std::memory_order_relaxed);
    return outcome;
}

bool RuleReloader::close(std::chrono::milliseconds patience) {
    closing_.store(true);
    // try_lock in steps rather than a timed mutex: ThreadSanitizer (GCC 12) misreads
    // pthread_mutex_timedlock and reports the unlock that follows it.
    const auto deadline = std::chrono::steady_clock::now() + patience;
    std::unique_lock lock(mutex_, std::defer_lock);
    while (!lock.try_lock()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    closed_ = true;
    return true;
}

ReloadOutcome RuleReloader::reload(std::string_view trigger) {
    ReloadOutcome outcome;
    if (closing_.load()) {
        outcome.messages.emplace_back("the appliance is shutting down; nothing reloaded");
        return outcome;
    }
    std::lock_guard lock(mutex_);
    if (closed_) {
        outcome.messages.emplace_back("the appliance is shutting down; nothing reloaded");
        return outcome;
    }
    Config config = startup_config_;
    if (!config_path_.empty()) {
        ConfigResult loaded = load_config(config_path_, export_config_checks());
        if (!loaded.ok())
            outcome.messages = std::move(loaded.errors);
        else
            config = std::move(loaded.config);
    }
    // Whatever the result, the files as they are now have been looked at: a broken file is
    // not retried until it changes again.
    watched_ = stamps(config);
    if (outcome.messages.empty()) outcome = load(config, false);

    status_.last_success.store(outcome.ok, std::memory_order_relaxed);
    status_.last_timestamp_seconds.store(unix_seconds(), std::memory_order_relaxed);
    (outcome.ok ? status_.successes : status_.failures).fetch_add(1, std::memory_order_relaxed);
    limit_errors(outcome.messages);
    for (const std::string& message : outcome.messages)
        fmt::print(stderr, "ottscope: {}\n", message);
    if (outcome.ok)
        fmt::print(stderr, "ottscope: rules reloaded ({}): version {}, {} apps, digest {}\n",
                   trigger, status_.version.load(), status_.apps.load(), digest_);
    else
        fmt::print(stderr, "ottscope: reload ({}) failed; rules version {} stay in force\n",
                   trigger, status_.version.load());
    return outcome;
}

void RuleReloader::reload_if_changed() {
    bool changed = false;
    {
        if (closing_.load()) return;
        std::lock_guard lock(mutex_);
        if (closed_) return;
        Config config = startup_config_;
        if (!config_path_.empty()) {
            ConfigResult loaded = load_config(config_path_, export_config_checks());
            if (loaded.ok()) config = std::move(loaded.config);
        }
        std::vector<FileStamp> now = stamps(config);
        if (now == watched_) {
            settling_.clear();
            return;
        }
        // Only files the classifier settings read changed (a TLS key log grows while clients
        // log): hand those settings over again, without recompiling the rules or counting a
        // configuration reload.
        std::vector<std::string> own;
        if (classifiers_.watched_files) own = classifiers_.watched_files(config);
        bool only_own = now.size() == watched_.size() && !own.empty() && classifiers_.prepare;
        for (size_t i = 0; only_own && i < now.size(); ++i)
            if (now[i] != watched_[i] &&
                std::find(own.begin(), own.end(), now[i].path) == own.end())
                only_own = false;
        if (only_own) {
            publish_with_current_rules(config);
            watched_ = std::move(now);
            return;
        }
        // A file still being written (an editor saving in place, a copy under way) changes from
        // one look to the next: only a change that held still for a whole poll interval is
        // loaded, so a half-written file is not applied. Renaming a finished file into place
        // is seen at once and settles at the next look.
        if (now != settling_) {
            settling_ = std::move(now);
            return;
        }
        settling_.clear();
        changed = true;
    }
    if (changed) reload("file-change");
}

void RuleReloader::publish_with_current_rules(const Config& config) {
    auto generation = std::make_unique<Generation>();
    if (const std::string errors = classifiers_.prepare(config, *generation); !errors.empty()) {
        fmt::print(stderr, "ottscope: {}\n", errors);
        return;
    }
    generation->rules = publisher_.current_rules();
    generation->rules_version = status_.version.load(std::memory_order_relaxed);
    const Generation& in_force = *generation;
    publisher_.publish(std::move(generation));
    if (classifiers_.published) classifiers_.published(in_force);
}

std::string RuleReloader::digest() const {
    std::lock_guard lock(mutex_);
    return digest_;
}

}  // namespace ottscope
