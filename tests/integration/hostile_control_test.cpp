// The control side tried as an unlucky operator and an attacker would: outputs that do not
// move or fail, rule paths that are not files, files rewritten under the watch, stop signals
// at the worst moment. In every case packets keep flowing (received keeps growing while the
// trouble lasts), the counters say what happened, and a stop ends the run within a second
// with the summary and a conservation line that holds.

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <regex>
#include <thread>

#include "tests/control/child_process.h"
#include "tests/test_support.h"

namespace ottscope::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// The sum of every sample of a series whose name and labels start with `prefix`, or -1.
double metric_sum(const std::string& metrics, const std::string& prefix) {
    double sum = -1;
    size_t at = 0;
    while ((at = metrics.find("\n" + prefix, at)) != std::string::npos) {
        at += 1;
        const size_t space = metrics.find(' ', at);
        const size_t end = metrics.find('\n', space);
        if (space == std::string::npos) break;
        sum = (sum < 0 ? 0 : sum) + std::stod(metrics.substr(space + 1, end - space - 1));
    }
    return sum;
}

void write_file(const std::string& path, const std::string& text) {
    std::ofstream(path + ".tmp") << text;
    std::rename((path + ".tmp").c_str(), path.c_str());
}

// An appliance replaying the demo capture from memory until stopped, its API on a free port.
class LoopingAppliance {
public:
    explicit LoopingAppliance(const std::string& name, std::vector<std::string> extra = {})
        : port_(free_port()), log_(temp_dir() + "/" + name + ".log") {
        std::vector<std::string> argv = {binary_path(),
                                         "run",
                                         "--pcap",
                                         demo_capture(),
                                         "--loop",
                                         "--metrics",
                                         "127.0.0.1:" + std::to_string(port_)};
        argv.insert(argv.end(), extra.begin(), extra.end());
        process_ = std::make_unique<ChildProcess>(argv, log_);
    }
    [[nodiscard]] std::string metrics() const { return http_get(port_, "/metrics"); }
    [[nodiscard]] uint16_t port() const { return port_; }
    [[nodiscard]] double received() const {
        return metric_sum(metrics(), "ottscope_rx_packets_total");
    }
    // Waits until the API answers with packets counted.
    [[nodiscard]] bool wait_running() const {
        return wait_until([this] { return received() > 0; }, 20s);
    }
    // Received packets grow over `interval`: the packet path is not held up.
    [[nodiscard]] bool packets_flow(std::chrono::milliseconds interval = 700ms) const {
        const double before = received();
        std::this_thread::sleep_for(interval);
        return received() > before && before > 0;
    }
    // SIGTERM; the run must end within `limit` (the status, or -2 if it did not).
    struct Stopped {
        int status = -2;
        double seconds = 0;
        std::string log;
    };
    Stopped stop(std::chrono::milliseconds limit = 1000ms) {
        const auto start = Clock::now();
        process_->signal(SIGTERM);
        const bool ended = wait_until_ms([this] { return !process_->running(); }, limit);
        Stopped result;
        result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
        result.status = ended ? process_->stop() : (process_->stop(), -2);
        result.log = process_->log();
        return result;
    }
    [[nodiscard]] std::string log() const { return process_->log(); }

private:
    static bool wait_until_ms(const std::function<bool()>& done, std::chrono::milliseconds limit) {
        const auto deadline = Clock::now() + limit;
        while (Clock::now() < deadline) {
            if (done()) return true;
            std::this_thread::sleep_for(10ms);
        }
        return done();
    }
    uint16_t port_;
    std::string log_;
    std::unique_ptr<ChildProcess> process_;
};

bool conservation_holds(const std::string& log) {
    return std::regex_search(log, std::regex("conservation: received \\d+ = .*: holds"));
}

