// The control API against clients on the network segment that want it down or confused: sockets
// that never speak, headers dripped a byte at a time, bodies nobody asked for, paths that only
// start like an endpoint, numbers too long for a buffer, listen addresses that would bind more
// than they say. All traffic stays on 127.0.0.1.

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

#include "control/http_client.h"
#include "tests/control/child_process.h"
#include "tests/test_support.h"

namespace ottscope::test {
namespace {

using Clock = std::chrono::steady_clock;
using Milliseconds = std::chrono::duration<double, std::milli>;

constexpr size_t kHostileSockets = 128;  // of each kind
constexpr auto kLatencyLimit = std::chrono::seconds(1);
// Past the server's 2 s header deadline, so its sockets get cut and come back meanwhile.
constexpr auto kSiegeLength = std::chrono::seconds(5);
constexpr auto kDripInterval = std::chrono::milliseconds(300);

// A connected TCP socket to 127.0.0.1, closed with its owner; -1 when the connect failed
// or took longer than a second (a server whose queues are full never completes it).
class Socket {
public:
    explicit Socket(uint16_t port)
        : fd_(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bool connected = connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
        if (!connected && errno == EINPROGRESS) {
            pollfd poll_fd{fd_, POLLOUT, 0};
            int error = 0;
            socklen_t length = sizeof(error);
            connected = poll(&poll_fd, 1, 1000) == 1 &&
                        getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0;
        }
        if (!connected) {
            close(fd_);
            fd_ = -1;
        }
    }
    ~Socket() {
        if (fd_ >= 0) close(fd_);
    }
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;

    [[nodiscard]] bool connected() const { return fd_ >= 0; }
    bool send_text(std::string_view text) const {
        return fd_ >= 0 && ::send(fd_, text.data(), text.size(), MSG_NOSIGNAL) ==
                               static_cast<ssize_t>(text.size());
    }
    // Whether the server has answered or closed (without waiting).
    [[nodiscard]] bool server_spoke() const {
        pollfd poll_fd{fd_, POLLIN, 0};
        return fd_ < 0 || poll(&poll_fd, 1, 0) != 0;
    }
    // Everything the server sends until it closes, or until `limit`; `closed` says which.
    std::string read_until_closed(std::chrono::milliseconds limit, bool& closed) const {
        std::string text;
        closed = false;
        const auto deadline = Clock::now() + limit;
        while (Clock::now() < deadline) {
            pollfd poll_fd{fd_, POLLIN, 100};
            if (poll(&poll_fd, 1, 100) <= 0) continue;
            std::array<char, 4096> buffer{};
            const ssize_t n = recv(fd_, buffer.data(), buffer.size(), 0);
            if (n <= 0) {
                closed = true;
                break;
            }
            text.append(buffer.data(), static_cast<size_t>(n));
        }
        return text;
    }

private:
    int fd_;
};

// Keeps kHostileSockets silent sockets and kHostileSockets slow-header ones open for the
// length of its life: one header byte per drip interval on the slow ones, and every socket the
// server cuts replaced at once, the way an attacker would.
class Siege {
public:
    explicit Siege(uint16_t port) : port_(port) {
        // Once a connect fails the server is already starved: no use waiting for the rest.
        for (size_t i = 0; i < kHostileSockets; ++i) {
            silent_.push_back(std::make_unique<Socket>(port));
            slow_.push_back(open_slow());
            if (!silent_.back()->connected() || !slow_.back()->connected()) break;
        }
        const auto is_connected = [](const auto& socket) { return socket->connected(); };
        connected_at_start_ =
            static_cast<size_t>(std::count_if(silent_.begin(), silent_.end(), is_connected) +
                                std::count_if(slow_.begin(), slow_.end(), is_connected));
        thread_ = std::thread([this] { run(); });
    }
    ~Siege() {
        stop_ = true;
        thread_.join();
    }
    Siege(const Siege&) = delete;
    Siege& operator=(const Siege&) = delete;

    [[nodiscard]] size_t connected_at_start() const { return connected_at_start_; }
    [[nodiscard]] size_t replaced() const { return replaced_; }

private:
    std::unique_ptr<Socket> open_slow() const {
        auto socket = std::make_unique<Socket>(port_);
        socket->send_text("GET /metrics HTTP/1.1\r\nX-Drip: ");
        return socket;
    }
    void run() {
        // Bounded in time whatever happens: the test's own limit is far above this.
        const auto deadline = Clock::now() + 2 * kSiegeLength;
        while (!stop_ && Clock::now() < deadline) {
            for (auto& socket : silent_) {
                if (stop_) return;
                if (socket->server_spoke()) {
                    socket = std::make_unique<Socket>(port_);
                    ++replaced_;
                }
            }
            for (auto& socket : slow_) {
                if (stop_) return;
                if (socket->server_spoke() || !socket->send_text("a")) {
                    socket = open_slow();
                    ++replaced_;
                }
            }
            std::this_thread::sleep_for(kDripInterval);
        }
    }

