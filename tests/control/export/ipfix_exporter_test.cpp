// The exporter's bounds without a collector: a full queue drops (buffer_full), what is left
// at the end is counted (shutdown), and the rate bound holds records back.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "classifiers/ndpi/ndpi_classifier.h"
#include "control/export/ipfix_export_set.h"
#include "control/export/ipfix_exporter.h"

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
    r.summary.key.ip_version = 4;
    r.summary.key.ip_protocol = 6;
    r.summary.key.lower_port = port;
    r.summary.key.upper_port = 443;
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

// The counters' unit is the IPFIX data record: a flow whose server answered is two records
// in the default unidirectional form, one as an RFC 5103 biflow.
TEST(IpfixExporter, AFlowWithAnAnswerCountsTwoUnidirectionalRecordsOrOneBiflow) {
    Catalog c;
    for (const IpfixRecordForm form : {IpfixRecordForm::unidirectional, IpfixRecordForm::biflow}) {
        IpfixExportSettings settings;
        settings.buffer_records = 2;
        settings.record_form = form;
        IpfixExporter exporter(closed_tcp_port(), settings, 1, c.catalog, c.classifiers);
        const uint64_t per_flow = form == IpfixRecordForm::biflow ? 1 : 2;
        for (uint16_t i = 0; i < 5; ++i) {
            FlowRecord answered = record(40000 + i);
            answered.summary.packets[0] = 3;
            answered.summary.packets[1] = 2;
            exporter.offer(answered, 0);
        }
        FlowRecord unanswered = record(41000);
        unanswered.summary.packets[0] = 1;
        exporter.offer(unanswered, 0);  // the queue is full: one more flow dropped
        EXPECT_EQ(dropped(exporter.stats(), ExportDrop::buffer_full), 3 * per_flow + 1);
        EXPECT_EQ(exporter.stats().queued.load(), 2 * per_flow);
        EXPECT_FALSE(exporter.finish(IpfixExporter::Clock::now() + std::chrono::milliseconds(50)));
        EXPECT_EQ(dropped(exporter.stats(), ExportDrop::shutdown), 2 * per_flow);
        EXPECT_EQ(exporter.stats().queued.load(), 0u);
    }
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

// A UDP port on loopback that nothing listens on yet (bound, its number read, closed).
uint16_t unused_udp_port() {
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    socklen_t length = sizeof(address);
    getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    ::close(fd);
    return ntohs(address.sin_port);
}

int bind_udp(uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    return fd;
}

void pump_for(IpfixExporter& exporter, std::chrono::milliseconds duration) {
    const auto end = IpfixExporter::Clock::now() + duration;
    while (IpfixExporter::Clock::now() < end) {
        exporter.pump(IpfixExporter::Clock::now());
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
}

TEST(IpfixExporter, AUdpCollectorNotThereYetCostsNoRecordAndGetsThemWhenItComes) {
    Catalog c;
    const uint16_t port = unused_udp_port();
    std::string error;
    IpfixExporter exporter(*parse_ipfix_url("udp://127.0.0.1:" + std::to_string(port), error),
                           IpfixExportSettings{}, 1, c.catalog, c.classifiers);
    for (uint16_t i = 0; i < 40; ++i) exporter.offer(record(40000 + i), 0);
    // Only the templates probe the closed port: the refusal costs no record.
    pump_for(exporter, std::chrono::milliseconds(600));
    EXPECT_FALSE(exporter.stats().connected.load());
    EXPECT_EQ(exporter.stats().records.load(), 0u);
    EXPECT_EQ(dropped(exporter.stats(), ExportDrop::collector_unreachable), 0u);
    const int collector = bind_udp(port);
    pump_for(exporter, std::chrono::milliseconds(1800));
    EXPECT_TRUE(exporter.stats().connected.load());
    EXPECT_TRUE(exporter.finish(IpfixExporter::Clock::now() + std::chrono::seconds(2)));
    EXPECT_EQ(exporter.stats().records.load(), 40u);
    uint64_t dropped_total = 0;
    for (const auto& count : exporter.stats().dropped) dropped_total += count.load();
    EXPECT_EQ(dropped_total, 0u);
    ::close(collector);
}

TEST(IpfixExporter, DataSentToACollectorThatLeftIsCountedUnreachable) {
    Catalog c;
    const uint16_t port = unused_udp_port();
    int collector = bind_udp(port);
    std::string error;
    IpfixExporter exporter(*parse_ipfix_url("udp://127.0.0.1:" + std::to_string(port), error),
                           IpfixExportSettings{}, 1, c.catalog, c.classifiers);
    pump_for(exporter, std::chrono::milliseconds(300));  // the probe passes
    ASSERT_TRUE(exporter.stats().connected.load());
    ::close(collector);
    for (uint16_t i = 0; i < 30; ++i) exporter.offer(record(40000 + i), 0);
    pump_for(exporter, std::chrono::milliseconds(1100));  // past the flush interval
    for (uint16_t i = 0; i < 30; ++i) exporter.offer(record(41000 + i), 0);
    pump_for(exporter, std::chrono::milliseconds(300));
    // The first datagram went out and was refused: its records are counted; the rest waits.
    const uint64_t unreachable = dropped(exporter.stats(), ExportDrop::collector_unreachable);
    EXPECT_GT(unreachable, 0u);
    EXPECT_LT(unreachable, 60u);
    EXPECT_EQ(exporter.stats().records.load(), 0u);
    collector = bind_udp(port);
    EXPECT_TRUE(exporter.finish(IpfixExporter::Clock::now() + std::chrono::seconds(3)));
    // Sent + dropped = offered, and only refusals dropped anything.
    EXPECT_EQ(exporter.stats().records.load() + unreachable, 60u);
    uint64_t dropped_total = 0;
    for (const auto& count : exporter.stats().dropped) dropped_total += count.load();
    EXPECT_EQ(dropped_total, unreachable);
    ::close(collector);
}

TEST(IpfixExportSet, AChangedCollectorIsReplacedAndItsQueueMoves) {
    Catalog c;
    IpfixExportSet set(1, c.catalog, c.classifiers);
    Config config = default_config();
    config.ipfix_collectors = {"tcp://127.0.0.1:1", "tcp://127.0.0.1:2"};
    set.request(ipfix_plan_of(config, {"tcp://127.0.0.1:1"}));
    set.pump(IpfixExporter::Clock::now());
    ASSERT_EQ(set.stats().size(), 2u);  // the command line's duplicate is the same collector
    for (uint16_t i = 0; i < 10; ++i) set.offer(record(40000 + i), 0);
    config.ipfix_collectors = {"tcp://127.0.0.1:1"};
    config.ipfix_enterprise_elements = false;  // changed: replaced
    set.request(ipfix_plan_of(config, {}));
    set.pump(IpfixExporter::Clock::now());
    for (uint16_t i = 0; i < 5; ++i) set.offer(record(41000 + i), 0);
    const auto lines = set.finish(IpfixExporter::Clock::now() + std::chrono::milliseconds(50));
    ASSERT_EQ(lines.size(), 2u);
    // Nothing listens: every record is counted once, where it was queued when the run ended.
    EXPECT_EQ(lines[0],
              "IPFIX export to tcp://127.0.0.1:1: 0 records sent, 15 dropped shutdown=15");
    EXPECT_EQ(lines[1],
              "IPFIX export to tcp://127.0.0.1:2: 0 records sent, 10 dropped "
              "collector_removed=10");
}

}  // namespace
}  // namespace ottscope
