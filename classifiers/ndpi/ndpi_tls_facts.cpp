#include "ndpi/ndpi_tls_facts.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <span>

#include "classifiers/protocol_numbers.h"
#include "tls/tls_messages.h"

extern "C" {
#include <ndpi/ndpi_api.h>
}

namespace ottscope {
namespace {

constexpr uint8_t kHandshakeRecord = 0x16;
constexpr uint8_t kClientHello = 0x01;
constexpr size_t kRecordHeader = 5;
constexpr size_t kHandshakeHeader = 4;
constexpr size_t kTcpHeader = 20;
// QUIC transport parameters (final and draft code points): nDPI reads a user agent out of
// them, which no TLS-over-TCP client sends; such hellos stay with nDPI.
constexpr uint16_t kQuicParameters = 57;
constexpr uint16_t kQuicParametersDraft = 65445;
// nDPI joins ALPN offers into a 256-byte buffer and stops before one would reach byte 255.
constexpr size_t kNdpiAlpnLimit = 255;

uint16_t be16(std::span<const uint8_t> bytes, size_t at) noexcept {
    return static_cast<uint16_t>(bytes[at] << 8 | bytes[at + 1]);
}

// Where a ClientHello body's server_name and ALPN extensions are. nDPI walks the extensions
// by offsets it checks loosely: a hello is only taken when every length is exact, so its walk
// and ours see the same extensions.
struct ExtensionCensus {
    std::span<const uint8_t> server_name;  // the extension's data
    std::span<const uint8_t> alpn;
    uint16_t server_names = 0;
    uint16_t alpns = 0;
    bool quic_parameters = false;
};

bool take_census(std::span<const uint8_t> body, ExtensionCensus& census) noexcept {
    const size_t size = body.size();
    size_t at = 34;  // legacy version, random
    if (at >= size) return false;
    at += 1 + body[at];  // session id
    if (at + 2 > size) return false;
    const size_t ciphers = be16(body, at);
    if (ciphers % 2 != 0) return false;
    at += 2 + ciphers;
    if (at >= size) return false;
    at += 1 + body[at];               // compression methods
    if (at + 2 > size) return false;  // no extensions, so no SNI
    const size_t extensions = be16(body, at);
    at += 2;
    if (at + extensions != size) return false;
    while (at < size) {
        if (at + 4 > size) return false;
        const uint16_t type = be16(body, at);
        const size_t length = be16(body, at + 2);
        at += 4;
        if (at + length > size) return false;
        const std::span<const uint8_t> data = body.subspan(at, length);
        if (type == tls::ext::server_name) {
            ++census.server_names;
            census.server_name = data;
        } else if (type == tls::ext::alpn) {
            ++census.alpns;
            census.alpn = data;
        } else if (type == kQuicParameters || type == kQuicParametersDraft) {
            census.quic_parameters = true;
        }
        at += length;
    }
    return true;
}

// The host name of a server_name extension holding one host_name entry and nothing else
// (nDPI reads the first entry whatever its type); empty otherwise.
std::span<const uint8_t> single_host_name(std::span<const uint8_t> data) noexcept {
    if (data.size() < 5 || be16(data, 0) != data.size() - 2 || data[2] != 0 ||
        be16(data, 3) != data.size() - 5)
        return {};
    return data.subspan(5);
}

// nDPI's ALPN text: the offers joined by ',' until one would not fit. False when the list
// does not fill its extension exactly (nDPI would read past it).
bool ndpi_alpn_text(std::span<const uint8_t> data, std::array<char, 256>& out,
                    size_t& length) noexcept {
    length = 0;
    if (data.size() < 2 || be16(data, 0) != data.size() - 2) return false;
    bool full = false;
    for (size_t at = 2; at < data.size();) {
        const size_t offer = data[at++];
        if (at + offer > data.size()) return false;
        if (!full && length + offer + 1 < kNdpiAlpnLimit) {
            if (length > 0) out[length++] = ',';
            std::memcpy(out.data() + length, data.data() + at, offer);
            length += offer;
        } else {
            full = true;
        }
        at += offer;
    }
    length = strnlen(out.data(), length);  // nDPI keeps it as a C string
    return true;
}

// What ndpi_hostname_sni_set keeps of a name: its last bytes that fit, lower-cased, up to
// the first NUL.
size_t ndpi_host_text(std::span<const uint8_t> name, std::span<char> out) noexcept {
    const size_t kept = std::min(name.size(), out.size() - 1);
    for (size_t i = 0; i < kept; ++i)
        out[i] = static_cast<char>(std::tolower(name[name.size() - kept + i]));
    out[kept] = '\0';
    return strnlen(out.data(), kept);
}

// The flow has seen nothing but the client's SYN, and nDPI's TCP dissectors will offer this
// payload to its TLS dissector first (guessed by port) and to no other once it names it.
bool fresh_tls_guess(const ::ndpi_flow_struct& flow) noexcept {
    return flow.num_processed_pkts == 1 && flow.fail_with_unknown == 0 &&
           flow.check_extra_packets == 0 &&
           flow.detected_protocol_stack[0] == NDPI_PROTOCOL_UNKNOWN &&
           flow.guessed_protocol_id == NDPI_PROTOCOL_TLS &&
           flow.guessed_host_protocol_id < NDPI_MAX_SUPPORTED_PROTOCOLS &&
           NDPI_ISSET(&flow.excluded_protocol_bitmask, NDPI_PROTOCOL_TLS) == 0;
}

// The TCP payload as nDPI's packet parser cuts it from the IP packet.
std::span<const uint8_t> ndpi_tcp_payload(const PacketView& packet) noexcept {
    const uint8_t* l4 = nullptr;
    uint16_t l4_length = 0;
    uint8_t protocol = 0;
    if (ndpi_detection_get_l4(packet.l3, packet.l3_length, &l4, &l4_length, &protocol, 0) != 0 ||
        protocol != ip_protocol::tcp || l4_length < kTcpHeader)
        return {};
    const size_t header = static_cast<size_t>(l4[12] >> 4) * 4;
    const uint8_t flags = l4[13];
    // A SYN would make nDPI reset the flow, a retransmission would not reach its TLS dissector.
    if (header < kTcpHeader || header > l4_length || (flags & tcp_flag::syn) != 0) return {};
    return {l4 + header, l4_length - header};
}

// Host matches that do more in nDPI than name the flow: TLS itself (the stack would lack a
// master), the protocols nDPI 4.2 gives sub-protocols of their own (their dissectors would
// run next; the module's table is not public, so they are listed from its init), and those
// whose verdict feeds nDPI's cross-flow caches (process_packet notes MS Teams and Zoom
// servers for later flows).
bool more_than_a_name(int id) noexcept {
    switch (id) {
        case NDPI_PROTOCOL_TLS:
        case NDPI_PROTOCOL_DTLS:
        case NDPI_PROTOCOL_QUIC:
        case NDPI_PROTOCOL_HTTP:
        case NDPI_PROTOCOL_HTTP_CONNECT:
        case NDPI_PROTOCOL_HTTP_PROXY:
        case NDPI_PROTOCOL_DNS:
        case NDPI_PROTOCOL_MDNS:
        case NDPI_PROTOCOL_MSTEAMS:
        case NDPI_PROTOCOL_ZOOM:
            return true;
        default:
            return false;
    }
}

// The protocol nDPI will name from this host with nothing else following from it; unknown
// when there is none, or a custom category for the name (nDPI then names it otherwise).
int final_host_match(::ndpi_detection_module_struct* module, char* what,
                     size_t what_length) noexcept {
    ndpi_protocol_match_result match{};
    const int id =
        ndpi_match_string_subprotocol(module, what, static_cast<u_int>(what_length), &match);
    if (id <= NDPI_PROTOCOL_UNKNOWN || more_than_a_name(id)) return NDPI_PROTOCOL_UNKNOWN;
    ndpi_protocol_category_t custom{};
    if (ndpi_get_custom_category_match(module, what, static_cast<u_int>(what_length), &custom) !=
        -1)
        return NDPI_PROTOCOL_UNKNOWN;
    return id;
}

}  // namespace

bool ndpi_tls_name_is_final(const ndpi_flow_struct& flow, const PacketView& packet) noexcept {
    // protos.tls_quic is a union member: it means something only on a TLS flow.
    return packet.ip_protocol == ip_protocol::tcp &&
           flow.detected_protocol_stack[1] == NDPI_PROTOCOL_TLS &&
           flow.protos.tls_quic.hello_processed != 0 &&
           flow.protos.tls_quic.subprotocol_detected != 0;
}

bool NdpiTlsFacts::settle(ndpi_detection_module_struct* module, ndpi_flow_struct* flow,
                          const PacketView& packet, ndpi_proto& protocol) noexcept {
    if (!fresh_tls_guess(*flow)) return false;
    // One handshake record holding one whole ClientHello and nothing else.
    const std::span<const uint8_t> payload = ndpi_tcp_payload(packet);
    if (payload.size() < kRecordHeader + kHandshakeHeader || payload[0] != kHandshakeRecord ||
        payload[1] != 3 || be16(payload, 3) != payload.size() - kRecordHeader ||
        payload[5] != kClientHello || payload[6] != 0 ||
        be16(payload, 7) != payload.size() - kRecordHeader - kHandshakeHeader)
        return false;
    const std::span<const uint8_t> body = payload.subspan(kRecordHeader + kHandshakeHeader);
    ExtensionCensus census;
    if (!take_census(body, census) || census.server_names != 1 || census.alpns > 1 ||
        census.quic_parameters)
        return false;
    // The census checked every length of the hello exactly: no second parse is needed.
    const std::span<const uint8_t> name = single_host_name(census.server_name);
    if (name.empty()) return false;
    alpn_length_ = 0;
    if (census.alpns == 1 && !ndpi_alpn_text(census.alpn, alpn_, alpn_length_)) return false;

    // Decide on a copy of what nDPI will keep of the SNI, before touching the flow.
    std::array<char, sizeof(flow->host_server_name)> host{};
    const size_t host_length = ndpi_host_text(name, host);
    char* what = host.data();
    size_t what_length = host_length;
    if (what_length > 2 && what[0] == '*' && what[1] == '.') ++what, --what_length;
    if (final_host_match(module, what, what_length) == NDPI_PROTOCOL_UNKNOWN) return false;

    // What nDPI's ClientHello dissection does that bears on the name, in its order.
    char* sni = ndpi_hostname_sni_set(flow, name.data(), name.size());
    const auto sni_length = static_cast<u_int>(std::strlen(sni));
    if (ndpi_match_hostname_protocol(module, flow, NDPI_PROTOCOL_TLS, sni, sni_length) == 0)
        return false;  // not reached (same lookup); nDPI would set the same SNI again
    flow->protos.tls_quic.subprotocol_detected = 1;
    (void)ndpi_check_dga_name(module, flow, sni, 1);  // returns at once: the stack has a master
    flow->protos.tls_quic.hello_processed = 1;        // the stack is [host app, TLS]: final

    // What ndpi_detection_process_packet returns for it.
    protocol.master_protocol = flow->detected_protocol_stack[1];
    protocol.app_protocol = flow->detected_protocol_stack[0];
    protocol.category = flow->category;
    if (flow->category == NDPI_PROTOCOL_CATEGORY_UNSPECIFIED)
        ndpi_fill_protocol_category(module, flow, &protocol);
    return true;
}

}  // namespace ottscope
