// IPFIX export of a running appliance (the demo capture replayed in a loop) while collectors
// change under it: a reload swaps collector A for B, and a UDP collector goes away and comes
// back. The collectors are UDP sockets of the test that count the data records they receive;
// the appliance's summary lines say what it sent and dropped (IPFIX data records); the flow
// records (JSON Lines) say what it produced. Sent + dropped must equal produced, collector by
// collector.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/control/child_process.h"
#include "tests/test_support.h"

namespace ottscope::test {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

uint16_t be16(const uint8_t* p) {
    return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
uint32_t be32(const uint8_t* p) {
    return uint32_t{be16(p)} << 16 | be16(p + 2);
}

// Counts the data records of IPFIX messages: learns template field lengths per observation
// domain and walks data sets with them (variable-length fields included).
class IpfixRecordCounter {
public:
    // Returns the data records (not options records) in one message.
    uint64_t count(const uint8_t* message, size_t size) {
        if (size < 16 || be16(message) != 10) return 0;
        const size_t length = std::min<size_t>(be16(message + 2), size);
        const uint32_t domain = be32(message + 12);
        uint64_t records = 0;
        for (size_t pos = 16; pos + 4 <= length;) {
            const uint16_t set_id = be16(message + pos);
            const size_t end = std::min(length, pos + be16(message + pos + 2));
            if (end <= pos + 4) break;
            if (set_id == 2 || set_id == 3)
                learn(message, pos + 4, end, domain, set_id == 3);
            else if (set_id >= 256)
                records += data_records(message, pos + 4, end, domain, set_id);
            pos = end;
        }
        return records;
    }

private:
    struct Shape {
        std::vector<uint16_t> lengths;
        bool options = false;
    };
    void learn(const uint8_t* m, size_t p, size_t end, uint32_t domain, bool options) {
        while (p + 4 <= end) {
            const uint16_t tid = be16(m + p);
            const uint16_t fields = be16(m + p + 2);
            p += options ? 6 : 4;
            Shape shape{{}, options};
            for (uint16_t i = 0; i < fields && p + 4 <= end; ++i) {
                const uint16_t id = be16(m + p);
                shape.lengths.push_back(be16(m + p + 2));
                p += (id & 0x8000) != 0 ? 8 : 4;
            }
            shapes_[{domain, tid}] = std::move(shape);
        }
    }
    uint64_t data_records(const uint8_t* m, size_t p, size_t end, uint32_t domain, uint16_t tid) {
        const auto found = shapes_.find({domain, tid});
        if (found == shapes_.end() || found->second.options) return 0;
        uint64_t records = 0;
        while (p < end) {
            for (const uint16_t length : found->second.lengths) {
                if (length != 65535) {
                    p += length;
                    continue;
                }
                if (p >= end) return records;
                size_t n = m[p++];
                if (n == 255 && p + 2 <= end) {
                    n = be16(m + p);
                    p += 2;
                }
                p += n;
            }
            if (p > end) break;
            ++records;
        }
        return records;
    }
    std::map<std::pair<uint32_t, uint16_t>, Shape> shapes_;
};

// A UDP collector on loopback that can go away (its port then answers ICMP unreachable) and
// come back on the same port.
class UdpCollector {
public:
    explicit UdpCollector(uint16_t port) : port_(port) { start(); }
    ~UdpCollector() { stop(); }
    UdpCollector(const UdpCollector&) = delete;
    UdpCollector& operator=(const UdpCollector&) = delete;

    void start() {
        // Close-on-exec: the appliance, started after it, must not keep the port open.
        fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        const int buffer = 8 << 20;
        // Beyond rmem_max when allowed (root): a busy machine must not overflow it.
        if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof(buffer)) != 0)
            setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof(buffer));
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port_);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0)
            ADD_FAILURE() << "cannot bind the collector's port " << port_;
        running_ = true;
        thread_ = std::thread([this] { receive(); });
    }
    // Reads what has arrived, then closes the port.
    void stop() {
        if (!running_) return;
        running_ = false;
        thread_.join();
        ::close(fd_);
    }
    [[nodiscard]] uint64_t records() const { return records_.load(); }
    [[nodiscard]] uint64_t datagrams() const { return datagrams_.load(); }

