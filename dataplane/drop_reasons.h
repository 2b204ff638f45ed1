#pragma once
// Every packet received ends up counted under an app or under exactly one of these reasons:
// the packet-conservation check adds them up. Names are Prometheus label values.

#include <array>
#include <cstdint>
#include <string_view>

namespace ottscope {

enum class DropReason : uint8_t {
    not_ip,        // ARP, LLDP, STP...: nothing for DPI to inspect
    decode_error,  // broken headers; the detail is in DecodeError
    ip_fragment,   // a fragment that cannot be reassembled here (chained mbuf, IPv6 extension
                   // headers before the fragment header)
    rx_nombuf,     // the port had no mbuf to put a received packet in
    rx_error,      // the port reported a receive error for a packet it read
    shutdown,      // in flight between lcores when the appliance was told to stop
    // Fragments held for reassembly are counted when their datagram completes (under its
    // flow's app, one packet per fragment) or under one of these when it never does.
    fragment_timeout,   // its datagram's other fragments did not arrive in time
    fragment_rejected,  // overlapping, oversized, too many fragments or no room in the table
    fragment_pending,   // still waiting for the rest of its datagram when the run ended
    tunnel_fragment,    // a fragment inside a tunnel the reassembler could not take (a salvaged
                        // first fragment that still does not decode alone)
    count
};

enum class DecodeError : uint8_t {
    unsupported_link_type,
    truncated_link_header,
    truncated_vlan,
    truncated_ipv4,
    bad_ipv4_header_length,
    bad_ipv4_total_length,
    truncated_ipv6,
    bad_ipv6_extension,
    capture_truncated,  // snap length shorter than the IP packet: nothing reliable to inspect
    bad_ip_version,
    truncated_tunnel,
    bad_gre,          // GRE version or routing present, or truncated optional fields
    bad_erspan,       // ERSPAN header truncated or of an unknown version
    bad_vxlan,        // VXLAN/Geneve header truncated, VXLAN without valid-VNI flag
    bad_gtpu,         // GTP-U extension header chain broken
    bad_mpls,         // label stack without a bottom label or cut short
    bad_pppoe,        // PPPoE session header truncated
    tunnel_too_deep,  // more nested tunnels than we follow
    bad_ip_fragment,  // fragment whose offset and length overflow a datagram
    count
};

// Why a flow left its table: the flow record's end_reason and the reason counted in
// ottscope_flow_evictions_total, under the same names. A TCP flow that closed (FIN
// both ways) or was reset keeps that reason whatever removes it afterwards (linger expiry,
// eviction, shutdown), because the connection had ended.
enum class FlowEnd : uint8_t { idle_timeout, tcp_fin, tcp_rst, table_full, shutdown, count };

constexpr std::array<std::string_view, static_cast<size_t>(DropReason::count)> kDropReasonNames = {
    "not_ip",   "decode_error",     "ip_fragment",       "rx_nombuf",        "rx_error",
    "shutdown", "fragment_timeout", "fragment_rejected", "fragment_pending", "tunnel_fragment"};

constexpr std::array<std::string_view, static_cast<size_t>(DecodeError::count)> kDecodeErrorNames =
    {"unsupported_link_type",
     "truncated_link_header",
     "truncated_vlan",
     "truncated_ipv4",
     "bad_ipv4_header_length",
     "bad_ipv4_total_length",
     "truncated_ipv6",
     "bad_ipv6_extension",
     "capture_truncated",
     "bad_ip_version",
     "truncated_tunnel",
     "bad_gre",
     "bad_erspan",
     "bad_vxlan",
     "bad_gtpu",
     "bad_mpls",
     "bad_pppoe",
     "tunnel_too_deep",
     "bad_ip_fragment"};

constexpr std::array<std::string_view, static_cast<size_t>(FlowEnd::count)> kFlowEndNames = {
    "idle_timeout", "tcp_fin", "tcp_rst", "table_full", "shutdown"};

// A reason added to an enum without its name would be exported as an empty label.
template <size_t N>
constexpr bool every_one_named(const std::array<std::string_view, N>& names) {
    for (const std::string_view name : names)
        if (name.empty()) return false;
    return true;
}
static_assert(every_one_named(kDropReasonNames) && every_one_named(kDecodeErrorNames) &&
              every_one_named(kFlowEndNames));

template <typename Enum>
constexpr size_t index_of(Enum value) noexcept {
    return static_cast<size_t>(value);
}

}  // namespace ottscope
