#include "control_server.h"

#include <CivetServer.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <thread>

#include "control/listen_address.h"
#include "control/metrics_exposition.h"

namespace ottscope {
namespace {

constexpr uint32_t kDefaultTopFlows = 10;
// How long /api/v1/flows waits for the workers to publish a fresh snapshot.
constexpr auto kSnapshotWait = std::chrono::seconds(1);
// Requests this close to a complete snapshot share it instead of asking the workers again.
constexpr auto kSnapshotFresh = std::chrono::milliseconds(250);
constexpr auto kLoadInterval = std::chrono::seconds(1);

struct Response {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
};

const char* reason_phrase(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 405:
            return "Method Not Allowed";
        case 422:
            return "Unprocessable Entity";
        case 503:
            return "Service Unavailable";
        default:
            return "Error";
    }
}

void send(mg_connection* connection, const Response& response, const char* extra_headers = "") {
    mg_printf(connection,
              "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nCache-Control: "
              "no-store\r\n%sConnection: close\r\n\r\n",
              response.status, reason_phrase(response.status), response.content_type.c_str(),
              response.body.size(), extra_headers);
    mg_write(connection, response.body.data(), response.body.size());
}

Response error(int status, const std::string& message) {
    return Response{status, "application/json",
                    fmt::format("{{\"error\":\"{}\"}}\n", message)};  // messages are ours: ASCII
}

// Busy ratios over the last second or so, sampled lazily by whichever request comes first:
// several scrapers or API clients never shorten each other's window.
class LoadSampler {
public:
    std::vector<double> ratios(const StatsView& view) {
        const auto now = std::chrono::steady_clock::now();
        if (last_.size() != view.workers.size()) {
            last_.assign(view.workers.size(), {0, 0});
            ratios_.assign(view.workers.size(), 0.0);
        }
        if (now - sampled_ < kLoadInterval) return ratios_;
        for (size_t w = 0; w < view.workers.size(); ++w) {
            const uint64_t busy = view.workers[w]->busy_cycles.read();
            const uint64_t total = view.workers[w]->total_cycles.read();
            auto& [busy_before, total_before] = last_[w];
            const uint64_t total_delta = total - total_before;
            ratios_[w] = total_delta == 0 ? 0.0
                                          : static_cast<double>(busy - busy_before) /
                                                static_cast<double>(total_delta);
            busy_before = busy;
            total_before = total;
        }
        sampled_ = now;
        return ratios_;
    }

private:
    std::vector<std::pair<uint64_t, uint64_t>> last_;
    std::vector<double> ratios_;
    std::chrono::steady_clock::time_point sampled_{};
};

// One route: GET or POST (or neither) mapped to a member of Impl; other methods get 405.
class Route : public CivetHandler {
public:
    using Get = std::function<Response(mg_connection*)>;
    Route(Get get, Get post) : get_(std::move(get)), post_(std::move(post)) {}
    bool handleGet(CivetServer*, mg_connection* connection) override {
        return answer(get_, connection);
    }
    bool handlePost(CivetServer*, mg_connection* connection) override {
        return answer(post_, connection);
    }
    bool handlePut(CivetServer*, mg_connection* connection) override {
        return answer({}, connection);
    }
    bool handleDelete(CivetServer*, mg_connection* connection) override {
        return answer({}, connection);
    }

private:
    bool answer(const Get& handler, mg_connection* connection) {
        if (!handler) {
            send(connection, error(405, "method not allowed"),
                 get_ ? "Allow: GET\r\n" : "Allow: POST\r\n");
            return true;
        }
        const Response response = handler(connection);
        send(connection, response, response.status == 401 ? "WWW-Authenticate: Bearer\r\n" : "");
        return true;
    }
    Get get_;
    Get post_;
};

}  // namespace

struct ControlServer::Impl {
    ControlServerOptions options;
    const StatsView& view;
    ListenAddress bound;                         // with the port the kernel gave when 0 was asked
    std::vector<std::unique_ptr<Route>> routes;  // declared first: destroyed after the server
    std::unique_ptr<CivetServer> server;

    // Every route but /healthz reads state the appliance owns (the dataplane view, the
    // reloader, the run phase): requests hold the gate shared, and detach takes it exclusively,
    // so once detach returns no request is inside that state and none enters it again.
    std::shared_mutex gate;
    bool detached = false;  // guarded by gate
    // Serialises the load sampler and the reads of the dataplane.
    std::mutex view_mutex;
    LoadSampler sampler;
    // Flow snapshots are read one request at a time (the mailboxes have one reader).
    std::mutex flows_mutex;
    std::chrono::steady_clock::time_point snapshot_complete_at{};  // guarded by flows_mutex
    // Reloads run one at a time; their bookkeeping is read by status and /metrics.
    std::mutex reload_mutex;
    std::mutex reload_state_mutex;
    uint64_t reloads_success = 0;
    uint64_t reloads_failure = 0;
    std::optional<ReloadReport> last_reload;

