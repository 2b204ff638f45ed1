#pragma once
// Every packet received ends up counted under an app or under exactly one of these reasons:
// the packet-conservation check adds them up. Names are Prometheus label values.

#include <cstdint>

#include "classifiers/enum_names.h"

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
inline constexpr auto kDropReasonNames = enum_names<DropReason>({
    {DropReason::not_ip, "not_ip"},
    {DropReason::decode_error, "decode_error"},
    {DropReason::ip_fragment, "ip_fragment"},
    {DropReason::rx_nombuf, "rx_nombuf"},
    {DropReason::rx_error, "rx_error"},
    {DropReason::shutdown, "shutdown"},
    {DropReason::fragment_timeout, "fragment_timeout"},
    {DropReason::fragment_rejected, "fragment_rejected"},
    {DropReason::fragment_pending, "fragment_pending"},
    {DropReason::tunnel_fragment, "tunnel_fragment"},
});

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
    bad_nflog,        // NFLOG header or TLV cut short, or a TLV length below its own header
    count
};
inline constexpr auto kDecodeErrorNames = enum_names<DecodeError>({
    {DecodeError::unsupported_link_type, "unsupported_link_type"},
    {DecodeError::truncated_link_header, "truncated_link_header"},
    {DecodeError::truncated_vlan, "truncated_vlan"},
    {DecodeError::truncated_ipv4, "truncated_ipv4"},
    {DecodeError::bad_ipv4_header_length, "bad_ipv4_header_length"},
    {DecodeError::bad_ipv4_total_length, "bad_ipv4_total_length"},
    {DecodeError::truncated_ipv6, "truncated_ipv6"},
    {DecodeError::bad_ipv6_extension, "bad_ipv6_extension"},
    {DecodeError::capture_truncated, "capture_truncated"},
    {DecodeError::bad_ip_version, "bad_ip_version"},
    {DecodeError::truncated_tunnel, "truncated_tunnel"},
    {DecodeError::bad_gre, "bad_gre"},
    {DecodeError::bad_erspan, "bad_erspan"},
    {DecodeError::bad_vxlan, "bad_vxlan"},
    {DecodeError::bad_gtpu, "bad_gtpu"},
    {DecodeError::bad_mpls, "bad_mpls"},
    {DecodeError::bad_pppoe, "bad_pppoe"},
    {DecodeError::tunnel_too_deep, "tunnel_too_deep"},
    {DecodeError::bad_ip_fragment, "bad_ip_fragment"},
    {DecodeError::bad_nflog, "bad_nflog"},
});

// Why a flow left its table: the flow record's end_reason and the reason counted in
// ottscope_flow_evictions_total, under the same names. A TCP flow that closed (FIN
// both ways) or was reset keeps that reason whatever removes it afterwards (linger expiry,
// eviction, shutdown), because the connection had ended.
enum class FlowEnd : uint8_t { idle_timeout, tcp_fin, tcp_rst, table_full, shutdown, count };
inline constexpr auto kFlowEndNames = enum_names<FlowEnd>({
    {FlowEnd::idle_timeout, "idle_timeout"},
    {FlowEnd::tcp_fin, "tcp_fin"},
    {FlowEnd::tcp_rst, "tcp_rst"},
    {FlowEnd::table_full, "table_full"},
    {FlowEnd::shutdown, "shutdown"},
});

}  // namespace ottscope
