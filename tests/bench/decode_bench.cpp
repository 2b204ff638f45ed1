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

std::vector<uint8_t> vxlan_gbp() {
    FrameBuilder v;  // G flag, D and A bits, group policy id
    v.bytes({0x88, 0x48}).be16(0x1234).be32(4242u << 8).ethernet(0x0800).append(tcp_segment());
    return udp_over_ipv4(50123, 4789, v.frame());
}

std::vector<uint8_t> pbb() {
    FrameBuilder b;  // B-VLAN, I-TAG, customer frame with a C-VLAN
    b.ethernet(0x88a8).vlan(30, 0x88e7).be32(0x0001'2345).ethernet(0x8100).vlan(100, 0x0800);
    return b.append(tcp_segment()).frame();
}

std::vector<uint8_t> gre_udp() {
    FrameBuilder g;
    g.be16(0x2000).be16(0x0800).be32(99).append(tcp_segment());
    return udp_over_ipv4(50123, 4754, g.frame());
}

std::vector<uint8_t> ipv6_tcp_segment() {
    FrameBuilder b;
    b.ipv6(6, 20 + 100, 1, 2).tcp(50000, 443, 0x18).zeros(100);
    return b.frame();
}

std::vector<uint8_t> teredo() {
    return udp_over_ipv4(3544, 40000, ipv6_tcp_segment());
}

std::vector<uint8_t> teredo_auth_origin() {
    FrameBuilder t;
    t.be16(0x0001).bytes({4, 8}).zeros(4 + 8 + 8 + 1);  // authentication indicator
    t.be16(0).be16(0x63bf).be32(0x3ffffdfe);            // origin indicator
    return udp_over_ipv4(3544, 40000, t.append(ipv6_tcp_segment()).frame());
}

// The link types that are not Ethernet carry the same TCP segment.
std::vector<uint8_t> sll2() {
    FrameBuilder b;
    b.be16(0x0800).be16(0).be32(3).be16(1).bytes({4, 6}).bytes({2, 0, 0, 0, 0, 1, 0, 0});
    return b.append(tcp_segment()).frame();
}

std::vector<uint8_t> nflog() {
    // Family AF_INET; packet header, prefix, in-interface, payload, uid TLVs, little-endian.
    const auto segment = tcp_segment();
    const auto length = static_cast<uint16_t>(4 + segment.size());
    FrameBuilder b;
    b.bytes({2, 0}).be16(42);
    b.bytes({8, 0, 1, 0}).bytes({0x08, 0x00, 1, 0});
    b.bytes({8, 0, 10, 0}).bytes({'f', 'w', 0, 0});
    b.bytes({8, 0, 4, 0}).be32(3);
    b.bytes({static_cast<uint8_t>(length), static_cast<uint8_t>(length >> 8), 9, 0});
    b.append(segment).zeros((4 - segment.size() % 4) % 4);
    return b.bytes({8, 0, 11, 0}).be32(1000).frame();
}

std::vector<uint8_t> ipv6_extensions() {
    FrameBuilder b;
    b.ethernet(0x86dd).ipv6(0, 8 + 8 + 20 + 100, 1, 2);
    b.bytes({60, 0}).zeros(6);  // hop-by-hop -> destination options
    b.bytes({6, 0}).zeros(6);   // destination options -> TCP
    return b.tcp(50000, 443, 0x18).zeros(100).frame();
}

void decode_link(benchmark::State& state, LinkType link, const std::vector<uint8_t>& frame) {
    DecodedPacket check;
    if (decode_packet(link, {frame.data(), frame.size()}, check).status != DecodeStatus::ok ||
        check.destination.port != 443) {
        state.SkipWithError("the frame does not decode to the TCP segment");
        return;
    }
    for (auto _ : state) {
        DecodedPacket packet;
        const DecodeResult result = decode_packet(link, {frame.data(), frame.size()}, packet);
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

void decode_frames(benchmark::State& state, const std::vector<uint8_t>& frame) {
    decode_link(state, LinkType::ethernet, frame);
}

BENCHMARK_CAPTURE(decode_frames, plain_ipv4_tcp, plain());
BENCHMARK_CAPTURE(decode_frames, vlan, vlan());
BENCHMARK_CAPTURE(decode_frames, qinq, qinq());
BENCHMARK_CAPTURE(decode_frames, gtpu_with_extension, gtpu());
BENCHMARK_CAPTURE(decode_frames, vxlan, vxlan());
BENCHMARK_CAPTURE(decode_frames, ipv6_extension_headers, ipv6_extensions());
BENCHMARK_CAPTURE(decode_link, linux_sll2, LinkType::linux_sll2, sll2());
BENCHMARK_CAPTURE(decode_link, nflog, LinkType::nflog, nflog());
BENCHMARK_CAPTURE(decode_frames, pbb, pbb());
BENCHMARK_CAPTURE(decode_frames, gre_udp, gre_udp());
BENCHMARK_CAPTURE(decode_frames, teredo, teredo());
BENCHMARK_CAPTURE(decode_frames, teredo_auth_origin, teredo_auth_origin());
BENCHMARK_CAPTURE(decode_frames, vxlan_gbp, vxlan_gbp());

}  // namespace
}  // namespace ottscope

BENCHMARK_MAIN();
