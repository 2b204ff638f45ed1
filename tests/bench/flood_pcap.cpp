// Writes a flood capture for tests/bench/flood.sh: N TCP flows from random sources, each a
// bare SYN (`syn`: a SYN flood) or a SYN answered by RST/ACK (`scan`: a port scan of closed
// ports). Flows start `--rate` per second of capture time, so with the default 1M/s and
// 10M flows the capture spans 10 s: shorter than the embryonic timeout, so the flow table
// must make room by eviction. Deterministic for a given --seed.
//
//   flood_pcap --out /tmp/flood.pcap [--flows 10000000] [--kind syn|scan] [--rate 1000000]

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "control/synth/capture.h"
#include "control/synth/packet_builder.h"
#include "control/synth/pcap_writer.h"

namespace {

using namespace ottscope::synth;

// xorshift64*: fast, and the same sequence everywhere.
struct Random {
    uint64_t state;
    uint64_t next() noexcept {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        return state * 0x2545F4914F6CDD1DULL;
    }
};

int usage() {
    std::fprintf(stderr,
                 "usage: flood_pcap --out FILE [--flows N] [--kind syn|scan] [--rate FLOWS_PER_S]"
                 " [--seed N]\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    std::string out;
    uint64_t flows = 10'000'000;
    uint64_t rate = 1'000'000;
    uint64_t seed = 1;
    bool scan = false;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string_view flag = argv[i];
        const char* value = argv[i + 1];
        if (flag == "--out")
            out = value;
        else if (flag == "--flows")
            flows = std::strtoull(value, nullptr, 10);
        else if (flag == "--rate")
            rate = std::strtoull(value, nullptr, 10);
        else if (flag == "--seed")
            seed = std::strtoull(value, nullptr, 10);
        else if (flag == "--kind" &&
                 (std::strcmp(value, "syn") == 0 || std::strcmp(value, "scan") == 0))
            scan = std::strcmp(value, "scan") == 0;
        else
            return usage();
    }
    if (out.empty() || rate == 0 || argc % 2 == 0) return usage();

    try {
        PcapWriter writer(out);
        Random random{seed * 0x9E3779B97F4A7C15ULL | 1};
        const EthernetHeader to_server{{0x02, 0, 0, 0x0a, 0, 1}, {0x02, 0, 0, 0x0b, 0, 1}};
        const EthernetHeader to_client{to_server.dst, to_server.src};
        constexpr uint64_t kStart = 1'767'225'600'000'000ULL;  // 2026-01-01, in microseconds
        std::vector<Packet> batch;
        batch.reserve(65536);
        for (uint64_t n = 0; n < flows; ++n) {
            const uint64_t r = random.next();
            // Sources anywhere in 10.0.0.0/8 and 100.64.0.0/10, towards 16 servers.
            const uint32_t source = (r & 1 ? 0x0A000000u : 0x64400000u) | ((r >> 8) & 0x003FFFFFu);
            const uint32_t server = 0xC6336400u | ((r >> 32) & 0x0F);  // 198.51.100.0/28
            const auto source_port = static_cast<uint16_t>(1024 + (r >> 40) % 64512);
            const uint16_t server_port = (r >> 60) & 1 ? 443 : 80;
            const uint64_t t = kStart + n * 1'000'000 / rate;
            const auto seq = static_cast<uint32_t>(r >> 16);
            batch.push_back(
                {t, build_tcp_frame(to_server, {source, server, 64, static_cast<uint16_t>(n), true},
                                    {source_port, server_port, seq, 0, tcp_flags::kSyn, 64240, {}},
                                    {})});
            if (scan) {
                batch.push_back(
                    {t + 1,
                     build_tcp_frame(
                         to_client, {server, source, 64, 0, true},
                         {server_port, source_port, 0, seq + 1, 0x04 | tcp_flags::kAck, 0, {}},
                         {})});
            }
            if (batch.size() >= 65536) {
                writer.write(batch);
                batch.clear();
            }
        }
        writer.write(batch);
        writer.finish();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "flood_pcap: %s\n", e.what());
        return 1;
    }
    return 0;
}