private:
    void receive() {
        std::vector<uint8_t> buffer(65536);
        // After stop(), what the socket holds is read and no more: an appliance still sending
        // must not keep the collector from going away.
        constexpr int kDrainAfterStop = 20000;  // beyond what the 8 MiB buffer can hold
        int drained = 0;
        for (;;) {
            const bool stopping = !running_;
            if (stopping && ++drained > kDrainAfterStop) return;
            pollfd entry{fd_, POLLIN, 0};
            const bool more = ::poll(&entry, 1, stopping ? 0 : 20) > 0;
            if (!more && stopping) return;
            if (!more) continue;
            const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT);
            if (n <= 0) continue;
            datagrams_ += 1;
            records_ += counter_.count(buffer.data(), static_cast<size_t>(n));
        }
    }
    uint16_t port_;
    int fd_ = -1;
    std::atomic<bool> running_{false};
    std::atomic<uint64_t> records_{0};
    std::atomic<uint64_t> datagrams_{0};
    IpfixRecordCounter counter_;
    std::thread thread_;
};

double sample(const std::string& page, const std::string& series) {
    std::istringstream lines(page);
    for (std::string line; std::getline(lines, line);)
        if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
    return -1;
}

std::string series(const std::string& name, const std::string& collector,
                   const std::string& reason = {}) {
    return name + "{collector=\"" + collector + "\"" +
           (reason.empty() ? "" : ",reason=\"" + reason + "\"") + "}";
}

struct Summary {
    uint64_t sent = 0;
    uint64_t dropped = 0;
    std::string line;
};

// The appliance's last word on each collector: "IPFIX export to URL: N records sent, M
// dropped reason=n ...".
std::map<std::string, Summary> summaries(const std::string& log) {
    std::map<std::string, Summary> result;
    static const std::regex line(R"(IPFIX export to (\S+): (\d+) records sent, (\d+) dropped.*)");
    std::istringstream lines(log);
    for (std::string text; std::getline(lines, text);) {
        std::smatch m;
        if (std::regex_search(text, m, line))
            result[m[1]] = Summary{std::stoull(m[2]), std::stoull(m[3]), m[0]};
    }
    return result;
}

std::string url(uint16_t port) {
    return "udp://127.0.0.1:" + std::to_string(port);
}

std::string write_config(const std::string& path, const std::vector<std::string>& collectors) {
    std::ofstream out(path + ".tmp");
    out << "export:\n  ipfix:\n    collectors: [";
    for (size_t i = 0; i < collectors.size(); ++i)
        out << (i ? ", " : "") << '"' << collectors[i] << '"';
    out << "]\nrules:\n  watch_files: false\n";
    out.close();
    fs::rename(path + ".tmp", path);
    return path;
}

std::vector<std::string> run_args(const std::string& dir, const std::string& config,
                                  uint16_t metrics) {
    return {binary_path(),
            "run",
            "-c",
            config,
            "--pcap",
            source_root() + "/config/demo/tume-demo.pcap",
            "--loop",
            "--workers",
            "1",
            "--metrics",
            "127.0.0.1:" + std::to_string(metrics),
            "--flows-out",
            dir + "/flows.jsonl"};
}

// The looping runs write tens of megabytes of flow records: gone when the test is.
struct RemovedAtEnd {
    std::string dir;
    ~RemovedAtEnd() { fs::remove_all(dir); }
};

// IPFIX data records the flow records of a run make in the default unidirectional form: one
// per flow, two when the server answered (the unit of the export's counters).
uint64_t produced(const std::string& path) {
    uint64_t records = 0;
    for (const std::string& line : read_lines(path)) {
        if (line.empty()) continue;
        records += record_field(line, "pkts_s2c") == "0" ? 1 : 2;
    }
    return records;
}

