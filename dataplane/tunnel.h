#pragma once
// What a tunnel adds to a flow. The decoder reports the innermost tunnel a packet came
// through; the flow key carries a 32-bit discriminator of it so that equal inner addresses
// in different tunnels (overlapping private subscriber ranges behind two gateways) stay
// apart, and the flow keeps the outer addresses and per-direction ids for its record.

#include <cstdint>
#include <cstring>
#include <string_view>

#include "flow_key.h"

namespace ottscope {

enum class TunnelType : uint8_t { none, gtpu, vxlan, gre, erspan };

struct TunnelInfo {
    TunnelType type = TunnelType::none;
    uint8_t outer_ip_version = 0;
    // TEID for GTP-U, VNI for VXLAN, key for GRE (0 without one), session id for ERSPAN.
    uint32_t id = 0;
    IpAddress outer_source{};
    IpAddress outer_destination{};
};

// The discriminator must be the same for both directions of a conversation, so it hashes
// what both directions share: the unordered outer address pair, plus the id where both
// directions use the same one (VXLAN VNI, GRE key, ERSPAN session). GTP-U uplink and
// downlink carry different TEIDs (each side picks the TEID it receives on), so GTP-U keys
// on the outer pair alone: one pair of tunnel endpoints (eNodeB/gNodeB and SGW/UPF) is one
// address zone for the subscribers behind it. Never 0, which means "no tunnel". Two tunnels
// whose discriminators collide (1 in 2^32) would share flows that also share inner addresses.
inline uint32_t tunnel_discriminator(const TunnelInfo& tunnel) noexcept {
    if (tunnel.type == TunnelType::none) return 0;
    const bool source_first =
        std::memcmp(tunnel.outer_source.data(), tunnel.outer_destination.data(), 16) <= 0;
    const IpAddress& first = source_first ? tunnel.outer_source : tunnel.outer_destination;
    const IpAddress& second = source_first ? tunnel.outer_destination : tunnel.outer_source;
    // FNV-1a: only tunnelled packets pay for it, and it needs no table.
    uint32_t hash = 2166136261u;
    const auto mix = [&hash](uint8_t byte) {
        hash ^= byte;
        hash *= 16777619u;
    };
    mix(static_cast<uint8_t>(tunnel.type));
    for (const uint8_t byte : first) mix(byte);
    for (const uint8_t byte : second) mix(byte);
    if (tunnel.type != TunnelType::gtpu) {
        for (int shift = 24; shift >= 0; shift -= 8) mix(static_cast<uint8_t>(tunnel.id >> shift));
    }
    return hash == 0 ? 1 : hash;
}

// A flow's tunnel, as its record reports it: outer addresses of the client and server
// sides and the id seen in each direction (for GTP-U, teid_up is the TEID on client to
// server packets).
struct FlowTunnel {
    TunnelType type = TunnelType::none;
    uint8_t outer_ip_version = 0;
    IpAddress outer_client{};
    IpAddress outer_server{};
    uint32_t id_up = 0;
    uint32_t id_down = 0;

    // direction 0 is client to server, as in Flow::packets.
    void note(const TunnelInfo& tunnel, uint8_t direction) noexcept {
        if (tunnel.type == TunnelType::none) return;
        if (type == TunnelType::none) {
            type = tunnel.type;
            outer_ip_version = tunnel.outer_ip_version;
            outer_client = direction == 0 ? tunnel.outer_source : tunnel.outer_destination;
            outer_server = direction == 0 ? tunnel.outer_destination : tunnel.outer_source;
        }
        (direction == 0 ? id_up : id_down) = tunnel.id;
    }
};

constexpr std::string_view tunnel_type_name(TunnelType type) noexcept {
    switch (type) {
        case TunnelType::gtpu:
            return "gtpu";
        case TunnelType::vxlan:
            return "vxlan";
        case TunnelType::gre:
            return "gre";
        case TunnelType::erspan:
            return "erspan";
        case TunnelType::none:
            break;
    }
    return "none";
}

}  // namespace ottscope
