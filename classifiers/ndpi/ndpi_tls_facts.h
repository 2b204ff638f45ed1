#pragma once
// nDPI's name for a TLS-over-TCP flow without nDPI's TLS dissector. nDPI 4.2 names such a flow
// from the ClientHello's SNI (a host match gives [app, TLS] and its category) and only then
// builds JA3 strings, which costs more than everything else it does for the flow. When a
// flow opens with exactly one whole, well-formed ClientHello and the SNI matches a host,
// nDPI's exported calls (SNI, host match, DGA check) are made here with our parse of the
// hello, in the order its dissector makes them, so the name and category are the ones its
// own dissection gives. Anything that could end otherwise (no host match, a custom category,
// names that touch nDPI's cross-flow caches, odd hellos) is left to nDPI, untouched.
//
// A flow's TLS name is final (tls.c, nDPI 4.2) once the ClientHello was processed, the SNI
// matched a host and the stack has a master: the certificate's SAN is matched only without
// an SNI match, its subject and the certificate cache only without a master, the DGA check
// only without a master, and a later ServerHello never renames.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "classifier.h"

struct ndpi_detection_module_struct;
struct ndpi_flow_struct;
struct ndpi_proto;

namespace ottscope {

// True when nothing nDPI sees later on this TCP flow can change its name.
bool ndpi_tls_name_is_final(const ::ndpi_flow_struct& flow, const PacketView& packet) noexcept;

class NdpiTlsFacts {
public:
    // `flow` has seen only the client's SYN (rebuilt) and `packet` is the flow's first
    // payload, from the client. True when nDPI's name was settled from our parse: the flow's
    // protocol stack, SNI and category are set as nDPI's dissector would set them, and
    // `protocol` is what ndpi_detection_process_packet would have returned. False leaves
    // `flow` as it was: the packet goes to nDPI as usual.
    bool settle(::ndpi_detection_module_struct* module, ::ndpi_flow_struct* flow,
                const PacketView& packet, ::ndpi_proto& protocol) noexcept;
    // The ClientHello's ALPN offers as nDPI keeps them ("h2,http/1.1"), after a settle().
    [[nodiscard]] std::string_view alpn() const noexcept { return {alpn_.data(), alpn_length_}; }

private:
    std::array<char, 256> alpn_{};
    size_t alpn_length_ = 0;
};

}  // namespace ottscope