    double started_unix =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();

    Impl(ControlServerOptions o, const StatsView& v) : options(std::move(o)), view(v) {}

    RunPhase phase() const {
        return options.phase == nullptr
                   ? RunPhase::running
                   : static_cast<RunPhase>(options.phase->load(std::memory_order_acquire));
    }

    // Reloads come from SIGHUP and file changes too: the reloader's own count is the truth
    // when the appliance has one.
    ReloadCounts reload_counts() {
        if (const ReloadStatus* status = view.reloads) {
            return ReloadCounts{status->successes.load(std::memory_order_relaxed),
                                status->failures.load(std::memory_order_relaxed),
                                status->last_success.load(std::memory_order_relaxed),
                                status->last_timestamp_seconds.load(std::memory_order_relaxed)};
        }
        std::lock_guard lock(reload_state_mutex);
        return ReloadCounts{reloads_success, reloads_failure,
                            !last_reload.has_value() || last_reload->ok,
                            last_reload ? last_reload->at_unix : started_unix};
    }

    Response metrics() {
        const ReloadCounts reloads = reload_counts();
        std::lock_guard lock(view_mutex);
        const Totals totals = sum_totals(view);
        return Response{200, "text/plain; version=0.0.4; charset=utf-8",
                        render_metrics(view, totals, sampler.ratios(view), reloads)};
    }

    Response readyz() const {
        switch (phase()) {
            case RunPhase::running:
                return Response{200, "text/plain", "ready\n"};
            case RunPhase::starting:
                return Response{503, "text/plain", "starting\n"};
            case RunPhase::finished:
                break;
        }
        return Response{503, "text/plain", "dataplane stopped: the captures ended\n"};
    }

    Response status() {
        StatusContext context;
        const RunPhase now = phase();
        context.phase = now == RunPhase::running    ? "running"
                        : now == RunPhase::starting ? "starting"
                                                    : "finished";
        context.uptime_seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - options.started)
                .count();
        context.listen = bound.to_string();
        context.loopback = bound.loopback();
        context.config_path = options.config_path;
        context.rule_version = options.rule_version;
        {
            const ReloadCounts counts = reload_counts();
            std::lock_guard lock(reload_state_mutex);
            context.reloads_success = counts.success;
            context.reloads_failure = counts.failure;
            context.last_reload = last_reload;
        }
        if (view.reloads != nullptr)
            context.rule_version =
                std::to_string(view.reloads->version.load(std::memory_order_relaxed));
        std::lock_guard lock(view_mutex);
        const Totals totals = sum_totals(view);
        return Response{200, "application/json",
                        status_json(view, totals, sampler.ratios(view), context)};
    }

    Response apps() {
        std::lock_guard lock(view_mutex);
        return Response{200, "application/json", apps_json(view, sum_totals(view))};
    }

    Response flows(const mg_request_info* request) {
        uint32_t top = kDefaultTopFlows;
        if (request->query_string != nullptr) {
            char text[16] = {};
            const std::string query = request->query_string;
            const int length = mg_get_var(query.c_str(), query.size(), "top", text, sizeof(text));
            if (length >= 0) {
                char* end = nullptr;
                const unsigned long value = std::strtoul(text, &end, 10);
                if (length == 0 || *end != '\0' || value < 1 || value > kTopFlowsMax)
                    return error(400,
                                 fmt::format("top must be a number from 1 to {}", kTopFlowsMax));
                top = static_cast<uint32_t>(value);
            }
        }
        std::lock_guard flows_lock(flows_mutex);
        { std::lock_guard lock(view_mutex); }
        // Ask every worker, then wait (without holding the view lock) for their answers.
        bool complete = true;
        if (std::chrono::steady_clock::now() - snapshot_complete_at > kSnapshotFresh) {
            std::vector<uint64_t> wanted;
            for (FlowSnapshotMailbox* mailbox : view.top_flows)
                wanted.push_back(mailbox->request());
            const auto deadline = std::chrono::steady_clock::now() + kSnapshotWait;
            while (true) {
                complete = true;
                for (size_t w = 0; w < view.top_flows.size(); ++w) {
                    const FlowSnapshotMailbox& mailbox = *view.top_flows[w];
                    if (!mailbox.closed() && mailbox.published() < wanted[w]) complete = false;
                }
                if (complete || std::chrono::steady_clock::now() > deadline) break;
                std::this_thread::sleep_for(std::chrono::milliseconds(2));
            }
            if (complete) snapshot_complete_at = std::chrono::steady_clock::now();
        }
        std::lock_guard lock(view_mutex);
        std::vector<TopFlow> merged;
        uint64_t table_flows = 0;
        for (size_t w = 0; w < view.top_flows.size(); ++w) {
            const FlowSnapshot& snapshot = view.top_flows[w]->latest();
            table_flows += snapshot.table_size;
            for (uint32_t i = 0; i < snapshot.count; ++i)
                merged.push_back(TopFlow{static_cast<uint16_t>(w), snapshot.entries[i]});
        }
        std::stable_sort(merged.begin(), merged.end(), [](const TopFlow& a, const TopFlow& b) {
            return a.entry.total_bytes() > b.entry.total_bytes();
        });
        if (merged.size() > top) merged.resize(top);
        return Response{200, "application/json",
                        flows_json(view, merged, top, table_flows, complete)};
    }

    Response reload(mg_connection* connection) {
        const char* header = mg_get_header(connection, "Authorization");
        switch (authorize_mutation(bound.loopback(), options.api_token,
                                   header != nullptr ? header : "")) {
            case AuthDecision::allowed:
                break;
            case AuthDecision::no_token_configured:
                return error(403,
                             "the API listens beyond loopback and control.api_token is not set: "
                             "mutating calls are refused");
            case AuthDecision::missing_token:
                return error(401, "Authorization: Bearer TOKEN required");
            case AuthDecision::wrong_token:
                return error(403, "wrong token");
        }
        std::lock_guard lock(reload_mutex);
        ReloadReport report;
        if (options.reload) {
            report = options.reload();
        } else {
            report.ok = false;
            report.message = "this appliance has no reload hook";
        }
        report.at_unix =
            std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        {
            std::lock_guard state(reload_state_mutex);
            ++(report.ok ? reloads_success : reloads_failure);
            last_reload = report;
        }
        return Response{report.ok ? 200 : 422, "application/json", reload_json(report)};
    }
};

