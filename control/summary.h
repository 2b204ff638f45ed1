#pragma once
// The end-of-run report: traffic per app and the packet-conservation line.

#include <cstdio>

#include "stats_view.h"

namespace ottscope {

void print_app_table(std::FILE* out, const Totals& totals, const AppCatalog& catalog);
// Prints "conservation: ..." and returns whether every received packet is accounted for.
bool print_conservation(std::FILE* out, const Totals& totals);

}  // namespace ottscope
