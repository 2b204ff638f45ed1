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
    ip_fragment,   // non-first IP fragments (reassembly comes with the carrier decoder)
    rx_nombuf,     // the port had no mbuf to put a received packet in
    rx_error,      // the port reported a receive error for a packet it read
    shutdown,      // in flight between lcores when the appliance was told to stop
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
    count
};

// Why a flow left its table: also the flow record's end_reason. A TCP flow that closed (FIN
// both ways) or was reset keeps that reason whatever removes it afterwards (linger expiry,
// eviction, shutdown), because the connection had ended.
enum class EvictionReason : uint8_t { idle_timeout, tcp_fin, tcp_rst, table_full, shutdown, count };

constexpr std::array<std::string_view, static_cast<size_t>(DropReason::count)> kDropReasonNames = {
    "not_ip", "decode_error", "ip_fragment", "rx_nombuf", "rx_error", "shutdown"};

constexpr std::array<std::string_view, static_cast<size_t>(DecodeError::count)> kDecodeErrorNames =
    {"unsupported_link_type",  "truncated_link_header", "truncated_vlan",  "truncated_ipv4",
     "bad_ipv4_header_length", "bad_ipv4_total_length", "truncated_ipv6",  "bad_ipv6_extension",
     "capture_truncated",      "bad_ip_version",        "truncated_tunnel"};

constexpr std::array<std::string_view, static_cast<size_t>(EvictionReason::count)>
    kEvictionReasonNames = {"idle_timeout", "tcp_fin", "tcp_rst", "table_full", "shutdown"};

template <typename Enum>
constexpr size_t index_of(Enum value) noexcept {
    return static_cast<size_t>(value);
}

}  // namespace ottscope
