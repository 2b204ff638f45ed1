#pragma once
// Sends flow records to one IPFIX collector over UDP or TCP. Records wait in a bounded
// queue while the collector is away or the export rate is reached; what cannot wait is
// counted by reason in ExportStats (ottscope_export_dropped_records_total{reason}).
// Non-blocking sockets, driven by pump() from the control loop: never on a worker.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/ipfix_url.h"
#include "control/ipfix_encoder.h"

namespace ottscope {

enum class ExportDrop : uint8_t { buffer_full, connection_lost, send_error, shutdown, count };
inline constexpr std::array<std::string_view, static_cast<size_t>(ExportDrop::count)>
    kExportDropNames = {"buffer_full", "connection_lost", "send_error", "shutdown"};

// Written by the control thread, read by the metrics server.
struct ExportStats {
    std::string collector;  // the URL as configured (a bounded label: one per collector)
    std::atomic<uint64_t> records{0};
    std::atomic<uint64_t> messages{0};
    std::atomic<uint64_t> bytes{0};
    std::atomic<uint64_t> queued{0};
    std::atomic<uint64_t> connects{0};
    std::atomic<bool> connected{false};
    std::array<std::atomic<uint64_t>, static_cast<size_t>(ExportDrop::count)> dropped{};
};

struct IpfixExportSettings {
    uint32_t domain_id = 1;  // observation domain = domain_id * 256 + worker
    bool app_names = true;
    bool enterprise_elements = true;
    uint32_t template_refresh_seconds = 60;  // UDP; TCP sends them on every connection
    uint32_t max_records_per_second = 0;     // 0: unbounded
    uint32_t buffer_records = 262144;
};

class IpfixExporter {
public:
    using Clock = std::chrono::steady_clock;

    IpfixExporter(IpfixCollector collector, const IpfixExportSettings& settings, unsigned workers,
                  const AppCatalog& catalog, const std::vector<std::string>& classifier_names);
    ~IpfixExporter();
    IpfixExporter(const IpfixExporter&) = delete;
    IpfixExporter& operator=(const IpfixExporter&) = delete;

    // Queues a record of `worker`; a full queue drops it (counted).
    void offer(const FlowRecord& record, unsigned worker);
    // Connects, encodes what the rate allows, sends what the socket takes. Never blocks.
    void pump(Clock::time_point now);
    // Pumps until everything is sent or `deadline` passes; what is left is counted as
    // dropped (shutdown). True when nothing was left.
    bool finish(Clock::time_point deadline);
    [[nodiscard]] const ExportStats& stats() const noexcept { return stats_; }
    [[nodiscard]] bool idle() const noexcept;

private:
    struct Queued {
        FlowRecord record;
        uint16_t worker;
    };
    void connect(Clock::time_point now);
    void disconnect(Clock::time_point now, bool lost);
    void queue_templates();
    bool send_front();  // false: the socket takes no more now
    void drop(ExportDrop reason, uint64_t records);

    IpfixCollector collector_;
    IpfixExportSettings settings_;
    std::vector<std::unique_ptr<IpfixEncoder>> encoders_;  // one per worker
    std::deque<Queued> queue_;
    std::deque<IpfixMessage> outbox_;
    std::vector<IpfixMessage> scratch_;
    size_t front_offset_ = 0;  // bytes of outbox_.front() already sent (TCP)
    int fd_ = -1;
    bool connecting_ = false;
    bool templates_due_ = true;
    bool finishing_ = false;
    bool encode_error_reported_ = false;
    Clock::time_point retry_at_{};
    Clock::time_point last_templates_{};
    Clock::time_point last_flush_{};
    Clock::time_point last_tokens_{};
    double tokens_ = 0;
    ExportStats stats_;
};

}  // namespace ottscope
