#include "ndpi/ndpi_classifier.h"

#include <cstdlib>
#include <cstring>
#include <stdexcept>

extern "C" {
#include <ndpi/ndpi_api.h>
}

#include "ndpi/ndpi_memory.h"

namespace ottscope {
namespace {
constexpr uint8_t kTcp = 6;
constexpr uint8_t kUdp = 17;
}  // namespace

void NdpiModuleDeleter::operator()(ndpi_detection_module_struct* module) const noexcept {
    ndpi_exit_detection_module(module);
}

NdpiModule make_ndpi_module() {
    install_ndpi_allocation_counter();
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
      pool_(SIZEOF_FLOW_STRUCT),
      scratch_(static_cast<ndpi_flow_struct*>(std::aligned_alloc(64, pool_.block_size()))) {
    if (scratch_ == nullptr) throw std::bad_alloc();
}

void NdpiClassifier::FreeScratch::operator()(ndpi_flow_struct* flow) const noexcept {
    std::free(flow);
}

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

size_t NdpiClassifier::state_bytes_in_use() const noexcept {
    // nDPI's heap is counted from the first packet on, so the module's own tables (built
    // when the classifier was made, possibly on this thread) are not taken for flow state.
    const size_t heap = ndpi_heap_bytes_on_this_thread();
    return pool_.in_use() * pool_.block_size() +
           (heap > heap_baseline_ ? heap - heap_baseline_ : 0);
}

void NdpiClassifier::guess_without_state(const PacketView& packet, Verdict& verdict) noexcept {
    // What nDPI would answer if the flow ended now: its give-up guess from ports and
    // addresses after this one packet, computed in a scratch flow that is cleared again.
    std::memset(scratch_.get(), 0, SIZEOF_FLOW_STRUCT);
    ndpi_detection_process_packet(module_.get(), scratch_.get(), packet.l3, packet.l3_length,
                                  packet.timestamp_ms);
    uint8_t guessed = 0;
    record(
        ndpi_detection_giveup(module_.get(), scratch_.get(), settings_.guess_on_giveup, &guessed),
        verdict);
    ndpi_free_flow_data(scratch_.get());
}

Progress NdpiClassifier::inspect(void*& state, const PacketView& packet,
                                 Verdict& verdict) noexcept {
    if (!heap_baseline_taken_) [[unlikely]] {
        heap_baseline_ = ndpi_heap_bytes_on_this_thread();
        heap_baseline_taken_ = true;
    }
    if (state == nullptr && packet.payload.empty()) {
        // nDPI's state waits for the flow's first payload: SYN floods, scans and handshakes
        // that never carry data hold no classifier memory (the classic way nDPI
        // integrations run out of memory). Their verdict is nDPI's port/address guess.
        if (packet.flow_packets == 1) guess_without_state(packet, verdict);
        const uint32_t budget = packet.ip_protocol == kTcp   ? settings_.tcp_packet_budget
                                : packet.ip_protocol == kUdp ? settings_.udp_packet_budget
                                                             : UINT32_MAX;
        return packet.flow_packets > budget ? Progress::done : Progress::need_more;
    }
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
