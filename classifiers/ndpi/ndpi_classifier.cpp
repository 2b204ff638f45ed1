#include "ndpi/ndpi_classifier.h"

#include <cstring>
#include <stdexcept>

extern "C" {
#include <ndpi/ndpi_api.h>
}

namespace ottscope {
namespace {
constexpr uint8_t kTcp = 6;
constexpr uint8_t kUdp = 17;
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

void NdpiClassifier::record(const ndpi_proto& protocol, Verdict& verdict) const noexcept {
    verdict.ndpi_master = protocol.master_protocol;
    verdict.ndpi_app = protocol.app_protocol;
    verdict.ndpi_category = static_cast<uint16_t>(protocol.category);
    verdict.app = protocol.app_protocol != NDPI_PROTOCOL_UNKNOWN ? protocol.app_protocol
                                                                 : protocol.master_protocol;
    verdict.classifier = registry_index_;
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
    record(protocol, verdict);
    release(state);
    return Progress::done;
}

void NdpiClassifier::conclude(void*& state, Verdict& verdict) noexcept {
    if (state == nullptr) return;
    uint8_t guessed = 0;
    const ndpi_protocol protocol = ndpi_detection_giveup(
        module_.get(), static_cast<ndpi_flow_struct*>(state), settings_.guess_on_giveup, &guessed);
    record(protocol, verdict);
    release(state);
}

}  // namespace ottscope
