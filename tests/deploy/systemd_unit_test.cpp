// The shipped systemd unit: restart policy, the one capability DPDK needs with vfio-pci, not
// root, and (where systemd-analyze exists) a unit systemd itself accepts.

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

TEST(SystemdUnit, SystemdAcceptsIt) {
    const std::string analyze = find_program("systemd-analyze");
    if (analyze.empty()) GTEST_SKIP() << "systemd-analyze is absent (package systemd)";
    // Point the unit at the binary under test so verify can check the executables exist.
    const std::string dir = temp_dir() + "/unit";
    std::filesystem::create_directories(dir);
    std::ofstream out(dir + "/ottscope.service");
    for (std::string line : read_lines(source_root() + "/deploy/systemd/ottscope.service")) {
        line = std::regex_replace(line, std::regex("/usr/local/bin/ottscope"), binary_path());
        out << line << "\n";
    }
    out.close();
    const CommandResult verify = run_command({analyze, "verify", dir + "/ottscope.service"});
    EXPECT_EQ(verify.status, 0) << verify.output;
}

}  // namespace
}  // namespace ottscope::test
