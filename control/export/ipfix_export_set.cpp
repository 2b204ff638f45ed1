#include "ipfix_export_set.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>
#include <thread>

#include "classifiers/registry.h"

namespace ottscope {

IpfixExportPlan ipfix_plan_of(const Config& config, const std::vector<std::string>& cli_urls) {
    IpfixExportPlan plan;
    plan.settings.domain_id = config.ipfix_domain_id;
    plan.settings.app_names = config.ipfix_app_names;
    plan.settings.enterprise_elements = config.ipfix_enterprise_elements;
    plan.settings.record_form =
        config.ipfix_biflow_records ? IpfixRecordForm::biflow : IpfixRecordForm::unidirectional;
    const auto registry = classifier_registry();
    for (size_t i = 0; i < registry.size() && i < config.classifiers.size(); ++i)
        if (registry[i]->name == "tls")
            plan.settings.tls_elements = config.classifiers[i].record_fields;
    plan.settings.template_refresh_seconds = config.ipfix_template_refresh_seconds;
    plan.settings.max_records_per_second = config.ipfix_max_records_per_second;
    plan.settings.buffer_records = config.ipfix_buffer_records;
    std::vector<std::string> urls = config.ipfix_collectors;
    urls.insert(urls.end(), cli_urls.begin(), cli_urls.end());
    for (const std::string& url : urls) {
        if (std::any_of(plan.collectors.begin(), plan.collectors.end(),
                        [&](const IpfixCollector& c) { return c.url == url; }))
            continue;
        std::string error;
        auto collector = parse_ipfix_url(url, error);
        if (!collector) throw std::invalid_argument(error);
        plan.collectors.push_back(std::move(*collector));
    }
    return plan;
}

IpfixExportSet::IpfixExportSet(unsigned workers, const AppCatalog& catalog,
                               const std::vector<std::string>& classifier_names)
    : workers_(workers), catalog_(catalog), classifier_names_(classifier_names) {}

void IpfixExportSet::request(IpfixExportPlan plan) {
    std::lock_guard lock(mutex_);
    pending_ = std::move(plan);
}

std::shared_ptr<ExportStats> IpfixExportSet::stats_for(const std::string& url) {
    std::lock_guard lock(mutex_);
    for (const auto& stats : stats_)
        if (stats->collector == url) return stats;
    stats_.push_back(std::make_shared<ExportStats>());
    stats_.back()->collector = url;
    return stats_.back();
}

std::vector<std::shared_ptr<const ExportStats>> IpfixExportSet::stats() const {
    std::lock_guard lock(mutex_);
    return {stats_.begin(), stats_.end()};
}

void IpfixExportSet::reconcile(const IpfixExportPlan& plan, Clock::time_point now) {
    const auto started = Clock::now();
    unsigned added = 0, removed = 0, replaced = 0;
    std::vector<Active> next;
    for (const IpfixCollector& collector : plan.collectors) {
        auto old = std::find_if(active_.begin(), active_.end(), [&](const Active& a) {
            return a.exporter && a.exporter->collector().url == collector.url;
        });
        if (old != active_.end() && old->settings == plan.settings) {
            next.push_back(std::move(*old));
            continue;
        }
        auto exporter =
            std::make_unique<IpfixExporter>(collector, plan.settings, workers_, catalog_,
                                            classifier_names_, stats_for(collector.url));
        if (old != active_.end()) {
            // Same collector, other settings: the queue moves, the encoded rest leaves first
            // through the old exporter (its templates still describe it).
            old->exporter->hand_over_queue(*exporter);
            old->exporter->retire();
            retiring_.push_back(Retiring{std::move(old->exporter), now + kRetireGrace});
            ++replaced;
        } else {
            ++added;
        }
        next.push_back(Active{plan.settings, std::move(exporter)});
    }
    for (Active& gone : active_) {
        if (!gone.exporter) continue;
        gone.exporter->retire();
        retiring_.push_back(Retiring{std::move(gone.exporter), now + kRetireGrace});
        ++removed;
    }
    active_ = std::move(next);
    if (added + removed + replaced != 0)
        fmt::print(stderr,
                   "ottscope: IPFIX export: {} collector{} started, {} retiring, {} replaced "
                   "({:.3f} ms)\n",
                   added, added == 1 ? "" : "s", removed, replaced,
                   std::chrono::duration<double, std::milli>(Clock::now() - started).count());
}

void IpfixExportSet::offer(const FlowRecord& record, unsigned worker) {
    for (Active& active : active_) active.exporter->offer(record, worker);
}

void IpfixExportSet::pump(Clock::time_point now) {
    std::optional<IpfixExportPlan> plan;
    {
        std::lock_guard lock(mutex_);
        plan.swap(pending_);
    }
    if (plan) reconcile(*plan, now);
    for (Active& active : active_) active.exporter->pump(now);
    std::erase_if(retiring_, [&](Retiring& r) {
        return r.exporter->retire_step(now, r.deadline, ExportDrop::collector_removed);
    });
}

std::vector<std::string> IpfixExportSet::finish(Clock::time_point deadline) {
    for (Retiring& r : retiring_)
        while (!r.exporter->retire_step(Clock::now(), std::min(deadline, r.deadline),
                                        ExportDrop::collector_removed))
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
    retiring_.clear();
    for (Active& active : active_) active.exporter->finish(deadline);
    // One line per collector ever configured: records sent and every drop reason, so that
    // a run's export can be checked against its flow records after the process is gone.
    std::vector<std::string> lines;
    for (const auto& stats : this->stats()) {
        std::string line = fmt::format("IPFIX export to {}: {} records sent", stats->collector,
                                       stats->records.load());
        uint64_t dropped = 0;
        std::string reasons;
        for (const auto& [reason, name] : kExportDropNames) {
            const uint64_t n = stats->dropped[index_of(reason)].load();
            dropped += n;
            if (n != 0) reasons += fmt::format(" {}={}", name, n);
        }
        line += fmt::format(", {} dropped{}", dropped, reasons);
        lines.push_back(std::move(line));
    }
    return lines;
}

}  // namespace ottscope