TEST(IpfixReload, AReloadSwapsCollectorsAndNoRecordIsLostOrCountedTwice) {
    const std::string dir = temp_dir() + "/swap";
    fs::create_directories(dir);
    const RemovedAtEnd cleanup{dir};
    const uint16_t port_a = free_port();
    const uint16_t port_b = free_port();
    const uint16_t port_cli = free_port();
    const uint16_t metrics = free_port();
    UdpCollector a(port_a);
    UdpCollector b(port_b);
    UdpCollector cli(port_cli);
    const std::string config = write_config(dir + "/ottscope.yaml", {url(port_a)});
    std::vector<std::string> args = run_args(dir, config, metrics);
    // A command-line collector is not part of the file: reloads keep it.
    args.insert(args.end(), {"--ipfix", url(port_cli)});
    ChildProcess appliance(args, dir + "/appliance.log");
    auto page = [&] { return http_get(metrics, "/metrics"); };
    ASSERT_TRUE(wait_until(
        [&] { return sample(page(), series("ottscope_export_records_total", url(port_a))) > 0; },
        std::chrono::seconds(20)))
        << appliance.log();

    write_config(config, {url(port_b)});
    const auto asked = Clock::now();
    const CommandResult reload = run_command(
        {binary_path(), "ctl", "--api", "127.0.0.1:" + std::to_string(metrics), "reload"});
    const double reload_ms =
        std::chrono::duration<double, std::milli>(Clock::now() - asked).count();
    ASSERT_EQ(reload.status, 0) << reload.output << appliance.log();
    EXPECT_EQ(reload.output.find("restart"), std::string::npos) << reload.output;
    ASSERT_TRUE(wait_until(
        [&] { return sample(page(), series("ottscope_export_records_total", url(port_b))) > 0; },
        std::chrono::seconds(10)))
        << appliance.log();
    const double first_b_ms =
        std::chrono::duration<double, std::milli>(Clock::now() - asked).count();
    // A flushed what it held and closed; its counters stay, frozen.
    ASSERT_TRUE(wait_until(
        [&] {
            const std::string p = page();
            return sample(p, series("ottscope_export_collector_up", url(port_a))) == 0 &&
                   sample(p, series("ottscope_export_queued_records", url(port_a))) == 0;
        },
        std::chrono::seconds(12)))
        << appliance.log();
    const double a_sent = sample(page(), series("ottscope_export_records_total", url(port_a)));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    EXPECT_EQ(sample(page(), series("ottscope_export_records_total", url(port_a))), a_sent);
    const uint64_t a_records_before_stop = a.records();

    ASSERT_EQ(appliance.stop(), 0) << appliance.log();
    a.stop();
    b.stop();
    cli.stop();
    const std::string log = appliance.log();
    const auto summary = summaries(log);
    ASSERT_EQ(summary.size(), 3u) << log;
    const Summary& sa = summary.at(url(port_a));
    const Summary& sb = summary.at(url(port_b));
    const Summary& sc = summary.at(url(port_cli));
    const uint64_t records = produced(dir + "/flows.jsonl");
    // Every record went to exactly one of A and B; none was dropped in the swap.
    EXPECT_EQ(sa.sent + sb.sent, records) << sa.line << "\n" << sb.line;
    EXPECT_EQ(sa.dropped + sb.dropped, 0u) << sa.line << "\n" << sb.line;
    EXPECT_EQ(static_cast<double>(sa.sent), a_sent);
    // The collectors saw what the appliance counted as sent.
    EXPECT_EQ(a.records(), sa.sent);
    EXPECT_EQ(a.records(), a_records_before_stop);
    EXPECT_EQ(b.records(), sb.sent);
    // The command-line collector got everything, before and after the reload.
    EXPECT_EQ(sc.sent, records) << sc.line;
    EXPECT_EQ(sc.dropped, 0u);
    EXPECT_EQ(cli.records(), records);
    const size_t swap = log.find("1 collector started, 1 retiring, 0 replaced");
    ASSERT_NE(swap, std::string::npos) << log;
    const std::string reconcile = log.substr(swap, log.find('\n', swap) - swap);
    std::printf(
        "%llu records: %llu to A before the reload, %llu to B after; reload answered in "
        "%.1f ms (%s), first records counted at B %.0f ms after the request; 0 lost\n",
        static_cast<unsigned long long>(records), static_cast<unsigned long long>(sa.sent),
        static_cast<unsigned long long>(sb.sent), reload_ms, reconcile.c_str(), first_b_ms);
}

