#pragma once
// Helpers for tests that run the real ottscope binary: where it is, where ../shared is and
// what its capture manifest lists, running a command line, reading JSON Lines and their
// fields, a free loopback port.

#include <cstdint>
#include <set>
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
// `ottscope run` over `pcaps` (one --pcap each: ports pcap0, pcap1, ... in this order), flow
// records to `flows_out` unless it is empty, metrics on a free port, then `extra`.
CommandResult run_on_captures(const std::vector<std::string>& pcaps, const std::string& flows_out,
                              const std::vector<std::string>& extra = {});
std::vector<std::string> read_lines(const std::string& path);  // non-empty lines
std::vector<std::string> sorted_lines(const std::string& path);
std::string read_text(const std::string& path);  // the whole file; empty when unreadable
// `line` cut at every `separator` (a trailing empty field is dropped).
std::vector<std::string> split_fields(const std::string& line, char separator);
std::string demo_capture();  // config/demo/tume-demo.pcap of the source tree
uint16_t free_port();
std::string http_get(uint16_t port, const std::string& path);

struct LingeringRun {
    std::string metrics;  // the last /metrics body
    std::string output;   // stdout and stderr together
};
// Runs `ottscope run ARGS --metrics PORT --linger` and reads /metrics until it holds `ready`
// (10 s at most), then once more after 300 ms so that counters still being folded in are,
// then stops the binary with SIGTERM.
LingeringRun run_lingering(const std::vector<std::string>& args, const std::string& ready);

// A capture of SHARED/pcaps as MANIFEST.tsv lists it: its path below pcaps/ and its tags.
struct CorpusCapture {
    std::string path;
    std::set<std::string> tags;
};
// Every capture of the manifest, tagged or not, in its order.
std::vector<CorpusCapture> corpus_manifest(const std::string& shared);

// A field of one of our flat JSON records, by key: a string unescaped, any other value as
// written; empty when the key is absent.
std::string record_field(const std::string& line, const std::string& key);

// An address in one spelling, IPv6 as RFC 5952 with brackets dropped: ndpiReader brackets
// IPv6 and shortens a single zero group to "::", mkbench's sidecar writes it in full, and
// flow records are compared with both by address, not by spelling.
std::string canonical_address(std::string address);

}  // namespace ottscope::test
