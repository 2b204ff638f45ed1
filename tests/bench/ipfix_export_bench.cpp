// Cost of IPFIX export per flow record on one core: libfixbuf encoding into whole messages
// (IPv4 and IPv6 templates, names announced once per app), and encoding plus sending over
// loopback UDP to a socket nobody reads (the kernel drops what overflows its buffer).
//
//   build/tests/bench/ipfix_export_bench --benchmark_min_time=2
// items_per_second is records per second.

#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "classifiers/app_catalog.h"
#include "classifiers/ndpi/ndpi_classifier.h"
#include "control/export/ipfix_encoder.h"
#include "control/export/ipfix_exporter.h"

namespace ottscope {
namespace {

std::vector<FlowRecord> sample_records(bool ipv6) {
    std::vector<FlowRecord> records(1024);
    for (size_t i = 0; i < records.size(); ++i) {
        FlowSummary& r = records[i].summary;
        r.key.ip_version = ipv6 ? 6 : 4;
        r.key.ip_protocol = i % 3 == 0 ? 17 : 6;
        uint8_t a[4] = {10, 0, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)};
        uint8_t b[4] = {192, 0, 2, static_cast<uint8_t>(i % 7)};
        r.key.lower_address = ipv4_mapped(a);
        r.key.upper_address = ipv4_mapped(b);
        if (ipv6) {
            r.key.lower_address[0] = 0x20;
            r.key.upper_address[0] = 0x20;
        }
        r.key.lower_port = static_cast<uint16_t>(40000 + i);
        r.key.upper_port = 443;
        r.verdict.app = static_cast<uint16_t>(1 + i % 40);
        r.verdict.confidence = Confidence::high;
        r.packets[0] = 10 + i;
        r.packets[1] = 12 + i;
        r.bytes[0] = 1000 + i;
        r.bytes[1] = 20000 + i;
        r.first_seen_us = 1'700'000'000'000'000ULL + i * 1000;
        r.last_seen_us = r.first_seen_us + 5'000'000;
    }
    return records;
}

struct Fixture {
    NdpiModule module = make_ndpi_module();
    AppCatalog catalog{module.get()};
    std::vector<std::string> classifiers{"ndpi", "tls", "sip", "http"};
};

void BM_EncodeRecords(benchmark::State& state) {
    Fixture fixture;
    IpfixEncoderOptions options;
    options.observation_domain = 256;
    options.max_message_bytes = state.range(1) != 0 ? 65000 : 1400;
    IpfixEncoder encoder(options, fixture.catalog, fixture.classifiers);
    const auto records = sample_records(state.range(0) != 0);
    std::vector<IpfixMessage> out;
    size_t i = 0;
    for (auto _ : state) {
        encoder.add(records[i++ & 1023], out);
        if (out.size() > 64) out.clear();
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
    state.SetLabel(std::string(state.range(0) != 0 ? "ipv6" : "ipv4") +
                   (state.range(1) != 0 ? " tcp-size messages" : " udp-size messages"));
}
BENCHMARK(BM_EncodeRecords)->Args({0, 0})->Args({1, 0})->Args({0, 1});

// The exporter as the control thread runs it: queue, encode, send over loopback UDP.
void BM_ExportOverUdp(benchmark::State& state) {
    Fixture fixture;
    const int sink = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(sink, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    socklen_t length = sizeof(address);
    getsockname(sink, reinterpret_cast<sockaddr*>(&address), &length);
    IpfixCollector collector;
    collector.transport = IpfixTransport::udp;
    collector.host = "127.0.0.1";
    collector.port = ntohs(address.sin_port);
    collector.url = "udp://127.0.0.1:" + std::to_string(collector.port);
    IpfixExportSettings settings;
    IpfixExporter exporter(collector, settings, 1, fixture.catalog, fixture.classifiers);
    // Data leaves once the templates alone went out without a refusal: wait for that before
    // timing, or the queue would fill (and drop) during the probe.
    const auto ready_by = IpfixExporter::Clock::now() + std::chrono::seconds(2);
    while (!exporter.stats().connected.load() && IpfixExporter::Clock::now() < ready_by) {
        exporter.pump(IpfixExporter::Clock::now());
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    const auto records = sample_records(false);
    size_t i = 0;
    for (auto _ : state) {
        exporter.offer(records[i++ & 1023], 0);
        if ((i & 63) == 0) exporter.pump(IpfixExporter::Clock::now());
    }
    exporter.finish(IpfixExporter::Clock::now() + std::chrono::seconds(1));
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
    uint64_t dropped = 0;
    for (const auto& count : exporter.stats().dropped) dropped += count.load();
    // Records the queue could not keep (the bench offers faster than one pump per 64 sends).
    state.counters["dropped"] = static_cast<double>(dropped);
    ::close(sink);
}
BENCHMARK(BM_ExportOverUdp);

}  // namespace
}  // namespace ottscope

BENCHMARK_MAIN();
