#include "synth.h"

#include <cstdio>
#include <exception>

#include "capture.h"
#include "deterministic_random.h"
#include "pcap_writer.h"
#include "scenarios.h"
#include "synth_error.h"

namespace ottscope::synth {

namespace {

constexpr uint64_t kEpochSeconds = 1767225600;  // 2026-01-01T00:00:00Z
constexpr uint64_t kSecond = 1'000'000;
// Copies start this far apart; each scenario set is busiest in its first few seconds.
constexpr uint64_t kCopySpacingUs = 7 * kSecond;

std::vector<Packet> synthesize(const SynthOptions& options) {
    if (options.scale == 0) throw SynthError("scale must be at least 1");
    const ScenarioPki pki = make_scenario_pki();
    Drbg timing(options.seed, "epoch");
    const uint64_t start_us = kEpochSeconds * kSecond + timing.uniform(0, 3600 * kSecond - 1);
    Capture capture;
    for (unsigned copy = 0; copy < options.scale; ++copy) {
        add_scenario_set({capture, pki, options.seed, copy,
                          start_us + copy * kCopySpacingUs + timing.uniform(0, kSecond),
                          static_cast<std::time_t>(start_us / kSecond)});
    }
    return capture.take_sorted();
}

}  // namespace

int write_capture(const SynthOptions& options) {
    try {
        PcapWriter writer(options.out_path);
        writer.write(synthesize(options));
        writer.finish();
        return 0;
    } catch (const std::exception& e) {  // SynthError, and bad_alloc for huge scales
        std::fprintf(stderr, "ottscope synth: cannot write %s: %s\n", options.out_path.c_str(),
                     e.what());
        return 1;
    }
}

}  // namespace ottscope::synth
