#pragma once

#include <array>
#include <cstdint>

namespace ottscope::synth {

enum class Side { kClient, kServer };

constexpr Side peer_of(Side side) {
    return side == Side::kClient ? Side::kServer : Side::kClient;
}

struct Endpoint {
    uint32_t addr;  // IPv4, host byte order
    uint16_t port;
};

constexpr uint32_t ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    return (uint32_t{a} << 24) | (uint32_t{b} << 16) | (uint32_t{c} << 8) | d;
}

using MacAddress = std::array<uint8_t, 6>;

// The capture is taken on the access side of a mirror port: every subscriber packet leaves the
// same gateway MAC towards the same upstream router, and server packets arrive the other way.
// Locally administered addresses so they never collide with a real vendor.
inline constexpr MacAddress kSubscriberSideMac = {0x02, 0x00, 0x00, 0x0a, 0x00, 0x01};
inline constexpr MacAddress kNetworkSideMac = {0x02, 0x00, 0x00, 0x0b, 0x00, 0x01};

// Subscribers sit one hop behind the mirror point, servers a dozen hops away.
constexpr uint8_t ttl_seen_from(Side side) {
    return side == Side::kClient ? 63 : 52;
}

}  // namespace ottscope::synth
