#pragma once
// What a tunnel adds to a flow. The decoder reports the innermost tunnel a packet came
// through; the flow key carries a 32-bit discriminator of it so that equal inner addresses
// in different tunnels (overlapping private subscriber ranges behind two gateways) stay
// apart, and the flow keeps the outer addresses and per-direction ids for its record.

#include <cstdint>
#include <cstring>
#include <string_view>

#include "classifiers/enum_names.h"
#include "flow_key.h"

namespace ottscope {

// Appended only: IPFIX exports the number.
enum class TunnelType : uint8_t { none, gtpu, vxlan, gre, erspan, geneve, pbb, gre_udp, teredo };
// The tunnel's "type" in flow records.
inline constexpr auto kTunnelTypeNames = enum_names<TunnelType>({
    {TunnelType::none, "none"},
    {TunnelType::gtpu, "gtpu"},
    {TunnelType::vxlan, "vxlan"},
    {TunnelType::gre, "gre"},
    {TunnelType::erspan, "erspan"},
    {TunnelType::geneve, "geneve"},
    {TunnelType::pbb, "pbb"},
    {TunnelType::gre_udp, "gre_udp"},
    {TunnelType::teredo, "teredo"},
});

struct TunnelInfo {
    TunnelType type = TunnelType::none;
    uint8_t outer_ip_version = 0;
    // TEID for GTP-U, VNI for VXLAN and Geneve, key for GRE and GRE-in-UDP (0 without one),
    // session id for ERSPAN, I-SID for PBB, 0 for Teredo. PBB has no outer IP: version 0 and
    // zero outer addresses.
    uint32_t id = 0;
    IpAddress outer_source{};
    IpAddress outer_destination{};
};

// GTP-U and Geneve may use a different id in each direction (each GTP-U side picks the TEID
// it receives on; OVN's Geneve VNI names the sending datapath).
constexpr bool per_direction_ids(TunnelType type) noexcept {
    return type == TunnelType::gtpu || type == TunnelType::geneve;
}

// The discriminator must be the same for both directions of a conversation, so it hashes
// what both directions share: the unordered outer address pair, plus the id where both
// directions use the same one (VXLAN VNI, GRE key, ERSPAN session). GTP-U uplink and
// downlink carry different TEIDs, so GTP-U (and Geneve) key on the outer pair alone: one pair of
// tunnel endpoints (eNodeB/gNodeB and SGW/UPF) is one address zone for the subscribers behind it.
// Never 0, which means "no tunnel". Two tunnels whose discriminators collide (about 1 in 2^32)
// would share flows that also share inner addresses.
inline uint32_t tunnel_discriminator(const TunnelInfo& tunnel) noexcept {
    if (tunnel.type == TunnelType::none) return 0;
    const bool source_first =
        std::memcmp(tunnel.outer_source.data(), tunnel.outer_destination.data(), 16) <= 0;
    const IpAddress& first = source_first ? tunnel.outer_source : tunnel.outer_destination;
    const IpAddress& second = source_first ? tunnel.outer_destination : tunnel.outer_source;
    // Four 8-byte words through a multiply-xorshift mix: a few cycles, no table, and only
    // tunnelled packets pay for it.
    uint64_t hash = (uint64_t{static_cast<uint8_t>(tunnel.type)} << 32) |
                    (per_direction_ids(tunnel.type) ? 0u : tunnel.id);
    for (const IpAddress* address : {&first, &second}) {
        for (size_t half = 0; half < 16; half += 8) {
            uint64_t word = 0;
            std::memcpy(&word, address->data() + half, 8);
            hash = (hash ^ word) * 0xff51afd7ed558ccdULL;
            hash ^= hash >> 32;
        }
    }
    hash ^= hash >> 29;  // a last round so the top bytes of the last word reach every bit
    hash *= 0xc4ceb9fe1a85ec53ULL;
    const auto folded = static_cast<uint32_t>(hash >> 32);
    return folded == 0 ? 1 : folded;
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
    return kTunnelTypeNames.name(type, "none");
}

}  // namespace ottscope
