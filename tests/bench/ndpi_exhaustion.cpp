#include "tests/bench/ndpi_exhaustion.h"

// The dissector lists live in the detection module, whose layout nDPI 4.2 publishes only to
// its own sources; the installed ndpi_config.h is the library's own build configuration, so
// the layout matches (the tests read known dissectors back through it).
#define NDPI_LIB_COMPILATION
extern "C" {
#include <ndpi/ndpi_api.h>
}

namespace ottscope {
namespace {

bool overlap(const NDPI_PROTOCOL_BITMASK& a, const NDPI_PROTOCOL_BITMASK& b) noexcept {
    for (size_t word = 0; word < NDPI_NUM_FDS_BITS; ++word)
        if ((a.fds_bits[word] & b.fds_bits[word]) != 0) return true;
    return false;
}

// The selection bits some later packet of the flow may carry: its IP version and transport
// are fixed, payload and "not a retransmission" are possible on any packet.
uint32_t possible_selection(const ndpi_flow_struct& flow) noexcept {
    uint32_t bits = NDPI_SELECTION_BITMASK_PROTOCOL_COMPLETE_TRAFFIC |
                    NDPI_SELECTION_BITMASK_PROTOCOL_IPV4_OR_IPV6 |
                    NDPI_SELECTION_BITMASK_PROTOCOL_HAS_PAYLOAD |
                    NDPI_SELECTION_BITMASK_PROTOCOL_NO_TCP_RETRANSMISSION;
    bits |= flow.is_ipv6 != 0 ? NDPI_SELECTION_BITMASK_PROTOCOL_IPV6
                              : NDPI_SELECTION_BITMASK_PROTOCOL_IP;
    if (flow.l4_proto == IPPROTO_TCP)
        bits |= NDPI_SELECTION_BITMASK_PROTOCOL_INT_TCP |
                NDPI_SELECTION_BITMASK_PROTOCOL_INT_TCP_OR_UDP;
    else if (flow.l4_proto == IPPROTO_UDP)
        bits |= NDPI_SELECTION_BITMASK_PROTOCOL_INT_UDP |
                NDPI_SELECTION_BITMASK_PROTOCOL_INT_TCP_OR_UDP;
    return bits;
}

// nDPI's own test for calling `entry` on a flow whose detected protocol is unknown, with the
// packet shape widened to any the flow may still show.
bool may_run(const ndpi_call_function_struct& entry, const ndpi_flow_struct& flow,
             const NDPI_PROTOCOL_BITMASK& detected, uint32_t selection) noexcept {
    return entry.func != nullptr &&
           (entry.ndpi_selection_bitmask & selection) == entry.ndpi_selection_bitmask &&
           !overlap(flow.excluded_protocol_bitmask, entry.excluded_protocol_bitmask) &&
           overlap(entry.detection_bitmask, detected);
}

// The dissectors nDPI picks from for the flow's transport. TCP packets without payload use a
// subset of the TCP list (entries that do not need payload), so the TCP list covers both.
std::span<const ndpi_call_function_struct> candidates(const ndpi_detection_module_struct& module,
                                                      const ndpi_flow_struct& flow) noexcept {
    if (flow.l4_proto == IPPROTO_TCP)
        return {module.callback_buffer_tcp_payload, module.callback_buffer_size_tcp_payload};
    if (flow.l4_proto == IPPROTO_UDP)
        return {module.callback_buffer_udp, module.callback_buffer_size_udp};
    return {module.callback_buffer_non_tcp_udp, module.callback_buffer_size_non_tcp_udp};
}

// Calls `visit(entry)` for each dissector that may still run on a later packet of `flow`, in
// nDPI's order, until it returns false.
template <typename Visit>
void for_each_eligible(const ndpi_detection_module_struct& module, const ndpi_flow_struct& flow,
                       Visit&& visit) noexcept {
    NDPI_PROTOCOL_BITMASK detected;
    NDPI_SAVE_AS_BITMASK(detected, flow.detected_protocol_stack[0]);
    const uint32_t selection = possible_selection(flow);
    // The port-guessed protocol's dissector is tried first, from the module-wide list: it
    // may not be in the transport's list (when it is, it is visited once).
    const ndpi_proto_defaults_t& guessed = module.proto_defaults[flow.guessed_protocol_id];
    const bool guess_tried = guessed.protoId != NDPI_PROTOCOL_UNKNOWN && guessed.func != nullptr;
    if (guess_tried) {
        const ndpi_call_function_struct& entry = module.callback_buffer[guessed.protoIdx];
        if (may_run(entry, flow, detected, selection) && !visit(entry)) return;
    }
    for (const ndpi_call_function_struct& entry : candidates(module, flow))
        if ((!guess_tried || entry.func != guessed.func) &&
            may_run(entry, flow, detected, selection) && !visit(entry))
            return;
}

}  // namespace

unsigned eligible_dissectors(const ndpi_detection_module_struct& module,
                             const ndpi_flow_struct& flow, std::span<uint16_t> out) noexcept {
    unsigned count = 0;
    for_each_eligible(module, flow, [&](const ndpi_call_function_struct& entry) {
        if (count < out.size()) out[count] = entry.ndpi_protocol_id;
        ++count;
        return true;
    });
    return count;
}

bool dissectors_exhausted(const ndpi_detection_module_struct& module,
                          const ndpi_flow_struct& flow) noexcept {
    // A named flow, one still to get its first-packet guess, or one with an extra-packet
    // function pending can still change.
    if (flow.detected_protocol_stack[0] != NDPI_PROTOCOL_UNKNOWN ||
        flow.protocol_id_already_guessed == 0 || flow.check_extra_packets != 0)
        return false;
    if (flow.fail_with_unknown != 0) return true;  // nDPI stopped looking itself
    bool any = false;
    for_each_eligible(module, flow, [&any](const ndpi_call_function_struct&) {
        any = true;
        return false;
    });
    return !any;
}

}  // namespace ottscope
