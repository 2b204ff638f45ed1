// The exporter's bounds without a collector: a full queue drops (buffer_full), what is left
// at the end is counted (shutdown), and the rate bound holds records back.

#include <gtest/gtest.h>

#include "classifiers/ndpi/ndpi_classifier.h"
#include "control/ipfix_exporter.h"

namespace ottscope {
namespace {

struct Catalog {
    NdpiModule module = make_ndpi_module();
    AppCatalog catalog{module.get()};
    std::vector<std::string> classifiers{"ndpi"};
};

IpfixCollector closed_tcp_port() {
    std::string error;
    // Port 1 on loopback: nothing listens, every connection is refused.
    return *parse_ipfix_url("tcp://127.0.0.1:1", error);
}

FlowRecord record(uint16_t port) {
    FlowRecord r;
    r.key.ip_version = 4;
    r.key.ip_protocol = 6;
    r.key.lower_port = port;
    r.key.upper_port = 443;
    return r;
}

uint64_t dropped(const ExportStats& stats, ExportDrop reason) {
    return stats.dropped[static_cast<size_t>(reason)].load();
}

TEST(IpfixExporter, AFullQueueDropsAndWhatIsLeftAtTheEndIsCounted) {
    Catalog c;
    IpfixExportSettings settings;
    settings.buffer_records = 5;
    IpfixExporter exporter(closed_tcp_port(), settings, 2, c.catalog, c.classifiers);
    for (uint16_t i = 0; i < 12; ++i) exporter.offer(record(40000 + i), i % 2);
    exporter.pump(IpfixExporter::Clock::now());
    EXPECT_EQ(dropped(exporter.stats(), ExportDrop::buffer_full), 7u);
    EXPECT_FALSE(exporter.stats().connected.load());
    EXPECT_FALSE(exporter.finish(IpfixExporter::Clock::now() + std::chrono::milliseconds(50)));
    EXPECT_EQ(dropped(exporter.stats(), ExportDrop::shutdown), 5u);
    EXPECT_EQ(exporter.stats().records.load(), 0u);
}

TEST(IpfixExporter, TheRateBoundKeepsRecordsQueued) {
    Catalog c;
    IpfixExportSettings settings;
    settings.max_records_per_second = 100;
    IpfixExporter exporter(closed_tcp_port(), settings, 1, c.catalog, c.classifiers);
    for (uint16_t i = 0; i < 50; ++i) exporter.offer(record(40000 + i), 0);
    const auto start = IpfixExporter::Clock::now();
    // 100 ms at 100 records/s: about 10 records may leave the queue, not 50.
    for (int step = 0; step <= 10; ++step)
        exporter.pump(start + std::chrono::milliseconds(10 * step));
    EXPECT_GE(exporter.stats().queued.load(), 35u);
    EXPECT_LE(exporter.stats().queued.load(), 45u);
}

}  // namespace
}  // namespace ottscope
