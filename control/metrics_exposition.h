#pragma once
// The Prometheus text exposition of the counters: one function, metrics declared in one
// place. Values are computed from the worker blocks at scrape time.

#include <cstdint>
#include <span>
#include <string>

#include "stats_view.h"

namespace ottscope {

struct ReloadCounts {
    uint64_t success = 0;
    uint64_t failure = 0;
    bool last_ok = true;      // the configuration in force was loaded without error
    double last_at_unix = 0;  // the last reload, or the start
};

std::string render_metrics(const StatsView& view, const Totals& totals,
                           std::span<const double> busy_ratios, const ReloadCounts& reloads);

}  // namespace ottscope
