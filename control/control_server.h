#pragma once
// The control plane's HTTP surface over CivetWeb: /metrics, /healthz, /readyz, /api/v1/status,
// /api/v1/apps, /api/v1/flows?top=N and POST /-/reload. Handlers run on CivetWeb's threads and
// only read the dataplane (counter blocks, published flow snapshots); a reload goes through a
// hook the appliance provides.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "api_views.h"
#include "config/listen_address.h"
#include "stats_view.h"

namespace ottscope {

enum class RunPhase : int { starting, running, finished };

// Validates, compiles and swaps in what can be reloaded; called one at a time.
using ReloadHook = std::function<ReloadReport()>;

struct ControlServerOptions {
    std::string listen = "127.0.0.1:9464";  // checked by parse_listen_address
    std::string api_token;    // needed for POST /-/reload when `listen` is not loopback
    std::string config_path;  // shown in the status; empty: built-in defaults
    std::optional<std::string> rule_version;
    ReloadHook reload;
    const std::atomic<int>* phase = nullptr;  // a RunPhase, set by the appliance
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

class ControlServer {
public:
    // Throws std::runtime_error with a one-line reason when the address is invalid or cannot
    // be bound. Logs the address bound (with the kernel's port when port 0 was asked).
    ControlServer(ControlServerOptions options, const StatsView& view);
    ~ControlServer();
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

    // After this returns, no request reads anything the appliance owns (dataplane view,
    // reloader, run phase) and none is still inside it: all of it may be freed while the
    // server's threads wind down with the process. Later requests get 503; /healthz stays 200.
    void detach_from_dataplane();

    [[nodiscard]] const ListenAddress& bound_address() const noexcept;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace ottscope
