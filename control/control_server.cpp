#include "control_server.h"

#include <CivetServer.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <thread>

#include "config/listen_address.h"
#include "control/metrics_exposition.h"

namespace ottscope {
namespace {

constexpr uint32_t kDefaultTopFlows = 10;
// How long /api/v1/flows waits for the workers to publish a fresh snapshot.
constexpr auto kSnapshotWait = std::chrono::seconds(1);
// Requests this close to a complete snapshot share it instead of asking the workers again.
constexpr auto kSnapshotFresh = std::chrono::milliseconds(250);
constexpr auto kLoadInterval = std::chrono::seconds(1);

// CivetWeb gives each connection a thread of its own from the moment it is accepted until it
// closes, so the thread count is the number of sockets the API can hold before /healthz and
// /metrics queue behind them. The tests hold 256 silent and slow sockets open; the rest is room
// for the scrapers, probes and operators. Idle threads cost a 16 KiB buffer and an unused stack.
constexpr const char* kWorkerThreads = "384";
// How long a client has to deliver its request headers, counted as a whole (a byte every few
// hundred ms does not extend it) and also the limit for each write of the answer. Scrapers and
// `ottscope ctl` send their few headers in one packet, so 2 s is generous for them.
constexpr const char* kRequestTimeoutMs = "2000";
// Accepted sockets waiting for a free thread; beyond it new connections wait in the kernel.
constexpr const char* kAcceptQueue = "128";
constexpr const char* kListenBacklog = "512";

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
        case 404:
            return "Not Found";
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

// A count in a query string: plain decimal digits only (no sign, space, hex or fraction),
// within [low, high]. Anything else, however long, is refused rather than defaulted.
std::optional<uint32_t> query_count(std::string_view text, uint32_t low, uint32_t high) {
    if (text.empty() ||
        !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    uint64_t value = 0;
    const auto [end, status] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (status != std::errc{} || end != text.data() + text.size() || value < low || value > high)
        return std::nullopt;
    return static_cast<uint32_t>(value);
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

using Handler = std::function<Response(mg_connection*)>;

// One endpoint: what GET and POST do there (empty: the method is not allowed).
struct Route {
    Handler get;
    Handler post;
};

// Every request comes through here, so that routes match the path exactly (CivetWeb's own
// handlers match by prefix: /metricsXYZ would serve /metrics) and every method is answered.
class Router : public CivetHandler {
public:
    void add(std::string path, Route route) { routes_.emplace(std::move(path), std::move(route)); }
    bool handleGet(CivetServer*, mg_connection* connection) override {
        return dispatch(connection, &Route::get);
    }
    bool handlePost(CivetServer*, mg_connection* connection) override {
        return dispatch(connection, &Route::post);
    }
    bool handleHead(CivetServer*, mg_connection* connection) override {
        return dispatch(connection, nullptr);
    }
    bool handlePut(CivetServer*, mg_connection* connection) override {
        return dispatch(connection, nullptr);
    }
    bool handleDelete(CivetServer*, mg_connection* connection) override {
        return dispatch(connection, nullptr);
    }
    bool handleOptions(CivetServer*, mg_connection* connection) override {
        return dispatch(connection, nullptr);
    }
    bool handlePatch(CivetServer*, mg_connection* connection) override {
        return dispatch(connection, nullptr);
    }

private:
    bool dispatch(mg_connection* connection, Handler Route::*method) {
        const mg_request_info* request = mg_get_request_info(connection);
        // No endpoint takes a body. CivetWeb would drain an unread one after the answer, one
        // read timeout per chunk, so a body dripped a byte at a time would hold the thread for
        // ever; its error answer instead marks the connection to close without reading on.
        if (request->content_length > 0 ||
            mg_get_header(connection, "Transfer-Encoding") != nullptr) {
            mg_send_http_error(connection, 413, "%s", "request bodies are not accepted");
            return true;
        }
        const auto found = routes_.find(std::string_view(request->local_uri));
        if (found == routes_.end()) {
            send(connection, error(404, "no such endpoint"));
            return true;
        }
        const Route& route = found->second;
        const Handler* handler = method != nullptr ? &(route.*method) : nullptr;
        if (handler == nullptr || !*handler) {
            send(connection, error(405, "method not allowed"),
                 route.get ? "Allow: GET\r\n" : "Allow: POST\r\n");
            return true;
        }
        const Response response = (*handler)(connection);
        send(connection, response, response.status == 401 ? "WWW-Authenticate: Bearer\r\n" : "");
        return true;
    }

    std::map<std::string, Route, std::less<>> routes_;
};

}  // namespace

struct ControlServer::Impl {
    ControlServerOptions options;
    const StatsView& view;
    ListenAddress bound;  // with the port the kernel gave when 0 was asked
    Router router;        // declared before the server: destroyed after it
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
            // Decoding never lengthens the text, so the buffer always holds the whole value:
            // a long one is refused, not cut short and defaulted.
            const std::string_view query = request->query_string;
            std::string value(query.size() + 1, '\0');
            const int length =
                mg_get_var(query.data(), query.size(), "top", value.data(), value.size());
            if (length >= 0) {
                const auto parsed =
                    query_count(std::string_view(value.data(), length), 1, kTopFlowsMax);
                if (!parsed)
                    return error(400, fmt::format("top must be a whole number from 1 to {}, "
                                                  "in plain decimal digits",
                                                  kTopFlowsMax));
                top = *parsed;
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
            return a.entry.summary.total_bytes() > b.entry.summary.total_bytes();
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
    const std::vector<std::string> civet_options = {
        "listening_ports",    impl.bound.to_string(), "num_threads",       kWorkerThreads,
        "request_timeout_ms", kRequestTimeoutMs,      "connection_queue",  kAcceptQueue,
        "listen_backlog",     kListenBacklog,         "enable_keep_alive", "no"};
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

    auto gated = [&impl](Handler handler) -> Handler {
        if (!handler) return handler;
        return [&impl, handler = std::move(handler)](mg_connection* connection) {
            std::shared_lock lock(impl.gate);
            if (impl.detached) return error(503, "shutting down");
            return handler(connection);
        };
    };
    auto add = [&](const char* path, Handler get, Handler post) {
        impl.router.add(path, Route{gated(std::move(get)), gated(std::move(post))});
    };
    add("/metrics", [&impl](mg_connection*) { return impl.metrics(); }, {});
    // Liveness owns nothing of the appliance, so it answers through the shutdown too.
    impl.router.add("/healthz", Route{[](mg_connection*) {
                                          return Response{200, "text/plain", "ok\n"};
                                      },
                                      {}});
    add("/readyz", [&impl](mg_connection*) { return impl.readyz(); }, {});
    add("/api/v1/status", [&impl](mg_connection*) { return impl.status(); }, {});
    add("/api/v1/apps", [&impl](mg_connection*) { return impl.apps(); }, {});
    add("/api/v1/flows", [&impl](mg_connection* c) { return impl.flows(mg_get_request_info(c)); },
        {});
    add("/-/reload", {}, [&impl](mg_connection* c) { return impl.reload(c); });
    // Registered last: requests that arrive meanwhile get CivetWeb's 404, not a half-built table.
    impl.server->addHandler("/", impl.router);
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
