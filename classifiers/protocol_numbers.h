#pragma once
// IP protocol numbers and TCP flags, as the packet decoder reads them and classifiers test
// them. Shared vocabulary: includes nothing of ours.

#include <cstdint>

namespace ottscope {

namespace ip_protocol {
constexpr uint8_t tcp = 6;
constexpr uint8_t udp = 17;
}  // namespace ip_protocol

namespace tcp_flag {
constexpr uint8_t fin = 0x01;
constexpr uint8_t syn = 0x02;
constexpr uint8_t rst = 0x04;
constexpr uint8_t ack = 0x10;
}  // namespace tcp_flag

}  // namespace ottscope
