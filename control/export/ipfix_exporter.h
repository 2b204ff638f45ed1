#pragma once
// Sends flow records to one IPFIX collector over UDP or TCP. Records wait in a bounded
// queue while the collector is away or the export rate is reached; what cannot wait is
// counted by reason in ExportStats (ottscope_export_dropped_records_total{reason}). The
// counters' unit is the IPFIX data record (ipfix_data_records(): two per flow in the
// unidirectional form), what a collector counts; the queue's bound is in flows.
// Non-blocking sockets, driven by pump() from the control loop: never on a worker.
//
// UDP has no acknowledgement. The socket is connected, so the kernel reports an ICMP port
// or host unreachable of the collector as ECONNREFUSED/EHOSTUNREACH on the socket. A
// datagram therefore counts as sent (records) only once kUdpConfirmWindow has passed without
// such a report; on a report, every datagram still inside the window is counted as
// collector_unreachable (the kernel does not say which one the ICMP was for: some may have
// arrived), and sending pauses. Records not yet sent stay queued; after kRetryInterval a
// datagram without records (the templates) probes the collector, and data follows only when
// no refusal came back for it. Loss that produces no ICMP (a full receive buffer at the
// collector, a filtered ICMP, the kernel's ICMP rate limit on non-loopback paths, a reply
// slower than the window) is not seen and the records count as sent.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "classifiers/enum_names.h"
#include "control/export/ipfix_encoder.h"
#include "control/export/ipfix_url.h"

namespace ottscope {

enum class ExportDrop : uint8_t {
    buffer_full,
    connection_lost,
    send_error,
    shutdown,
    collector_unreachable,  // UDP datagrams refused by ICMP (see above)
    collector_removed,      // left when a reload removed the collector and its grace ran out
    count
};
inline constexpr auto kExportDropNames = enum_names<ExportDrop>({
    {ExportDrop::buffer_full, "buffer_full"},
    {ExportDrop::connection_lost, "connection_lost"},
    {ExportDrop::send_error, "send_error"},
    {ExportDrop::shutdown, "shutdown"},
    {ExportDrop::collector_unreachable, "collector_unreachable"},
    {ExportDrop::collector_removed, "collector_removed"},
});

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
    bool tls_elements = true;  // flow_records.tls_fields: the TLS values go out as in JSON Lines
    uint32_t template_refresh_seconds = 60;  // UDP; TCP sends them on every connection
    uint32_t max_records_per_second = 0;     // 0: unbounded
    uint32_t buffer_records = 262144;        // flows queued while the collector is away
    IpfixRecordForm record_form = IpfixRecordForm::unidirectional;
    bool operator==(const IpfixExportSettings&) const = default;
};

class IpfixExporter {
public:
    using Clock = std::chrono::steady_clock;

    // `stats` lets a replacement exporter (after a reload) go on counting where the one it
    // replaces left off; null: counters of its own.
    IpfixExporter(IpfixCollector collector, const IpfixExportSettings& settings, unsigned workers,
                  const AppCatalog& catalog, const std::vector<std::string>& classifier_names,
                  std::shared_ptr<ExportStats> stats = nullptr);
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
    // After a reload removed or changed the collector: sends what it holds without waiting
    // for more. retire_step() pumps; once idle, or at `deadline` (what is left counted under
    // `reason`), it closes and returns true.
    void retire();
    bool retire_step(Clock::time_point now, Clock::time_point deadline, ExportDrop reason);
    // Records not yet encoded move to `successor` (same collector, new settings); from now
    // on this exporter leaves the queue and connection gauges to it.
    void hand_over_queue(IpfixExporter& successor);
    [[nodiscard]] const ExportStats& stats() const noexcept { return *stats_; }
    [[nodiscard]] const std::shared_ptr<ExportStats>& shared_stats() const noexcept {
        return stats_;
    }
    [[nodiscard]] const IpfixCollector& collector() const noexcept { return collector_; }
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
    void close_counting(ExportDrop reason);
    // UDP: datagrams sent but not yet beyond the window in which an ICMP refusal can arrive.
    void check_refusal(Clock::time_point now);
    void refused(Clock::time_point now);
    void confirm(Clock::time_point now, bool all);
    void set_queued();
    void set_connected(bool connected);

    struct Unconfirmed {
        Clock::time_point sent_at;
        uint32_t records;
    };

    IpfixCollector collector_;
    IpfixExportSettings settings_;
    std::vector<std::unique_ptr<IpfixEncoder>> encoders_;  // one per worker
    std::deque<Queued> queue_;
    uint64_t queued_records_ = 0;  // IPFIX data records of the flows in queue_
    std::deque<IpfixMessage> outbox_;
    std::vector<IpfixMessage> scratch_;
    size_t front_offset_ = 0;  // bytes of outbox_.front() already sent (TCP)
    int fd_ = -1;
    bool connecting_ = false;
    bool templates_due_ = true;
    bool finishing_ = false;
    bool encode_error_reported_ = false;
    bool owns_gauges_ = true;
    // UDP: a datagram without records went out after a refusal; data waits for its window.
    bool probing_ = false;
    Clock::time_point probe_sent_at_{};
    std::deque<Unconfirmed> unconfirmed_;
    Clock::time_point retry_at_{};
    Clock::time_point last_templates_{};
    Clock::time_point last_flush_{};
    Clock::time_point last_tokens_{};
    double tokens_ = 0;
    std::shared_ptr<ExportStats> stats_;
};

}  // namespace ottscope
