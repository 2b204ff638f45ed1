// Rules change under a running appliance: reloads under load lose no packet, a broken file
// never takes effect, and new flows on a live port get the new verdicts.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <thread>

#include "tests/control/child_process.h"
#include "tests/test_support.h"

namespace ottscope::test {
namespace {

using namespace std::chrono_literals;

// The value of one sample in a /metrics page, or -1.
double sample(const std::string& metrics, const std::string& series) {
    const size_t at = metrics.find("\n" + series + " ");
    if (at == std::string::npos) return -1;
    return std::stod(metrics.substr(at + series.size() + 2));
}

template <typename Fetch>
std::string wait_for(Fetch fetch, const std::function<bool(const std::string&)>& ready,
                     std::chrono::milliseconds limit = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    std::string page;
    while (std::chrono::steady_clock::now() < deadline) {
        page = fetch();
        if (ready(page)) return page;
        std::this_thread::sleep_for(20ms);
    }
    return page;
}

void write_file(const std::string& path, const std::string& text) {
    // Written whole under another name, then renamed: a reload never sees half a file.
    std::ofstream(path + ".tmp") << text;
    std::rename((path + ".tmp").c_str(), path.c_str());
}

std::string dns_rule(const std::string& app) {
    return "apps:\n  - name: " + app +
           "\n    category: test\n    match:\n      any:\n        - ndpi: [DNS]\n";
}

std::string write_config(const std::string& dir, const std::string& extra = {}) {
    std::system(("mkdir -p " + dir + "/rules.d").c_str());
    const std::string config = dir + "/ottscope.yaml";
    write_file(config, extra + "rules:\n  files: [\"rules.d/*.yaml\"]\n  watch_files: false\n");
    return config;
}

// Two workers replaying a capture keep the receiver (worker 0, or the dedicated fan-out
// lcore) busy all along: each reload waits for every worker's quiescent state, the busy
// receiver worker's included.
class ReloadUnderLoad : public testing::TestWithParam<std::string> {};

TEST_P(ReloadUnderLoad, HundredReloadsLoseNothingAndBrokenFilesNeverTakeEffect) {
    const std::string dir = temp_dir() + "/hundred-" + GetParam();
    const std::string config = write_config(dir, "dataplane:\n  fanout: " + GetParam() + "\n");
    write_file(dir + "/rules.d/a.yaml", dns_rule("reload-a"));
    const uint16_t port = free_port();
    ChildProcess appliance({binary_path(), "run", "-c", config, "--pcap",
                            source_root() + "/config/demo/tume-demo.pcap", "--loop", "--workers",
                            "2", "--metrics", "127.0.0.1:" + std::to_string(port)},
                           temp_dir() + "/appliance.log");
    auto metrics = [port] { return http_get(port, "/metrics"); };
    const std::string first = wait_for(metrics, [](const std::string& page) {
        return page.find("ottscope_rules_version 1") != std::string::npos;
    });
    ASSERT_NE(first.find("ottscope_rules_version 1"), std::string::npos) << appliance.log();

    double version = 1;
    int successes = 0, failures = 0;
    for (int i = 0; i < 100; ++i) {
        const bool broken = i % 4 == 3;
        if (broken) {
            // Alternately a syntax error and a semantic one, in a second file.
            write_file(dir + "/rules.d/b.yaml", i % 8 == 3 ? "apps: [\n" : dns_rule("Bad Name"));
        } else {
            std::remove((dir + "/rules.d/b.yaml").c_str());
            write_file(dir + "/rules.d/a.yaml", dns_rule(i % 2 == 0 ? "reload-b" : "reload-a"));
        }
        appliance.signal(SIGHUP);
        const int want_total = successes + failures + 1;
        const std::string page = wait_for(metrics, [&](const std::string& p) {
            return sample(p, "ottscope_config_reloads_total{result=\"success\"}") +
                       sample(p, "ottscope_config_reloads_total{result=\"failure\"}") >=
                   want_total;
        });
        (broken ? failures : successes) += 1;
        ASSERT_EQ(sample(page, "ottscope_config_reloads_total{result=\"success\"}"), successes)
            << "reload " << i << "\n"
            << appliance.log();
        ASSERT_EQ(sample(page, "ottscope_config_reloads_total{result=\"failure\"}"), failures);
        ASSERT_EQ(sample(page, "ottscope_config_last_reload_success"), broken ? 0 : 1);
        if (!broken) version += 1;
        // A broken file never takes effect: the version in force moves only on success.
        ASSERT_EQ(sample(page, "ottscope_rules_version"), version);
    }
    EXPECT_EQ(successes, 75);
    EXPECT_EQ(failures, 25);
    const int status = appliance.stop();
    const std::string output = appliance.log();
    EXPECT_EQ(status, 0) << output;
    EXPECT_TRUE(std::regex_search(output, std::regex("conservation: received \\d+ = .*: holds")))
        << output;
    EXPECT_NE(output.find("end of sequence flow not found"), std::string::npos);
    EXPECT_NE(output.find("app name 'Bad Name'"), std::string::npos);
    EXPECT_NE(output.find(GetParam() == "receiver" ? "(fan-out in worker 0"
                                                   : "(fan-out on a dedicated lcore)"),
              std::string::npos)
        << output;
}

INSTANTIATE_TEST_SUITE_P(Fanout, ReloadUnderLoad, testing::Values("receiver", "dedicated"),
                         [](const auto& info) { return info.param; });

TEST(Reload, BrokenRulesAtStartupStopNothingStarts) {
    const std::string dir = temp_dir() + "/startup";
    const std::string config = write_config(dir);
    write_file(dir + "/rules.d/a.yaml", "apps:\n  - name: x\n    categry: t\n");
    const CommandResult result =
        run_command({binary_path(), "run", "-c", config, "--pcap",
                     source_root() + "/config/demo/tume-demo.pcap", "--metrics",
                     "127.0.0.1:" + std::to_string(free_port())});
    EXPECT_EQ(result.status, 1);
    EXPECT_NE(result.output.find(dir + "/rules.d/a.yaml:3:5: unknown key 'categry' in apps[] (did "
                                       "you mean 'category'?)"),
              std::string::npos)
        << result.output;
    EXPECT_EQ(result.output.find("conservation"), std::string::npos);
}

TEST(Reload, CheckConfigReadsTheRulesItNames) {
    const std::string dir = temp_dir() + "/check";
    const std::string config = write_config(dir);
    write_file(dir + "/rules.d/a.yaml", dns_rule("fine-app"));
    CommandResult result = run_command({binary_path(), "check-config", config});
    EXPECT_EQ(result.status, 0) << result.output;
    EXPECT_NE(result.output.find("ok (1 rule file, 1 app)"), std::string::npos);
    write_file(dir + "/rules.d/b.yaml", "apps:\n  - name: y\n    category: t\n    match: {}\n");
    result = run_command({binary_path(), "check-config", config});
    EXPECT_EQ(result.status, 1);
    EXPECT_NE(result.output.find("b.yaml:4:12: apps[].match takes exactly one of any or all"),
              std::string::npos)
        << result.output;
}

// A live port: a veth pair in a network namespace of our own, read through the pcap PMD, so
// that traffic arrives when the test sends it, after a reload.
class LivePort {
public:
    LivePort() : ns_("ottrl" + std::to_string(getpid()) + "x" + std::to_string(++count_)) {}
    ~LivePort() { run_command({"/usr/sbin/ip", "netns", "delete", ns_}); }

