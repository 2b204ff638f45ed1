#include "flow_headers.h"

#include <cstring>

#include "packet_decoder.h"

namespace ottscope {
namespace {
constexpr uint8_t kDefaultTtl = 64;
constexpr size_t kIpv4Header = 20;
constexpr size_t kIpv6Header = 40;
constexpr size_t kTcpHeader = 20;
constexpr size_t kUdpHeader = 8;
constexpr size_t kIpv4InMapped = 12;  // IPv4 sits in the last four bytes of a mapped address

void put16(uint8_t* at, uint16_t value) noexcept {
    at[0] = static_cast<uint8_t>(value >> 8);
    at[1] = static_cast<uint8_t>(value);
}
}  // namespace

size_t rebuild_client_headers(const FlowKey& key, bool client_is_lower, FlowHeaders& out) noexcept {
    out.fill(0);
    const IpAddress& client = client_is_lower ? key.lower_address : key.upper_address;
    const IpAddress& server = client_is_lower ? key.upper_address : key.lower_address;
    const uint16_t client_port = client_is_lower ? key.lower_port : key.upper_port;
    const uint16_t server_port = client_is_lower ? key.upper_port : key.lower_port;
    const size_t transport = key.ip_protocol == ip_protocol::tcp   ? kTcpHeader
                             : key.ip_protocol == ip_protocol::udp ? kUdpHeader
                                                                   : 0;
    size_t ip_header = 0;
    if (key.ip_version == 6) {
        ip_header = kIpv6Header;
        out[0] = 6 << 4;
        put16(&out[4], static_cast<uint16_t>(transport));
        out[6] = key.ip_protocol;
        out[7] = kDefaultTtl;
        std::memcpy(&out[8], client.data(), 16);
        std::memcpy(&out[24], server.data(), 16);
    } else {
        ip_header = kIpv4Header;
        out[0] = 0x45;
        put16(&out[2], static_cast<uint16_t>(kIpv4Header + transport));
        out[8] = kDefaultTtl;
        out[9] = key.ip_protocol;
        std::memcpy(&out[12], client.data() + kIpv4InMapped, 4);
        std::memcpy(&out[16], server.data() + kIpv4InMapped, 4);
    }
    uint8_t* l4 = out.data() + ip_header;
    if (transport != 0) {
        put16(&l4[0], client_port);
        put16(&l4[2], server_port);
    }
    if (key.ip_protocol == ip_protocol::tcp) {
        l4[12] = 5 << 4;  // data offset: no options
        l4[13] = tcp_flag::syn;
        put16(&l4[14], 65535);
    } else if (key.ip_protocol == ip_protocol::udp) {
        put16(&l4[4], static_cast<uint16_t>(kUdpHeader));
    }
    return ip_header + transport;
}

}  // namespace ottscope