TEST(IpfixReload, AUdpCollectorAwayCountsWhatItRefusedAndGetsTheRestWhenBack) {
    const std::string dir = temp_dir() + "/away";
    fs::create_directories(dir);
    const RemovedAtEnd cleanup{dir};
    const uint16_t port = free_port();
    const uint16_t metrics = free_port();
    const std::string config = write_config(dir + "/ottscope.yaml", {url(port)});
    auto collector = std::make_unique<UdpCollector>(port);
    ChildProcess appliance(run_args(dir, config, metrics), dir + "/appliance.log");
    auto page = [&] { return http_get(metrics, "/metrics"); };
    auto sent = [&] { return sample(page(), series("ottscope_export_records_total", url(port))); };
    ASSERT_TRUE(wait_until([&] { return sent() > 0; }, std::chrono::seconds(20)))
        << appliance.log();

    // Away: the port answers ICMP unreachable; records wait in the queue.
    collector->stop();
    const uint64_t received_first = collector->records();
    ASSERT_TRUE(wait_until(
        [&] {
            const std::string p = page();
            return sample(p, series("ottscope_export_collector_up", url(port))) == 0 &&
                   sample(p, series("ottscope_export_queued_records", url(port))) > 0;
        },
        std::chrono::seconds(10)))
        << page() << appliance.log();
    std::this_thread::sleep_for(std::chrono::seconds(2));
    const std::string away = page();
    const double unreachable = sample(
        away, series("ottscope_export_dropped_records_total", url(port), "collector_unreachable"));
    const double queued = sample(away, series("ottscope_export_queued_records", url(port)));

    // Back on the same port: the queue drains to it.
    collector = std::make_unique<UdpCollector>(port);
    ASSERT_TRUE(wait_until(
        [&] {
            const std::string p = page();
            return sample(p, series("ottscope_export_collector_up", url(port))) == 1 &&
                   sample(p, series("ottscope_export_queued_records", url(port))) < queued;
        },
        std::chrono::seconds(10)))
        << appliance.log();
    std::this_thread::sleep_for(std::chrono::seconds(1));
    ASSERT_EQ(appliance.stop(), 0) << appliance.log();
    collector->stop();
    const std::string log = appliance.log();
    const auto summary = summaries(log);
    ASSERT_EQ(summary.size(), 1u) << log;
    const Summary& s = summary.at(url(port));
    const uint64_t records = produced(dir + "/flows.jsonl");
    // Conservation: every record produced is sent or counted as dropped.
    EXPECT_EQ(s.sent + s.dropped, records) << s.line;
    // Nothing was left at the end. The replay makes records faster than a collector that is
    // away for seconds can be queued for (workers never wait for the export), so the queue
    // may overflow meanwhile: counted as buffer_full, inside the conservation above.
    EXPECT_EQ(s.line.find("shutdown"), std::string::npos) << s.line;
    EXPECT_GT(queued, 0);
    // What the collector received: every record counted as sent (a datagram caught in the
    // closing socket's buffer is the loss UDP cannot see), at most those counted as refused
    // on top (the kernel does not say which datagram of the window was refused). The margin
    // is a few datagrams of records: up to about 16 data records each in the unidirectional
    // form, twice as many per flow as biflows, so the same window holds twice the records.
    const uint64_t received = received_first + collector->records();
    EXPECT_GE(received + 256, s.sent) << "received " << received << "; " << s.line;
    EXPECT_LE(received, s.sent + s.dropped) << "received " << received << "; " << s.line;
    std::printf(
        "%llu records produced: %llu sent, %llu dropped (%s); collector received %llu; "
        "%.0f queued while away, %.0f counted collector_unreachable\n",
        static_cast<unsigned long long>(records), static_cast<unsigned long long>(s.sent),
        static_cast<unsigned long long>(s.dropped), s.line.c_str(),
        static_cast<unsigned long long>(received), queued, unreachable);
}

}  // namespace
}  // namespace ottscope::test
