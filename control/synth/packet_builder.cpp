#include "packet_builder.h"

#include "synth_error.h"

namespace ottscope::synth {

namespace {

constexpr uint16_t kEtherTypeIpv4 = 0x0800;
constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;
constexpr size_t kEthernetLen = 14;
constexpr size_t kIpv4Len = 20;

uint32_t add_words(std::span<const uint8_t> data, uint32_t sum) {
    size_t i = 0;
    for (; i + 1 < data.size(); i += 2) sum += (uint32_t{data[i]} << 8) | data[i + 1];
    if (i < data.size()) sum += uint32_t{data[i]} << 8;
    return sum;
}

uint32_t pseudo_header_sum(const Ipv4Header& ip, uint8_t proto, size_t l4_len) {
    return (ip.src >> 16) + (ip.src & 0xffff) + (ip.dst >> 16) + (ip.dst & 0xffff) + proto +
           static_cast<uint32_t>(l4_len);
}

void put_checksum(Bytes& frame, size_t offset, uint16_t checksum) {
    frame[offset] = static_cast<uint8_t>(checksum >> 8);
    frame[offset + 1] = static_cast<uint8_t>(checksum);
}

// Writes Ethernet + IPv4 (checksum filled in) and leaves the L4 part to the caller.
Bytes start_frame(const EthernetHeader& eth, const Ipv4Header& ip, uint8_t proto, size_t l4_len) {
    const size_t total = kIpv4Len + l4_len;
    if (total > 0xffff) throw SynthError("IPv4 packet too large");
    Bytes frame;
    frame.reserve(kEthernetLen + total);
    ByteWriter w(frame);
    w.bytes(eth.dst);
    w.bytes(eth.src);
    w.u16be(kEtherTypeIpv4);
    w.u8(0x45);  // version 4, 20-byte header
    w.u8(0);     // DSCP/ECN
    w.u16be(static_cast<uint16_t>(total));
    w.u16be(ip.id);
    w.u16be(ip.dont_fragment ? 0x4000 : 0);
    w.u8(ip.ttl);
    w.u8(proto);
    w.u16be(0);
    w.u32be(ip.src);
    w.u32be(ip.dst);
    put_checksum(frame, kEthernetLen + 10,
                 internet_checksum(std::span(frame).subspan(kEthernetLen, kIpv4Len)));
    return frame;
}

}  // namespace

uint16_t internet_checksum(std::span<const uint8_t> data, uint32_t initial_sum) {
    uint64_t sum = add_words(data, 0) + uint64_t{initial_sum};
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

Bytes build_tcp_frame(const EthernetHeader& eth, const Ipv4Header& ip, const TcpHeader& tcp,
                      std::span<const uint8_t> payload) {
    if (tcp.options.size() % 4 != 0 || tcp.options.size() > 40) {
        throw SynthError("TCP options must be padded to 4 bytes and at most 40 bytes");
    }
    const size_t header_len = 20 + tcp.options.size();
    const size_t l4_len = header_len + payload.size();
    Bytes frame = start_frame(eth, ip, kProtoTcp, l4_len);
    const size_t l4 = frame.size();
    ByteWriter w(frame);
    w.u16be(tcp.src_port);
    w.u16be(tcp.dst_port);
    w.u32be(tcp.seq);
    w.u32be(tcp.ack);
    w.u8(static_cast<uint8_t>((header_len / 4) << 4));
    w.u8(tcp.flags);
    w.u16be(tcp.window);
    w.u16be(0);  // checksum
    w.u16be(0);  // urgent pointer
    w.bytes(tcp.options);
    w.bytes(payload);
    put_checksum(
        frame, l4 + 16,
        internet_checksum(std::span(frame).subspan(l4), pseudo_header_sum(ip, kProtoTcp, l4_len)));
    return frame;
}

Bytes build_udp_frame(const EthernetHeader& eth, const Ipv4Header& ip, const UdpHeader& udp,
                      std::span<const uint8_t> payload) {
    const size_t l4_len = 8 + payload.size();
    Bytes frame = start_frame(eth, ip, kProtoUdp, l4_len);
    const size_t l4 = frame.size();
    ByteWriter w(frame);
    w.u16be(udp.src_port);
    w.u16be(udp.dst_port);
    w.u16be(static_cast<uint16_t>(l4_len));
    w.u16be(0);
    w.bytes(payload);
    uint16_t checksum =
        internet_checksum(std::span(frame).subspan(l4), pseudo_header_sum(ip, kProtoUdp, l4_len));
    if (checksum == 0) checksum = 0xffff;  // 0 means "no checksum" in UDP over IPv4
    put_checksum(frame, l4 + 6, checksum);
    return frame;
}

}  // namespace ottscope::synth