    [[nodiscard]] bool create() {
        if (run_command({"/usr/sbin/ip", "netns", "add", ns_}).status != 0) return false;
        if (in_ns({"/usr/sbin/ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1"})
                .status != 0)
            return false;
        for (const char* link : {"v0", "v1", "lo"})
            if (in_ns({"/usr/sbin/ip", "link", "set", link, "up"}).status != 0) return false;
        return true;
    }
    CommandResult in_ns(std::vector<std::string> argv) const {
        argv.insert(argv.begin(), {"/usr/sbin/ip", "netns", "exec", ns_});
        return run_command(argv);
    }
    [[nodiscard]] std::vector<std::string> wrap(std::vector<std::string> argv) const {
        argv.insert(argv.begin(), {"/usr/sbin/ip", "netns", "exec", ns_});
        return argv;
    }
    [[nodiscard]] std::string metrics(uint16_t port) const {
        return in_ns({"/usr/bin/curl", "-s", "127.0.0.1:" + std::to_string(port) + "/metrics"})
            .output;
    }
    // Sends a capture's frames into the port, as a mirror would.
    [[nodiscard]] bool send(const std::string& pcap) const {
        return in_ns({"/usr/bin/python3", "-c",
                      "import sys\nfrom scapy.all import rdpcap, sendp\n"
                      "sendp(rdpcap(sys.argv[1]), iface='v0', verbose=False)",
                      pcap})
                   .status == 0;
    }
    static std::string port_config() {
        return "ports:\n  - name: live0\n    device: \"net_pcap0,iface=v1\"\n";
    }

private:
    static inline int count_ = 0;
    std::string ns_;
};

bool has_version(const std::string& page, int version) {
    return page.find("ottscope_rules_version " + std::to_string(version) + "\n") !=
           std::string::npos;
}

// Flows that arrive after a reload are named by the new rules; those before keep theirs.
TEST(Reload, NewFlowsOnALivePortGetTheNewRules) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root for a network namespace";
    LivePort live;
    ASSERT_TRUE(live.create());
    const std::string dir = temp_dir() + "/live";
    const std::string config = write_config(dir, LivePort::port_config());
    write_file(dir + "/rules.d/a.yaml", dns_rule("dns-before"));
    const std::string second = dir + "/second.pcap";
    ASSERT_EQ(run_command({binary_path(), "synth", "--out", second, "--seed", "7"}).status, 0);