// "flow records to PATH: W written, D dropped": both numbers.
std::pair<uint64_t, uint64_t> record_summary(const std::string& log) {
    std::smatch match;
    if (!std::regex_search(log, match,
                           std::regex("flow records to .*: (\\d+) written, (\\d+) dropped")))
        return {0, 0};
    return {std::stoull(match[1]), std::stoull(match[2])};
}

TEST(HostileOutput, FifoNobodyOpensHoldsUpNeitherStartNorPacketsNorStop) {
    const std::string fifo = temp_dir() + "/nobody-reads.fifo";
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    LoopingAppliance appliance("fifo-nobody", {"--flows-out", fifo});
    ASSERT_TRUE(appliance.wait_running()) << appliance.log();
    EXPECT_TRUE(appliance.packets_flow()) << appliance.log();
    const std::string metrics = appliance.metrics();
    EXPECT_EQ(metric_sum(metrics, "ottscope_flow_record_sink_open{sink=\"jsonl\"}"), 0) << metrics;
    const auto stopped = appliance.stop();
    ASSERT_NE(stopped.status, -2) << "not stopped within 1 s\n" << stopped.log;
    EXPECT_TRUE(conservation_holds(stopped.log)) << stopped.log;
    const auto [written, dropped] = record_summary(stopped.log);
    EXPECT_EQ(written, 0U) << stopped.log;
    EXPECT_GT(dropped, 0U) << stopped.log;
}

TEST(HostileOutput, FifoReaderThatStopsReadingFreezesNothing) {
    const std::string fifo = temp_dir() + "/stops-reading.fifo";
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    // A reader that opens the FIFO and never reads: the pipe fills, then the backlog.
    const int reader = open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
    ASSERT_GE(reader, 0);
    LoopingAppliance appliance("fifo-stuck", {"--flows-out", fifo});
    ASSERT_TRUE(appliance.wait_running()) << appliance.log();
    ASSERT_TRUE(wait_until(
        [&] {
            return metric_sum(appliance.metrics(), "ottscope_flow_record_sink_backlog_bytes") > 0 ||
                   metric_sum(appliance.metrics(),
                              "ottscope_flow_records_dropped_total{sink=\"jsonl\"") > 0;
        },
        20s))
        << appliance.metrics();
    EXPECT_TRUE(appliance.packets_flow()) << appliance.log();
    EXPECT_TRUE(appliance.packets_flow()) << appliance.log();
    const auto stopped = appliance.stop();
    close(reader);
    ASSERT_NE(stopped.status, -2) << "not stopped within 1 s\n" << stopped.log;
    EXPECT_LE(stopped.seconds, 1.0);
    EXPECT_TRUE(conservation_holds(stopped.log)) << stopped.log;
    const auto [written, dropped] = record_summary(stopped.log);
    EXPECT_GT(written + dropped, 0U) << stopped.log;
    EXPECT_NE(stopped.log.find("shutdown"), std::string::npos) << stopped.log;
}

