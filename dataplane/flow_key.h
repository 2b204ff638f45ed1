#pragma once
// A bidirectional flow key: both directions of a conversation produce the same key, so one
// hash lookup finds the flow whichever side sent the packet, and a symmetric hash of the key
// sends both directions to the same worker.

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>

namespace ottscope {

// IPv4 addresses are stored as IPv4-mapped IPv6 so one key layout serves both families.
using IpAddress = std::array<uint8_t, 16>;

struct Endpoint {
    IpAddress address{};
    uint16_t port = 0;
};

struct alignas(8) FlowKey {
    IpAddress lower_address{};
    IpAddress upper_address{};
    uint16_t lower_port = 0;
    uint16_t upper_port = 0;
    uint16_t vlan = 0;
    // Captures or mirror points whose address spaces must not mix (like conntrack zones).
    uint16_t zone = 0;
    uint8_t ip_protocol = 0;
    uint8_t ip_version = 0;
    uint8_t padding[2] = {};
    // 0 outside tunnels; inside one, a symmetric discriminator of the tunnel (see
    // tunnel_discriminator() in tunnel.h) so equal inner addresses in two tunnels differ.
    uint32_t tunnel = 0;

    bool operator==(const FlowKey& other) const noexcept {
        return std::memcmp(this, &other, sizeof(FlowKey)) == 0;
    }
};
static_assert(sizeof(FlowKey) == 48, "FlowKey is hashed and compared as raw bytes");

// Orders the two endpoints so that the key does not depend on the packet's direction.
// Returns true when the packet's source is the key's lower endpoint.
// memcmp's order of two addresses (negative, 0, positive): two big-endian word compares
// instead of a library call for every packet.
inline int compare_addresses(const IpAddress& a, const IpAddress& b) noexcept {
    for (size_t at = 0; at < a.size(); at += 8) {
        uint64_t word_a = 0;
        uint64_t word_b = 0;
        std::memcpy(&word_a, a.data() + at, sizeof(word_a));
        std::memcpy(&word_b, b.data() + at, sizeof(word_b));
        if (word_a != word_b) return __builtin_bswap64(word_a) < __builtin_bswap64(word_b) ? -1 : 1;
    }
    return 0;
}

inline bool make_flow_key(const Endpoint& source, const Endpoint& destination, uint8_t ip_protocol,
                          uint8_t ip_version, uint16_t vlan, uint16_t zone, FlowKey& key,
                          uint32_t tunnel = 0) noexcept {
    const int by_address = compare_addresses(source.address, destination.address);
    const bool source_is_lower =
        by_address < 0 || (by_address == 0 && source.port <= destination.port);
    const Endpoint& lower = source_is_lower ? source : destination;
    const Endpoint& upper = source_is_lower ? destination : source;
    key = FlowKey{};
    key.lower_address = lower.address;
    key.upper_address = upper.address;
    key.lower_port = lower.port;
    key.upper_port = upper.port;
    key.vlan = vlan;
    key.zone = zone;
    key.ip_protocol = ip_protocol;
    key.ip_version = ip_version;
    key.tunnel = tunnel;
    return source_is_lower;
}

inline IpAddress ipv4_mapped(const uint8_t* ipv4) noexcept {
    IpAddress address{};
    address[10] = 0xff;
    address[11] = 0xff;
    std::memcpy(address.data() + 12, ipv4, 4);
    return address;
}

}  // namespace ottscope
