#pragma once
// The end-of-run report: traffic per app, drops, the packet-conservation line, and the same
// facts as one JSON object for scripts (`run --output json`).

#include <cstdio>
#include <string>
#include <vector>

#include "stats_view.h"

namespace ottscope {

struct RunFigures {
    double seconds = 0;
    uint64_t bytes = 0;  // as received by the ports
    unsigned workers = 1;
    std::string fanout_mode = "none";  // as StatsView::fanout_mode
    double receiver_share = 0;
    std::vector<std::string> damaged;  // "FILE: what is wrong" per damaged capture
};

void print_app_table(std::FILE* out, const Totals& totals, const AppCatalog& catalog);
// Nonzero drop reasons with their decode-error detail, one line.
void print_drops(std::FILE* out, const Totals& totals);
// Prints "conservation: ..." and returns whether every received packet is accounted for.
bool print_conservation(std::FILE* out, const Totals& totals);
std::string summary_json(const Totals& totals, const AppCatalog& catalog,
                         const RunFigures& figures);
// "1.23 MB": bytes in SI units, for tables people read.
std::string human_bytes(uint64_t bytes);

}  // namespace ottscope