ControlServer::ControlServer(ControlServerOptions options, const StatsView& view)
    : impl_(std::make_unique<Impl>(std::move(options), view)) {
    Impl& impl = *impl_;
    const ListenAddressParse listen = parse_listen_address(impl.options.listen);
    if (!listen.address) throw std::runtime_error("cannot serve the API: " + listen.error);
    impl.bound = *listen.address;
    const std::vector<std::string> civet_options = {"listening_ports", impl.bound.to_string(),
                                                    "num_threads", "4"};
    try {
        impl.server = std::make_unique<CivetServer>(civet_options);
    } catch (const std::exception& e) {
        throw std::runtime_error("cannot serve the API on " + impl.bound.to_string() + ": " +
                                 e.what());
    }
    const std::vector<int> ports = impl.server->getListeningPorts();
    if (!ports.empty()) impl.bound.port = static_cast<uint16_t>(ports.front());
    fmt::print(stderr, "ottscope: API bound to {} ({})\n", impl.bound.to_string(),
               impl.bound.loopback() ? "loopback: POST /-/reload needs no token"
                                     : "beyond loopback: POST /-/reload needs the API token");
    static const auto kHealth = [](mg_connection*) { return Response{200, "text/plain", "ok\n"}; };
    auto gated = [&impl](Route::Get handler) -> Route::Get {
        if (!handler) return handler;
        return [&impl, handler = std::move(handler)](mg_connection* connection) {
            std::shared_lock lock(impl.gate);
            if (impl.detached) return error(503, "shutting down");
            return handler(connection);
        };
    };
    auto add = [&](const char* uri, Route::Get get, Route::Get post) {
        impl.routes.push_back(
            std::make_unique<Route>(gated(std::move(get)), gated(std::move(post))));
        impl.server->addHandler(uri, impl.routes.back().get());
    };
    add("/metrics", [&impl](mg_connection*) { return impl.metrics(); }, {});
    // Liveness owns nothing of the appliance, so it answers through the shutdown too.
    impl.routes.push_back(std::make_unique<Route>(kHealth, Route::Get{}));
    impl.server->addHandler("/healthz", impl.routes.back().get());
    add("/readyz", [&impl](mg_connection*) { return impl.readyz(); }, {});
    add("/api/v1/status", [&impl](mg_connection*) { return impl.status(); }, {});
    add("/api/v1/apps", [&impl](mg_connection*) { return impl.apps(); }, {});
    add("/api/v1/flows", [&impl](mg_connection* c) { return impl.flows(mg_get_request_info(c)); },
        {});
    add("/-/reload", {}, [&impl](mg_connection* c) { return impl.reload(c); });
}

const ListenAddress& ControlServer::bound_address() const noexcept {
    return impl_->bound;
}

ControlServer::~ControlServer() {
    if (impl_->server) impl_->server->close();
}

void ControlServer::detach_from_dataplane() {
    std::unique_lock lock(impl_->gate);
    impl_->detached = true;
}

}  // namespace ottscope
