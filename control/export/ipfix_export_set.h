#pragma once
// The IPFIX exporters of a running appliance, kept in line with the configuration: a reload
// hands over the new collector list (request(), any thread) and the control thread
// reconciles at its next pump(): new collectors start, removed ones send what they hold and
// close (what is left after kRetireGrace is counted, reason collector_removed), changed ones
// (other export settings) are replaced, their unsent records moving to the replacement. A
// record offered before the reconciliation goes to the old set, one offered after to the new:
// none is offered twice or lost uncounted. Counters of a collector outlive its exporter, so
// ottscope_export_* stay consistent across reloads (one series per collector URL ever seen).

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "control/export/ipfix_exporter.h"

namespace ottscope {

struct IpfixExportPlan {
    std::vector<IpfixCollector> collectors;
    IpfixExportSettings settings;
};

// Collectors of `config` followed by the command line's (`--ipfix`, which a reload keeps),
// without duplicates; the first bad URL throws std::invalid_argument.
IpfixExportPlan ipfix_plan_of(const Config& config, const std::vector<std::string>& cli_urls);

class IpfixExportSet {
public:
    using Clock = IpfixExporter::Clock;
    static constexpr auto kRetireGrace = std::chrono::seconds(10);

    IpfixExportSet(unsigned workers, const AppCatalog& catalog,
                   const std::vector<std::string>& classifier_names);

    // Any thread: the plan the next pump() reconciles to.
    void request(IpfixExportPlan plan);
    // Control thread.
    void offer(const FlowRecord& record, unsigned worker);
    void pump(Clock::time_point now);
    // Control thread, at the end: every exporter (retiring ones too) gets until `deadline`;
    // returns one summary line per collector ever configured (sent, dropped by reason).
    std::vector<std::string> finish(Clock::time_point deadline);

    // Any thread: counters of every collector configured so far.
    [[nodiscard]] std::vector<std::shared_ptr<const ExportStats>> stats() const;

private:
    struct Active {
        IpfixExportSettings settings;
        std::unique_ptr<IpfixExporter> exporter;
    };
    struct Retiring {
        std::unique_ptr<IpfixExporter> exporter;
        Clock::time_point deadline;
    };
    void reconcile(const IpfixExportPlan& plan, Clock::time_point now);
    std::shared_ptr<ExportStats> stats_for(const std::string& url);

    unsigned workers_;
    const AppCatalog& catalog_;
    const std::vector<std::string>& classifier_names_;
    std::vector<Active> active_;
    std::vector<Retiring> retiring_;

    mutable std::mutex mutex_;  // guards pending_ and stats_
    std::optional<IpfixExportPlan> pending_;
    std::vector<std::shared_ptr<ExportStats>> stats_;
};

}  // namespace ottscope
