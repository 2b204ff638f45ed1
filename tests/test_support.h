#pragma once
// Helpers for tests that run the real ottscope binary: where it is, where ../shared is,
// running a command line, reading JSON Lines, a free loopback port.

#include <cstdint>
#include <string>
#include <vector>

namespace ottscope::test {

struct CommandResult {
    int status = -1;     // exit status, or -1 when it did not exit normally
    std::string output;  // stdout and stderr together
};

std::string binary_path();  // $OTTSCOPE_BINARY
std::string source_root();  // $OTTSCOPE_SOURCE_ROOT
std::string shared_root();  // $OTTSCOPE_SHARED, or source_root/../shared; empty when absent
std::string temp_dir();     // a fresh directory for this test program

CommandResult run_command(const std::vector<std::string>& argv);
std::vector<std::string> read_lines(const std::string& path);
uint16_t free_port();
std::string http_get(uint16_t port, const std::string& path);

}  // namespace ottscope::test
