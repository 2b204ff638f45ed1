// Decode cost per packet: what a worker does before the flow lookup (decode_packet, the
// tunnel discriminator, the symmetric flow key) over representative frames. Built by meson,
// not run as a test:
//     build/tests/decode_bench [--benchmark_repetitions=5]
// items_per_second is packets per second on one core; the time column is ns per packet.

#include <benchmark/benchmark.h>

#include <vector>

#include "dataplane/flow_key.h"
#include "dataplane/packet_decoder.h"
#include "tests/frame_builder.h"

namespace ottscope {
namespace {

using test::FrameBuilder;

std::vector<uint8_t> tcp_segment() {
    FrameBuilder b;
    b.ipv4({100, 64, 0, 1}, {198, 51, 100, 1}, 6, 20 + 100).tcp(50000, 443, 0x18).zeros(100);
    return b.frame();
}

std::vector<uint8_t> plain() {
    FrameBuilder b;
    return b.ethernet(0x0800).append(tcp_segment()).frame();
}

std::vector<uint8_t> vlan() {
    FrameBuilder b;
    return b.ethernet(0x8100).vlan(100, 0x0800).append(tcp_segment()).frame();
}

std::vector<uint8_t> qinq() {
    FrameBuilder b;
    return b.ethernet(0x88a8).vlan(10, 0x8100).vlan(20, 0x0800).append(tcp_segment()).frame();
}

std::vector<uint8_t> udp_over_ipv4(uint16_t source, uint16_t destination,
                                   const std::vector<uint8_t>& body) {
    FrameBuilder b;
    const auto length = static_cast<uint16_t>(8 + body.size());
    b.ethernet(0x0800).ipv4({10, 1, 0, 1}, {10, 1, 0, 2}, 17, length);
    return b.udp(source, destination, static_cast<uint16_t>(body.size())).append(body).frame();
}

std::vector<uint8_t> gtpu() {
    const auto inner = tcp_segment();
    FrameBuilder g;
    g.bytes({0x34, 0xff}).be16(static_cast<uint16_t>(4 + 4 + inner.size())).be32(0x10000001);
    g.be16(0).bytes({0, 0x85}).bytes({1, 0x10, 0x09, 0}).append(inner);
    return udp_over_ipv4(2152, 2152, g.frame());
}

std::vector<uint8_t> vxlan() {
    FrameBuilder v;
    v.be32(0x0800'0000).be32(4242u << 8).ethernet(0x0800).append(tcp_segment());
    return udp_over_ipv4(50123, 4789, v.frame());
}

std::vector<uint8_t> ipv6_extensions() {
    FrameBuilder b;
    b.ethernet(0x86dd).ipv6(0, 8 + 8 + 20 + 100, 1, 2);
    b.bytes({60, 0}).zeros(6);  // hop-by-hop -> destination options
    b.bytes({6, 0}).zeros(6);   // destination options -> TCP
    return b.tcp(50000, 443, 0x18).zeros(100).frame();
}

void decode_frames(benchmark::State& state, const std::vector<uint8_t>& frame) {
    for (auto _ : state) {
        DecodedPacket packet;
        const DecodeResult result =
            decode_packet(LinkType::ethernet, {frame.data(), frame.size()}, packet);
        FlowKey key;
        const bool lower =
            make_flow_key(packet.source, packet.destination, packet.ip_protocol, packet.ip_version,
                          packet.vlan, 0, key, tunnel_discriminator(packet.tunnel));
        benchmark::DoNotOptimize(result);
        benchmark::DoNotOptimize(lower);
        benchmark::DoNotOptimize(key);
    }
    state.SetItemsProcessed(state.iterations());
}

BENCHMARK_CAPTURE(decode_frames, plain_ipv4_tcp, plain());
BENCHMARK_CAPTURE(decode_frames, vlan, vlan());
BENCHMARK_CAPTURE(decode_frames, qinq, qinq());
BENCHMARK_CAPTURE(decode_frames, gtpu_with_extension, gtpu());
BENCHMARK_CAPTURE(decode_frames, vxlan, vxlan());
BENCHMARK_CAPTURE(decode_frames, ipv6_extension_headers, ipv6_extensions());

}  // namespace
}  // namespace ottscope

BENCHMARK_MAIN();