    const uint16_t port = free_port();
    ChildProcess appliance(live.wrap({binary_path(), "run", "-c", config, "--workers", "1",
                                      "--metrics", "127.0.0.1:" + std::to_string(port)}),
                           temp_dir() + "/appliance.log");
    auto metrics = [&] { return live.metrics(port); };
    const std::string before_flows =
        "ottscope_app_flows_total{app=\"dns-before\",category=\"test\"}";
    const std::string after_flows = "ottscope_app_flows_total{app=\"dns-after\",category=\"test\"}";
    ASSERT_TRUE(
        has_version(wait_for(metrics, [](const std::string& p) { return has_version(p, 1); }), 1))
        << appliance.log();

    ASSERT_TRUE(live.send(source_root() + "/config/demo/tume-demo.pcap"));
    std::string page =
        wait_for(metrics, [&](const std::string& p) { return sample(p, before_flows) >= 3; });
    const double before = sample(page, before_flows);
    ASSERT_GE(before, 3) << page;

    write_file(dir + "/rules.d/a.yaml", dns_rule("dns-after"));
    appliance.signal(SIGHUP);
    ASSERT_TRUE(
        has_version(wait_for(metrics, [](const std::string& p) { return has_version(p, 2); }), 2));

    ASSERT_TRUE(live.send(second));
    page = wait_for(metrics, [&](const std::string& p) { return sample(p, after_flows) >= 3; });
    EXPECT_GE(sample(page, after_flows), 3) << page;
    EXPECT_EQ(sample(page, before_flows), before);  // decided flows keep their verdict
    EXPECT_EQ(appliance.stop(), 0);
    EXPECT_NE(appliance.log().find(": holds"), std::string::npos) << appliance.log();
}

// A changed nDPI protocols file needs new nDPI modules: built off the packet path, taken up by
// the workers between bursts, and its new protocol names usable by rules in the same reload.
// A protocols file that cannot be loaded changes nothing.
TEST(Reload, ProtocolsFileChangeSwitchesNdpiModules) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root for a network namespace";
    LivePort live;
    ASSERT_TRUE(live.create());
    const std::string dir = temp_dir() + "/protocols";
    const std::string config = write_config(
        dir, LivePort::port_config() + "classifiers:\n  ndpi:\n    protocols_file: protos.txt\n");
    write_file(dir + "/protos.txt", "tcp:1@PlaceHolder\n");
    write_file(dir + "/rules.d/a.yaml", "apps: []\n");
    const uint16_t port = free_port();
    ChildProcess appliance(live.wrap({binary_path(), "run", "-c", config, "--workers", "1",
                                      "--metrics", "127.0.0.1:" + std::to_string(port)}),
                           temp_dir() + "/appliance.log");
    auto metrics = [&] { return live.metrics(port); };
    ASSERT_TRUE(
        has_version(wait_for(metrics, [](const std::string& p) { return has_version(p, 1); }), 1))
        << appliance.log();

    write_file(dir + "/protos.txt", "host:\"tumeapp.com\"@TuMeCustom\n");
    write_file(dir + "/rules.d/b.yaml",
               "apps:\n  - name: custom-rule\n    category: test\n"
               "    match: { any: [ { ndpi: [TuMeCustom] } ] }\n");
    appliance.signal(SIGHUP);
    ASSERT_TRUE(
        has_version(wait_for(metrics, [](const std::string& p) { return has_version(p, 2); }), 2))
        << appliance.log();

    ASSERT_TRUE(live.send(source_root() + "/config/demo/tume-demo.pcap"));
    const std::string custom = "ottscope_app_flows_total{app=\"custom-rule\",category=\"test\"}";
    std::string page =
        wait_for(metrics, [&](const std::string& p) { return sample(p, custom) >= 3; });
    EXPECT_GE(sample(page, custom), 3) << page;

    std::remove((dir + "/protos.txt").c_str());
    appliance.signal(SIGHUP);
    page = wait_for(metrics, [&](const std::string& p) {
        return sample(p, "ottscope_config_reloads_total{result=\"failure\"}") >= 1;
    });
    EXPECT_EQ(sample(page, "ottscope_config_last_reload_success"), 0);
    EXPECT_TRUE(has_version(page, 2));
    EXPECT_EQ(appliance.stop(), 0);
    const std::string output = appliance.log();
    // The configuration names the missing file at its key, before nDPI is asked to load it.
    EXPECT_NE(output.find("ottscope.yaml:6:21: classifiers.ndpi.protocols_file"), std::string::npos)
        << output;
    EXPECT_NE(output.find(": holds"), std::string::npos) << output;
}

}  // namespace
}  // namespace ottscope::test
