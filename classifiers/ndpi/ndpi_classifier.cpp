#include "ndpi/ndpi_classifier.h"

#include <cstring>
#include <stdexcept>

#include "rule_set.h"

extern "C" {
#include <ndpi/ndpi_api.h>
}

namespace ottscope {
namespace {
constexpr uint8_t kTcp = 6;
constexpr uint8_t kUdp = 17;

std::string_view view_of(const char* text) noexcept {
    return text != nullptr ? std::string_view(text) : std::string_view();
}

bool carries_tls(const ndpi_proto& protocol) noexcept {
    for (const uint16_t id : {protocol.master_protocol, protocol.app_protocol})
        if (id == NDPI_PROTOCOL_TLS || id == NDPI_PROTOCOL_QUIC || id == NDPI_PROTOCOL_DTLS)
            return true;
    return false;
}

bool carries_http(const ndpi_proto& protocol) noexcept {
    return protocol.master_protocol == NDPI_PROTOCOL_HTTP ||
           protocol.app_protocol == NDPI_PROTOCOL_HTTP;
}

// What nDPI's dissectors extracted, as rules see it. Only the union member of the detected
// protocol is read: the others alias the same bytes.
FlowFacts facts_of(const ndpi_flow_struct& flow, const ndpi_proto& protocol,
                   const PacketView& packet) noexcept {
    FlowFacts facts;
    facts.ndpi_master = protocol.master_protocol;
    facts.ndpi_app = protocol.app_protocol;
    facts.ip_protocol = packet.ip_protocol;
    facts.server_address = packet.server_address;
    facts.server_port = packet.server_port;
    const std::string_view host(flow.host_server_name,
                                strnlen(flow.host_server_name, sizeof(flow.host_server_name)));
    if (carries_tls(protocol)) {
        const auto& tls = flow.protos.tls_quic;
        facts.tls_sni = host;
        facts.tls_alpn = view_of(tls.alpn);
        facts.tls_cert_san = view_of(tls.server_names);
        facts.tls_cert_subject = view_of(tls.subjectDN);
        facts.tls_cert_issuer = view_of(tls.issuerDN);
        facts.tls_ja3 = std::string_view(tls.ja3_client, strnlen(tls.ja3_client, 33));
    } else if (carries_http(protocol)) {
        facts.http_host = host;
        facts.http_content_type = view_of(flow.http.request_content_type);
    }
    return facts;
}
}  // namespace

void NdpiModuleDeleter::operator()(ndpi_detection_module_struct* module) const noexcept {
    ndpi_exit_detection_module(module);
}

NdpiModule make_ndpi_module() {
    NdpiModule module(ndpi_init_detection_module(ndpi_no_prefs));
    if (!module) throw std::runtime_error("nDPI: cannot initialise a detection module");
    NDPI_PROTOCOL_BITMASK all;
    NDPI_BITMASK_SET_ALL(all);
    ndpi_set_protocol_detection_bitmask2(module.get(), &all);
    ndpi_finalize_initialization(module.get());
    return module;
}

NdpiClassifier::NdpiClassifier(uint8_t registry_index, NdpiSettings settings)
    : registry_index_(registry_index),
      settings_(settings),
      module_(make_ndpi_module()),
      pool_(SIZEOF_FLOW_STRUCT) {}

NdpiClassifier::~NdpiClassifier() = default;

void NdpiClassifier::decide(const ndpi_proto& protocol, const ndpi_flow_struct& flow,
                            const PacketView& packet, Verdict& verdict) const noexcept {
    record(protocol, verdict);
    if (packet.rules != nullptr)
        packet.rules->apply(facts_of(flow, protocol, packet), registry_index_, verdict);
}

void NdpiClassifier::record(const ndpi_proto& protocol, Verdict& verdict) const noexcept {
    verdict.ndpi_master = protocol.master_protocol;
    verdict.ndpi_app = protocol.app_protocol;
    verdict.ndpi_category = static_cast<uint16_t>(protocol.category);
    verdict.app = protocol.app_protocol != NDPI_PROTOCOL_UNKNOWN ? protocol.app_protocol
                                                                 : protocol.master_protocol;
    verdict.classifier = registry_index_;
    verdict.evidence = 0;
    verdict.confidence = verdict.app == NDPI_PROTOCOL_UNKNOWN ? Confidence::none : Confidence::high;
}

void NdpiClassifier::release(void*& state) noexcept {
    auto* flow = static_cast<ndpi_flow_struct*>(state);
    ndpi_free_flow_data(flow);
    pool_.release(flow);
    state = nullptr;
}

Progress NdpiClassifier::inspect(void*& state, const PacketView& packet,
                                 Verdict& verdict) noexcept {
    if (state == nullptr) {
        try {
            state = pool_.acquire();
        } catch (const std::bad_alloc&) {
            return Progress::done;  // flow stays Unknown rather than taking the worker down
        }
        std::memset(state, 0, SIZEOF_FLOW_STRUCT);
    }
    auto* flow = static_cast<ndpi_flow_struct*>(state);
    const bool enough_packets =
        (packet.ip_protocol == kUdp && packet.flow_packets > settings_.udp_packet_budget) ||
        (packet.ip_protocol == kTcp && packet.flow_packets > settings_.tcp_packet_budget);

    ndpi_protocol protocol = ndpi_detection_process_packet(module_.get(), flow, packet.l3,
                                                           packet.l3_length, packet.timestamp_ms);
    if (!enough_packets && protocol.app_protocol == NDPI_PROTOCOL_UNKNOWN) {
        record(protocol, verdict);
        return Progress::need_more;
    }
    // Known, but a later packet (a certificate, say) can still refine the label.
    if (!enough_packets && ndpi_extra_dissection_possible(module_.get(), flow)) {
        record(protocol, verdict);
        return Progress::need_more;
    }
    if (protocol.app_protocol == NDPI_PROTOCOL_UNKNOWN) {
        uint8_t guessed = 0;
        protocol = ndpi_detection_giveup(module_.get(), flow, settings_.guess_on_giveup, &guessed);
    }
    decide(protocol, *flow, packet, verdict);
    release(state);
    return Progress::done;
}

void NdpiClassifier::conclude(void*& state, const PacketView& context, Verdict& verdict) noexcept {
    if (state == nullptr) return;
    uint8_t guessed = 0;
    auto* flow = static_cast<ndpi_flow_struct*>(state);
    const ndpi_protocol protocol =
        ndpi_detection_giveup(module_.get(), flow, settings_.guess_on_giveup, &guessed);
    decide(protocol, *flow, context, verdict);
    release(state);
}

}  // namespace ottscope