    uint16_t port_;
    std::vector<std::unique_ptr<Socket>> silent_;
    std::vector<std::unique_ptr<Socket>> slow_;
    size_t connected_at_start_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<size_t> replaced_{0};
    std::thread thread_;
};

class HostileClients : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        port_ = free_port();
        // The capture once, then the API stays up (--linger): nothing else competes for it.
        appliance_ = std::make_unique<ChildProcess>(
            std::vector<std::string>{binary_path(), "run", "--pcap",
                                     source_root() + "/config/demo/tume-demo.pcap", "--workers",
                                     "1", "--linger", "--metrics", address()},
            temp_dir() + "/hostile.log");
        ready_ = wait_until([] { return call("GET", "/healthz").status == 200; },
                            std::chrono::seconds(20));
    }
    static void TearDownTestSuite() { appliance_.reset(); }
    void SetUp() override {
        ASSERT_TRUE(ready_) << "the appliance did not serve its API:\n" << appliance_->log();
    }

    static std::string address() { return "127.0.0.1:" + std::to_string(port_); }
    static HttpResponse call(const std::string& method, const std::string& target) {
        return http_request(address(), method, target, "", 5);
    }
    // The slowest of `rounds` requests for `target`, each checked for 200.
    static Milliseconds slowest(const std::string& target, int rounds) {
        Milliseconds worst{0};
        for (int i = 0; i < rounds; ++i) {
            const auto start = Clock::now();
            const HttpResponse response = call("GET", target);
            const Milliseconds took = Clock::now() - start;
            EXPECT_EQ(response.status, 200) << target << ": " << response.error;
            worst = std::max(worst, took);
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        return worst;
    }

    static inline uint16_t port_ = 0;
    static inline bool ready_ = false;
    static inline std::unique_ptr<ChildProcess> appliance_;
};

TEST_F(HostileClients, SilentAndSlowHeaderSocketsLeaveHealthzAndMetricsAnswering) {
    Siege siege(port_);
    ASSERT_EQ(siege.connected_at_start(), 2 * kHostileSockets);
    Milliseconds healthz{0};
    Milliseconds metrics{0};
    const auto end = Clock::now() + kSiegeLength;
    int rounds = 0;
    while (Clock::now() < end && rounds < 100) {
        healthz = std::max(healthz, slowest("/healthz", 1));
        metrics = std::max(metrics, slowest("/metrics", 1));
        ++rounds;
    }
    std::printf(
        "[ measured ] %zu silent + %zu slow-header sockets held open (%zu replaced after "
        "the server cut them): %d rounds, slowest /healthz %.1f ms, /metrics %.1f ms\n",
        kHostileSockets, kHostileSockets, siege.replaced(), rounds, healthz.count(),
        metrics.count());
    EXPECT_LT(healthz, kLatencyLimit);
    EXPECT_LT(metrics, kLatencyLimit);
    EXPECT_GT(siege.replaced(), 0u) << "the header deadline never cut a hostile socket";
}

TEST_F(HostileClients, SilentSocketIsCutAtTheHeaderDeadline) {
    const Socket silent(port_);
    ASSERT_TRUE(silent.connected());
    const auto start = Clock::now();
    bool closed = false;
    silent.read_until_closed(std::chrono::milliseconds(6000), closed);
    EXPECT_TRUE(closed);
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(4));
}

TEST_F(HostileClients, HeaderDrippedAByteAtATimeIsCutAtTheHeaderDeadline) {
    const Socket slow(port_);
    ASSERT_TRUE(slow.send_text("GET /healthz HTTP/1.1\r\nX-Drip: "));
    const auto start = Clock::now();
    // The deadline counts from the first byte, not from the last one.
    for (int i = 0; i < 40 && !slow.server_spoke() && slow.send_text("a"); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    bool closed = false;
    slow.read_until_closed(std::chrono::milliseconds(2000), closed);
    EXPECT_TRUE(closed);
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(4));
}

