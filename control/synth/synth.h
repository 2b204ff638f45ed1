// Traffic synthesizer: writes the deterministic demo/test capture (see DESIGN.md, "ottscope
// synth").
#pragma once

#include <cstdint>
#include <string>

namespace ottscope::synth {

struct SynthOptions {
    std::string out_path;
    uint64_t seed = 1;
    // Copies of the scenario set, each with other subscriber addresses and ports.
    unsigned scale = 1;
};

// Writes a pcap (DLT_EN10MB, microsecond timestamps, starting at 2026-01-01T00:00:00Z plus a
// seed-derived offset) and returns 0, or prints one line "ottscope synth: cannot write FILE:
// reason" to stderr and returns 1. The same options always give byte-identical output.
// Not thread-safe: it temporarily replaces OpenSSL's process-wide RAND_METHOD.
int write_capture(const SynthOptions& options);

}  // namespace ottscope::synth
