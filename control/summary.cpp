#include "summary.h"

#include <fmt/format.h>

namespace ottscope {

void print_app_table(std::FILE* out, const Totals& totals, const AppCatalog& catalog) {
    uint64_t all_bytes = 0;
    for (const AppTotals& app : totals.apps) all_bytes += app.bytes[0] + app.bytes[1];
    fmt::print(out, "{:<24} {:<16} {:>9} {:>11} {:>14} {:>7}\n", "app", "category", "flows",
               "packets", "bytes", "share");
    for (const AppTotals& app : totals.apps) {
        const AppInfo& info = catalog.app(app.app);
        const uint64_t bytes = app.bytes[0] + app.bytes[1];
        fmt::print(out, "{:<24} {:<16} {:>9} {:>11} {:>14} {:>6.2f}%\n", info.name, info.category,
                   app.flows, app.packets[0] + app.packets[1], bytes,
                   all_bytes == 0 ? 0.0 : 100.0 * static_cast<double>(bytes) / all_bytes);
    }
}

bool print_conservation(std::FILE* out, const Totals& totals) {
    uint64_t app_packets = 0;
    for (const AppTotals& app : totals.apps) app_packets += app.packets[0] + app.packets[1];
    std::string line =
        fmt::format("conservation: received {} = apps {}", totals.received, app_packets);
    for (size_t i = 0; i < totals.drops.size(); ++i) {
        if (totals.drops[i] != 0)
            line += fmt::format(" + {} {}", kDropReasonNames[i], totals.drops[i]);
    }
    const bool holds = totals.received == totals.counted;
    line += holds ? ": holds" : fmt::format(": BROKEN ({} counted)", totals.counted);
    fmt::print(out, "{}\n", line);
    return holds;
}

}  // namespace ottscope