TEST_F(HostileClients, BodyDrippedAByteAtATimeIsRefusedWithoutReadingIt) {
    const Socket dripping(port_);
    ASSERT_TRUE(dripping.send_text("POST /-/reload HTTP/1.1\r\nContent-Length: 100000\r\n\r\n"));
    const auto start = Clock::now();
    for (int i = 0; i < 10 && dripping.send_text("a"); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    bool closed = false;
    const std::string answer = dripping.read_until_closed(std::chrono::milliseconds(3000), closed);
    EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer;
    EXPECT_TRUE(closed) << "the server kept reading the body";
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
}

TEST_F(HostileClients, ChunkedBodyIsRefused) {
    const Socket chunked(port_);
    ASSERT_TRUE(
        chunked.send_text("POST /-/reload HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5"));
    bool closed = false;
    const std::string answer = chunked.read_until_closed(std::chrono::milliseconds(3000), closed);
    EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer;
    EXPECT_TRUE(closed);
}

TEST_F(HostileClients, PathsThatOnlyStartLikeAnEndpointAreNotFound) {
    EXPECT_EQ(call("GET", "/metricsXYZ").status, 404);
    EXPECT_EQ(call("GET", "/metrics/").status, 404);
    EXPECT_EQ(call("GET", "/healthz/x").status, 404);
    EXPECT_EQ(call("GET", "/api/v1/statusx").status, 404);
    EXPECT_EQ(call("GET", "/api/v1").status, 404);
    EXPECT_EQ(call("GET", "/").status, 404);
    EXPECT_EQ(call("POST", "/-/reload/x").status, 404);
    EXPECT_EQ(call("POST", "/-/reloadx").status, 404);
    EXPECT_EQ(call("GET", "/metrics").status, 200);
    EXPECT_EQ(call("GET", "/metrics?x=1").status, 200) << "a query string is not part of the path";
}

TEST_F(HostileClients, TopTooLongForABufferIsRefusedNotDefaulted) {
    const HttpResponse response = call("GET", "/api/v1/flows?top=99999999999999999999");
    EXPECT_EQ(response.status, 400);
    EXPECT_NE(response.body.find("top must be a whole number from 1 to 100"), std::string::npos)
        << response.body;
    EXPECT_EQ(call("GET", "/api/v1/flows?top=0000000000000000005").status, 200)
        << "plain decimal digits, however many";
}

TEST_F(HostileClients, TopThatIsNotPlainDecimalIsRefused) {
    for (const char* top :
         {"abc", "", "-5", "+5", "%205", "5%20", "5.0", "0x5", "5e0", "0", "101", "4294967301"})
        EXPECT_EQ(call("GET", std::string("/api/v1/flows?top=") + top).status, 400) << top;
}

TEST_F(HostileClients, PlainTopIsServed) {
    const HttpResponse response = call("GET", "/api/v1/flows?top=5");
    EXPECT_EQ(response.status, 200) << response.body;
    EXPECT_NE(response.body.find("\"top\":5"), std::string::npos) << response.body;
}

// The address checks run before anything else starts: in check-config with the file's
// location, and for --metrics before the EAL.
class BadListenAddress : public testing::TestWithParam<std::string> {};

TEST_P(BadListenAddress, IsRefusedByCheckConfigWithItsLocation) {
    const std::string path = temp_dir() + "/listen.yaml";
    std::ofstream(path) << "control:\n  metrics_listen: \"" << GetParam() << "\"\n";
    const CommandResult result = run_command({binary_path(), "check-config", path});
    EXPECT_EQ(result.status, 1) << result.output;
    EXPECT_NE(result.output.find(path + ":2:19: control.metrics_listen '" + GetParam() + "'"),
              std::string::npos)
        << result.output;
}

TEST_P(BadListenAddress, IsRefusedOnTheCommandLineBeforeTheEalStarts) {
    const CommandResult result =
        run_command({binary_path(), "run", "--pcap", source_root() + "/config/demo/tume-demo.pcap",
                     "--metrics", GetParam()});
    EXPECT_EQ(result.status, 1) << result.output;
    EXPECT_NE(result.output.find("ottscope: --metrics '" + GetParam() + "'"), std::string::npos)
        << result.output;
    EXPECT_EQ(result.output.find("EAL"), std::string::npos) << result.output;
}

INSTANTIATE_TEST_SUITE_P(Spellings, BadListenAddress,
                         testing::Values("127.0.0.1:1,2", "999.1.1.1:9464", "nonsense", "[::]:9464",
                                         "9464", "127.0.0.1:65536"),
                         [](const auto& info) { return "case" + std::to_string(info.index); });

TEST(ListenAddressPortZero, BoundPortIsLoggedAndReported) {
    const std::string log = temp_dir() + "/port-zero.log";
    ChildProcess appliance(
        {binary_path(), "run", "--pcap", source_root() + "/config/demo/tume-demo.pcap", "--workers",
         "1", "--linger", "--metrics", "127.0.0.1:0"},
        log);
    std::string bound;
    ASSERT_TRUE(wait_until(
        [&] {
            const std::string text = appliance.log();
            const size_t at = text.find("API bound to 127.0.0.1:");
            if (at == std::string::npos) return false;
            bound = text.substr(at + 13, text.find(' ', at + 13) - at - 13);
            return true;
        },
        std::chrono::seconds(20)))
        << appliance.log();
    EXPECT_NE(bound, "127.0.0.1:0");
    EXPECT_TRUE(wait_until([&] { return http_request(bound, "GET", "/healthz", "").status == 200; },
                           std::chrono::seconds(10)))
        << bound << "\n"
        << appliance.log();
    EXPECT_NE(http_request(bound, "GET", "/api/v1/status", "").body.find("\"listen\":\"" + bound),
              std::string::npos);
}

}  // namespace
}  // namespace ottscope::test
