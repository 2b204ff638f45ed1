#pragma once

#include <cstdint>
#include <span>

#include "byte_writer.h"
#include "topology.h"

namespace ottscope::synth {

struct EthernetHeader {
    MacAddress src;
    MacAddress dst;
};

struct Ipv4Header {
    uint32_t src;
    uint32_t dst;
    uint8_t ttl;
    uint16_t id;
    bool dont_fragment;
};

namespace tcp_flags {
inline constexpr uint8_t kFin = 0x01;
inline constexpr uint8_t kSyn = 0x02;
inline constexpr uint8_t kPsh = 0x08;
inline constexpr uint8_t kAck = 0x10;
}  // namespace tcp_flags

struct TcpHeader {
    uint16_t src_port;
    uint16_t dst_port;
    uint32_t seq;
    uint32_t ack;
    uint8_t flags;
    uint16_t window;
    std::span<const uint8_t> options;  // padded by the caller to a multiple of 4 bytes
};

struct UdpHeader {
    uint16_t src_port;
    uint16_t dst_port;
};

// RFC 1071 ones'-complement sum, folded and complemented.
uint16_t internet_checksum(std::span<const uint8_t> data, uint32_t initial_sum = 0);

Bytes build_tcp_frame(const EthernetHeader& eth, const Ipv4Header& ip, const TcpHeader& tcp,
                      std::span<const uint8_t> payload);
Bytes build_udp_frame(const EthernetHeader& eth, const Ipv4Header& ip, const UdpHeader& udp,
                      std::span<const uint8_t> payload);

}  // namespace ottscope::synth
