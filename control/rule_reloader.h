#pragma once
// Keeps the rules in force current: loads them at startup, and again on SIGHUP, on an HTTP
// request, or when the configuration or a rule file changes on disk. A reload compiles the
// new rules off the packet path and publishes them through RCU; on any error the old rules
// stay in force and every error is logged with its location.

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "classifiers/app_catalog.h"
#include "config/config.h"
#include "dataplane/generation_publisher.h"

namespace ottscope {

// Read by the metrics and status pages from any thread.
struct ReloadStatus {
    std::atomic<uint64_t> successes{0};
    std::atomic<uint64_t> failures{0};
    std::atomic<bool> last_success{true};
    std::atomic<double> last_timestamp_seconds{0};
    std::atomic<uint64_t> version{0};     // of the rules in force
    std::atomic<uint64_t> apps{0};        // rule-defined apps in force
    std::atomic<uint64_t> rule_files{0};  // the files they came from
};

struct ReloadOutcome {
    bool ok = false;
    std::vector<std::string> messages;  // errors, or notes such as settings needing a restart
};

// What a generation holds beside the rules, built by the appliance for each reload.
struct GenerationHooks {
    // Off the packet path, before the rules compile (a protocols file adds nDPI names that
    // rules may use): the key log snapshot and, for a changed protocols file, a new nDPI module
    // per worker. Returns errors (empty: fine); nothing of it is in force until published.
    std::function<std::string(const Config&, Generation&)> prepare;
    // `generation` is in force: what prepare() built for it is now the current state.
    std::function<void(const Generation&)> published;
    // Files the generation reads besides the rules (a TLS key log), watched like the rule files.
    std::function<std::vector<std::string>(const Config&)> watched_files;
};

// Told about the configuration of every successful reload (after the rules are in force);
// returns notes for the log, such as a setting it could not apply.
using ReloadAppliedHook = std::function<std::vector<std::string>(const Config&)>;

class RuleReloader {
public:
    // `config_path` empty: built-in defaults, no rule files.
    RuleReloader(std::string config_path, const Config& startup_config, AppCatalog& catalog,
                 GenerationPublisher& publisher, GenerationHooks classifiers = {},
                 ReloadAppliedHook applied = {});

    // Startup load: errors are fatal to the caller.
    ReloadOutcome load_initial();
    // Thread-safe; `trigger` says why ("sighup", "http", "file-change") in the log line.
    ReloadOutcome reload(std::string_view trigger);
    // From the control loop: reloads when a watched file changed since the last look; when
    // only the classifier settings' own files changed (a growing TLS key log), hands those
    // settings over again and leaves the rules and the reload counters as they are.
    void reload_if_changed();
    // At the end of a run: refuses later reloads (an API request may still arrive while the
    // appliance shuts down). Waits at most `patience` for a reload under way; false when one
    // is still running, whose objects must then be left to the process exit.
    bool close(std::chrono::milliseconds patience);

    [[nodiscard]] const ReloadStatus& status() const noexcept { return status_; }
    [[nodiscard]] std::string digest() const;

private:
    struct FileStamp {
        std::string path;
        int64_t mtime_ns = 0;
        int64_t size = -1;
        uint64_t inode = 0;  // a file renamed into place has a new one
        bool operator==(const FileStamp&) const = default;
    };
    [[nodiscard]] std::vector<FileStamp> stamps(const Config& config) const;
    ReloadOutcome load(const Config& config, bool initial);

    std::string config_path_;
    Config startup_config_;
    AppCatalog& catalog_;
    // Publishes `generation` with the rules already in force (a key log that grew).
    void publish_with_current_rules(const Config& config);

    GenerationPublisher& publisher_;
    GenerationHooks classifiers_;
    ReloadAppliedHook applied_;
    ReloadStatus status_;
    mutable std::mutex mutex_;
    std::atomic<bool> closing_{false};
    std::string digest_;
    std::vector<FileStamp> watched_;
    std::vector<FileStamp> settling_;  // changed at the last look; loaded if still so
    uint64_t next_version_ = 1;
    bool closed_ = false;
};

}  // namespace ottscope
