#pragma once
// Serves /metrics (Prometheus text format via prometheus-cpp) and /healthz over CivetWeb.
// Metric values are computed from the worker counter blocks at scrape time, so a scrape
// always sees current numbers and the workers never do anything for it.

#include <memory>
#include <string>

#include "stats_view.h"

namespace ottscope {

class MetricsServer {
public:
    // Throws std::runtime_error with a one-line reason when the address cannot be bound.
    MetricsServer(const std::string& listen, const StatsView& view);
    ~MetricsServer();
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;

    [[nodiscard]] std::string render() const;
    // After this returns, no scrape reads the dataplane's counters again: they may be freed
    // while the server's threads wind down with the process.
    void detach_from_dataplane();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ottscope