TEST(HostileOutput, FullFilesystemIsCountedAtOnceAndLeavesWholeLines) {
    const std::string mount_point = temp_dir() + "/small-tmpfs";
    ASSERT_EQ(mkdir(mount_point.c_str(), 0700), 0);
    if (mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=64k") != 0)
        GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << std::strerror(errno);
    const std::string out = mount_point + "/flows.jsonl";
    {
        LoopingAppliance appliance("disk-full", {"--flows-out", out});
        ASSERT_TRUE(appliance.wait_running()) << appliance.log();
        ASSERT_TRUE(wait_until(
            [&] {
                return metric_sum(appliance.metrics(),
                                  "ottscope_flow_record_sink_errors_total{sink=\"jsonl\",reason="
                                  "\"disk_full\"}") > 0;
            },
            20s))
            << appliance.metrics();
        EXPECT_GT(metric_sum(
                      appliance.metrics(),
                      "ottscope_flow_records_dropped_total{sink=\"jsonl\",reason=\"write_error\"}"),
                  0);
        EXPECT_TRUE(appliance.packets_flow()) << appliance.log();
        const std::string log = appliance.log();
        EXPECT_NE(log.find("No space left on device"), std::string::npos) << log;
        const auto stopped = appliance.stop();
        EXPECT_NE(stopped.status, -2) << stopped.log;
        EXPECT_TRUE(conservation_holds(stopped.log)) << stopped.log;
        // Logged at once, then folded: far fewer lines than failed writes.
        const auto lines = std::count(stopped.log.begin(), stopped.log.end(), '\n');
        EXPECT_LT(lines, 60) << stopped.log;
    }
    // The file was cut back to its last whole line after every failure.
    const std::vector<std::string> records = read_lines(out);
    EXPECT_FALSE(records.empty());
    for (const std::string& record : records)
        ASSERT_TRUE(record.starts_with("{\"proto\"") && record.ends_with("}")) << record;
    umount2(mount_point.c_str(), MNT_DETACH);
}

TEST(HostileOutput, SigtermWhileTheOutputIsStuckEndsWithinASecond) {
    const std::string fifo = temp_dir() + "/sigterm.fifo";
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    const int reader = open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
    ASSERT_GE(reader, 0);
    LoopingAppliance appliance("sigterm-stuck", {"--flows-out", fifo, "--workers", "2"});
    ASSERT_TRUE(appliance.wait_running()) << appliance.log();
    std::this_thread::sleep_for(1500ms);  // the pipe is full by now
    const auto stopped = appliance.stop();
    close(reader);
    ASSERT_NE(stopped.status, -2) << "not stopped within 1 s\n" << stopped.log;
    EXPECT_TRUE(conservation_holds(stopped.log)) << stopped.log;
    EXPECT_NE(stopped.log.find("processed"), std::string::npos) << stopped.log;
}

// 128 sockets on the API that send nothing and 128 that send a header a byte at a time,
// replaced as soon as the server cuts them, while the capture replays.
TEST(HostileSockets, SilentAndSlowHeaderSocketsStarveNeitherTheApiNorThePackets) {
    LoopingAppliance appliance("hostile-sockets");
    ASSERT_TRUE(appliance.wait_running()) << appliance.log();
    const uint16_t port = appliance.port();
    auto open_socket = [port] {
        const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        // Non-blocking: EINPROGRESS is the usual answer; the socket connects meanwhile.
        (void)connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
        return fd;
    };
    std::vector<int> silent;
    std::vector<int> slow;
    for (int i = 0; i < 128; ++i) {
        silent.push_back(open_socket());
        slow.push_back(open_socket());
    }
    std::atomic<bool> stop{false};
    std::thread dripper([&] {
        while (!stop.load()) {
            for (int& fd : slow)
                if (send(fd, "G", 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno != EAGAIN) {
                    close(fd);
                    fd = open_socket();
                }
            std::this_thread::sleep_for(300ms);
        }
    });
    double slowest_healthz = 0;
    for (int round = 0; round < 5; ++round) {
        const auto start = Clock::now();
        const std::string health = http_get(port, "/healthz");
        slowest_healthz =
            std::max(slowest_healthz, std::chrono::duration<double>(Clock::now() - start).count());
        EXPECT_NE(health.find("ok"), std::string::npos) << health;
        EXPECT_TRUE(appliance.packets_flow(300ms)) << appliance.log();
    }
    stop.store(true);
    dripper.join();
    std::printf("256 hostile sockets open: slowest /healthz %.1f ms\n", slowest_healthz * 1000);
    EXPECT_LT(slowest_healthz, 1.0);
    for (int fd : silent) close(fd);
    for (int fd : slow) close(fd);
    const auto stopped = appliance.stop();
    ASSERT_NE(stopped.status, -2) << stopped.log;
    EXPECT_TRUE(conservation_holds(stopped.log)) << stopped.log;
}

class HostileRules : public testing::Test {
protected:
    void SetUp() override {
        dir_ = temp_dir() + "/" + testing::UnitTest::GetInstance()->current_test_info()->name();
        std::filesystem::create_directories(dir_ + "/rules.d");
        config_ = dir_ + "/ottscope.yaml";
        write_file(config_, "rules:\n  files: [\"rules.d/*.yaml\"]\n  watch_files: true\n");
        write_file(dir_ + "/rules.d/a.yaml", app_rule("watch-a"));
    }
    static std::string app_rule(const std::string& app) {
        return "apps:\n  - name: " + app +
               "\n    category: test\n    match:\n      any:\n        - ndpi: [DNS]\n";
    }
    [[nodiscard]] double reloads(const LoopingAppliance& appliance, const char* result) const {
        return metric_sum(appliance.metrics(),
                          std::string("ottscope_config_reloads_total{result=\"") + result + "\"}");
    }
    // The appliance keeps running, packets flow, a failed reload is counted, and it stops
    // within a second with conservation.
    void expect_refused_and_survived(LoopingAppliance& appliance, const std::string& what) {
        ASSERT_TRUE(wait_until([&] { return reloads(appliance, "failure") >= 1; }, 15s))
            << appliance.log();
        EXPECT_TRUE(appliance.packets_flow()) << appliance.log();
        EXPECT_EQ(metric_sum(appliance.metrics(), "ottscope_rules_version"), 1);
        const auto stopped = appliance.stop();
        ASSERT_NE(stopped.status, -2) << "not stopped within 1 s\n" << stopped.log;
        EXPECT_EQ(stopped.status, 0) << stopped.log;
        EXPECT_TRUE(conservation_holds(stopped.log)) << stopped.log;
        EXPECT_NE(stopped.log.find(what), std::string::npos) << stopped.log;
    }
    std::string dir_;
    std::string config_;
};

TEST_F(HostileRules, DirectoryNamedLikeARulesFile) {
    LoopingAppliance appliance("rules-dir", {"-c", config_});
    ASSERT_TRUE(appliance.wait_running()) << appliance.log();
    std::filesystem::create_directory(dir_ + "/rules.d/zz.yaml");
    expect_refused_and_survived(appliance, "zz.yaml");
}

TEST_F(HostileRules, FifoInRulesDirectory) {
    LoopingAppliance appliance("rules-fifo", {"-c", config_});
    ASSERT_TRUE(appliance.wait_running()) << appliance.log();
    ASSERT_EQ(mkfifo((dir_ + "/rules.d/zz.yaml").c_str(), 0600), 0);
    expect_refused_and_survived(appliance, "zz.yaml");
}

TEST_F(HostileRules, DanglingSymlinkInRulesDirectory) {
    LoopingAppliance appliance("rules-dangling", {"-c", config_});
    ASSERT_TRUE(appliance.wait_running()) << appliance.log();
    ASSERT_EQ(symlink((dir_ + "/nowhere.yaml").c_str(), (dir_ + "/rules.d/zz.yaml").c_str()), 0);
    expect_refused_and_survived(appliance, "zz.yaml");
}

TEST_F(HostileRules, AliasBombInRulesDirectory) {
    LoopingAppliance appliance("rules-alias-bomb", {"-c", config_});
    ASSERT_TRUE(appliance.wait_running()) << appliance.log();
    // Ten levels of ten aliases each: 10^10 nodes once expanded, 1 KB on disk.
    std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (int level = 1; level <= 10; ++level) {
        const std::string previous = "*a" + std::to_string(level - 1);
        bomb += "a" + std::to_string(level) + ": &a" + std::to_string(level) + " [";
        for (int i = 0; i < 10; ++i) bomb += (i == 0 ? "" : ", ") + previous;
        bomb += "]\n";
    }
    bomb += "apps: *a10\n";
    const auto start = Clock::now();
    write_file(dir_ + "/rules.d/zz.yaml", bomb);
    expect_refused_and_survived(appliance, "zz.yaml");
    EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 15);
}

// An editor or a copy writing the file in place, a line every 100 ms with the file kept
// open: no half version is ever loaded, only the finished one, once.
TEST_F(HostileRules, SlowInPlaceRewriteLoadsOnlyTheWholeFile) {
    write_file(dir_ + "/rules.d/a.yaml",
               app_rule("watch-a") + app_rule("watch-b").substr(6) + app_rule("watch-c").substr(6));
    LoopingAppliance appliance("rules-slow-rewrite", {"-c", config_});
    ASSERT_TRUE(appliance.wait_running()) << appliance.log();
    const std::string final_text =
        app_rule("watch-d") + app_rule("watch-e").substr(6) + app_rule("watch-f").substr(6);
    {
        std::ofstream file(dir_ + "/rules.d/a.yaml", std::ios::trunc);
        size_t start = 0;
        while (start < final_text.size()) {
            const size_t end = final_text.find('\n', start);
            file << final_text.substr(start, end - start + 1) << std::flush;
            start = end + 1;
            std::this_thread::sleep_for(100ms);
        }
    }
    ASSERT_TRUE(wait_until([&] { return reloads(appliance, "success") >= 1; }, 15s))
        << appliance.log();
    std::this_thread::sleep_for(2500ms);  // any further (wrong) reload would come by now
    EXPECT_EQ(reloads(appliance, "success"), 1) << appliance.log();
    EXPECT_EQ(reloads(appliance, "failure"), 0) << appliance.log();
    const auto stopped = appliance.stop();
    EXPECT_NE(stopped.status, -2) << stopped.log;
    EXPECT_NE(stopped.log.find("version 2, 3 apps"), std::string::npos) << stopped.log;
    EXPECT_TRUE(conservation_holds(stopped.log)) << stopped.log;
}

// A key log of a million sessions: start-up reads it in a few seconds, and a key log that
// keeps growing while the appliance runs is read by its appended lines only.
TEST(HostileKeyLog, MillionLineKeyLogAndGrowthKeepPacketsFlowing) {
    const std::string keylog = temp_dir() + "/million.keys";
    {
        std::ofstream out(keylog);
        char line[200];
        for (unsigned i = 0; i < 1'000'000; ++i) {
            const int n =
                std::snprintf(line, sizeof(line), "CLIENT_RANDOM %064x %096x\n", i, i * 7U + 1);
            out.write(line, n);
        }
    }
    const auto start = Clock::now();
    LoopingAppliance appliance("keylog-million", {"--tls-keylog", keylog});
    ASSERT_TRUE(appliance.wait_running()) << appliance.log();
    const double startup = std::chrono::duration<double>(Clock::now() - start).count();
    EXPECT_LT(startup, 8) << appliance.log();
    std::printf("start-up with a 1M-line key log: %.2f s\n", startup);
    EXPECT_EQ(metric_sum(appliance.metrics(), "ottscope_tls_keylog_sessions"), 1'000'000);
    // Grows by 1,000 sessions, three times, while packets flow.
    for (unsigned round = 0; round < 3; ++round) {
        {
            std::ofstream out(keylog, std::ios::app);
            char line[200];
            for (unsigned i = 0; i < 1000; ++i) {
                const int n = std::snprintf(line, sizeof(line), "CLIENT_RANDOM %064x %096x\n",
                                            2'000'000 + round * 1000 + i, 5U);
                out.write(line, n);
            }
        }
        const double want = 1'000'000 + (round + 1) * 1000.0;
        ASSERT_TRUE(wait_until(
            [&] { return metric_sum(appliance.metrics(), "ottscope_tls_keylog_sessions") == want; },
            10s))
            << appliance.metrics();
        EXPECT_TRUE(appliance.packets_flow()) << appliance.log();
    }
    const auto stopped = appliance.stop();
    EXPECT_NE(stopped.status, -2) << stopped.log;
    EXPECT_TRUE(conservation_holds(stopped.log)) << stopped.log;
}

}  // namespace
}  // namespace ottscope::test
