// The shipped systemd unit: restart policy, the one capability DPDK needs with vfio-pci, not
// root, not started while the configuration names no port, and (where systemd-analyze exists)
// a unit systemd itself accepts.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>

#include "tests/control/child_process.h"
#include "tests/test_support.h"

namespace ottscope::test {
namespace {

std::multimap<std::string, std::string> unit_settings() {
    std::multimap<std::string, std::string> settings;
    for (const std::string& line : read_lines(source_root() + "/deploy/systemd/ottscope.service")) {
        if (line.empty() || line[0] == '#' || line[0] == '[') continue;
        const auto equals = line.find('=');
        if (equals != std::string::npos)
            settings.emplace(line.substr(0, equals), line.substr(equals + 1));
    }
    return settings;
}

std::string one(const std::multimap<std::string, std::string>& settings, const std::string& key) {
    const auto found = settings.find(key);
    return found == settings.end() ? std::string() : found->second;
}

TEST(SystemdUnit, RestartsOnFailureWithABoundedBurst) {
    const auto unit = unit_settings();
    EXPECT_EQ(one(unit, "Restart"), "on-failure");
    EXPECT_FALSE(one(unit, "RestartSec").empty());
    EXPECT_FALSE(one(unit, "StartLimitBurst").empty());
}

TEST(SystemdUnit, RunsAsItsOwnUserWithOnlyIpcLock) {
    const auto unit = unit_settings();
    EXPECT_EQ(one(unit, "User"), "ottscope");
    EXPECT_EQ(one(unit, "CapabilityBoundingSet"), "CAP_IPC_LOCK");
    EXPECT_EQ(one(unit, "AmbientCapabilities"), "CAP_IPC_LOCK");
    EXPECT_EQ(one(unit, "NoNewPrivileges"), "yes");
    EXPECT_EQ(one(unit, "LimitMEMLOCK"), "infinity");
}

TEST(SystemdUnit, ReloadGoesThroughTheApi) {
    const auto unit = unit_settings();
    EXPECT_NE(one(unit, "ExecReload").find("ctl"), std::string::npos);
    EXPECT_NE(one(unit, "ExecReload").find("reload"), std::string::npos);
}

// The package installs the unit enabled with a configuration that names no port: systemd must
// skip the start (ExecCondition= exit 1 to 254), not fail it, until a port is configured;
// a configuration with errors fails it (255) so that it shows among failed units.
TEST(SystemdUnit, StartsOnlyOnceAPortIsConfigured) {
    const auto unit = unit_settings();
    const std::string condition = one(unit, "ExecCondition");
    ASSERT_EQ(condition,
              "/usr/bin/ottscope check-config --require-ports /etc/ottscope/ottscope.yaml");
    EXPECT_NE(one(unit, "ExecStart").find("-c /etc/ottscope/ottscope.yaml"), std::string::npos);

    const std::string shipped = source_root() + "/config/ottscope.yaml";
    const CommandResult as_installed =
        run_command({binary_path(), "check-config", "--require-ports", shipped});
    EXPECT_EQ(as_installed.status, 1) << as_installed.output;
    EXPECT_NE(as_installed.output.find("no ports configured"), std::string::npos);
    // Without the flag the same file is simply valid.
    EXPECT_EQ(run_command({binary_path(), "check-config", shipped}).status, 0);

    const std::string dir = temp_dir() + "/condition";
    std::filesystem::create_directories(dir);
    const std::string with_port = dir + "/with-port.yaml";
    std::ofstream(with_port) << "ports:\n  - name: mirror0\n    device: \"0000:3b:00.0\"\n";
    const CommandResult configured =
        run_command({binary_path(), "check-config", "--require-ports", with_port});
    EXPECT_EQ(configured.status, 0) << configured.output;

    const std::string broken = dir + "/broken.yaml";
    std::ofstream(broken) << "ports:\n  - name: mirror0\n    device: \"0000:3b:00.0\"\n"
                          << "flow_table:\n  capacity: -3\n";
    const CommandResult failed =
        run_command({binary_path(), "check-config", "--require-ports", broken});
    EXPECT_EQ(failed.status, 255) << failed.output;
}

TEST(SystemdUnit, SystemdAcceptsIt) {
    const std::string analyze = find_program("systemd-analyze");
    if (analyze.empty()) GTEST_SKIP() << "systemd-analyze is absent (package systemd)";
    // Point the unit at the binary under test so verify can check the executables exist.
    const std::string dir = temp_dir() + "/unit";
    std::filesystem::create_directories(dir);
    std::ofstream out(dir + "/ottscope.service");
    for (std::string line : read_lines(source_root() + "/deploy/systemd/ottscope.service")) {
        line = std::regex_replace(line, std::regex("/usr/bin/ottscope"), binary_path());
        out << line << "\n";
    }
    out.close();
    // --man=no: Documentation= names ottscope(8), which the package installs and the machine
    // running the tests need not have.
    const CommandResult verify =
        run_command({analyze, "verify", "--man=no", dir + "/ottscope.service"});
    EXPECT_EQ(verify.status, 0) << verify.output;
}

}  // namespace
}  // namespace ottscope::test
