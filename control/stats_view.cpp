#include "stats_view.h"

#include <rte_ethdev.h>

#include <algorithm>

namespace ottscope {

Totals sum_totals(const StatsView& view) {
    Totals totals;
    std::vector<AppTotals> apps(kMaxApps);
    auto add_block = [&](const WorkerCounters& block) {
        for (size_t a = 0; a < kMaxApps; ++a) {
            const AppCounters& c = block.apps[a];
            apps[a].app = static_cast<uint16_t>(a);
            apps[a].flows += c.flows.read();
            apps[a].active_flows += c.active_flows.read();
            const size_t slots = block.registered_classifiers * kConfidenceLevels;
            apps[a].verdicts.resize(slots);
            const size_t first = block.verdict_slot(static_cast<uint16_t>(a), 0, Confidence::none);
            for (size_t v = 0; v < slots; ++v)
                apps[a].verdicts[v] += block.verdicts[first + v].read();
            for (int d = 0; d < 2; ++d) {
                apps[a].packets[d] += c.packets[d].read();
                apps[a].bytes[d] += c.bytes[d].read();
            }
        }
        for (size_t i = 0; i < totals.drops.size(); ++i) totals.drops[i] += block.drops[i].read();
        for (size_t i = 0; i < totals.decode_errors.size(); ++i)
            totals.decode_errors[i] += block.decode_errors[i].read();
        for (size_t i = 0; i < totals.evictions.size(); ++i)
            totals.evictions[i] += block.evictions[i].read();
        for (size_t i = 0; i < totals.stream_events.size(); ++i)
            totals.stream_events[i] += block.stream.events[i].read();
        totals.stream_delivered_bytes += block.stream.delivered_bytes.read();
    };
    for (const WorkerCounters* block : view.workers) add_block(*block);
    if (view.fanout != nullptr) add_block(*view.fanout);

    for (const Port& port : view.ports) {
        rte_eth_stats stats{};
        if (rte_eth_stats_get(port.id, &stats) == 0)
            totals.drops[index_of(DropReason::rx_nombuf)] += stats.rx_nombuf;
    }
    for (const RxSlot& slot : view.rx) totals.received += slot.counters->packets.read();
    totals.received += totals.drops[index_of(DropReason::rx_nombuf)];

    for (const AppTotals& app : apps) {
        if (app.flows == 0 && app.packets[0] + app.packets[1] == 0) continue;
        totals.apps.push_back(app);
        totals.counted += app.packets[0] + app.packets[1];
    }
    for (uint64_t drop : totals.drops) totals.counted += drop;
    std::sort(totals.apps.begin(), totals.apps.end(), [](const AppTotals& a, const AppTotals& b) {
        return a.bytes[0] + a.bytes[1] > b.bytes[0] + b.bytes[1];
    });
    return totals;
}

}  // namespace ottscope
