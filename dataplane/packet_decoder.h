#pragma once
// Turns a frame into the addresses, ports and payload a flow needs. Layers are separate
// functions that hand over to each other by protocol number, so carrier encapsulations
// (MPLS, PPPoE, GRE, VXLAN, GTP-U) slot in as further layers.

#include <cstdint>
#include <span>

#include "drop_reasons.h"
#include "flow_key.h"
#include "link_type.h"

namespace ottscope {

struct DecodedPacket {
    Endpoint source;
    Endpoint destination;
    const uint8_t* l3 = nullptr;  // the (innermost) IP header, as nDPI wants it
    uint16_t l3_length = 0;       // IP total length, Ethernet padding trimmed
    const uint8_t* payload = nullptr;
    uint16_t payload_length = 0;
    uint16_t vlan = 0;
    uint8_t ip_protocol = 0;
    uint8_t ip_version = 0;
    uint8_t tcp_flags = 0;
    uint32_t tcp_seq = 0;  // for stream reassembly
};

enum class DecodeStatus : uint8_t { ok, not_ip, ip_fragment, error };

struct DecodeResult {
    DecodeStatus status = DecodeStatus::ok;
    DecodeError error = DecodeError::count;

    static constexpr DecodeResult failed(DecodeError why) noexcept {
        return {DecodeStatus::error, why};
    }
};

namespace tcp_flag {
constexpr uint8_t fin = 0x01;
constexpr uint8_t syn = 0x02;
constexpr uint8_t rst = 0x04;
constexpr uint8_t ack = 0x10;
}  // namespace tcp_flag

DecodeResult decode_packet(LinkType link, std::span<const uint8_t> frame,
                           DecodedPacket& packet) noexcept;

}  // namespace ottscope
