#include "ndpi/ndpi_classifier.h"

#include <algorithm>
#include <array>
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
constexpr uint8_t kSynFlag = 0x02;
constexpr uint8_t kAckFlag = 0x10;
constexpr size_t kTcpHeader = 20;

// The client's SYN, rebuilt from a later packet of the same flow: its IP header and the base
// TCP header (no options), flags SYN only, addresses and ports turned round when the packet
// came from the server. Returns the length written, or 0 when the headers are not plain
// IPv4 or IPv6 followed directly by TCP.
size_t rebuild_client_syn(const PacketView& packet, std::array<uint8_t, 80>& out) noexcept {
    if (packet.l3 == nullptr || packet.l3_length == 0) return 0;
    const uint8_t version = packet.l3[0] >> 4;
    size_t ip_header = 0;
    if (version == 4) {
        ip_header = static_cast<size_t>(packet.l3[0] & 0x0f) * 4;
        if (ip_header < 20 || ip_header > 60 || packet.l3[9] != kTcp) return 0;
    } else if (version == 6) {
        ip_header = 40;
        if (packet.l3[6] != kTcp) return 0;
    } else {
        return 0;
    }
    if (packet.l3_length < ip_header + kTcpHeader) return 0;
    std::memcpy(out.data(), packet.l3, ip_header + kTcpHeader);
    uint8_t* tcp = out.data() + ip_header;
    if (version == 4) {
        const auto total = static_cast<uint16_t>(ip_header + kTcpHeader);
        out[2] = static_cast<uint8_t>(total >> 8);
        out[3] = static_cast<uint8_t>(total);
    } else {
        out[4] = 0;
        out[5] = kTcpHeader;
    }
    if (packet.direction == Direction::server_to_client) {
        const size_t address = version == 4 ? 4 : 16;
        const size_t source = version == 4 ? 12 : 8;
        std::swap_ranges(out.begin() + static_cast<ptrdiff_t>(source),
                         out.begin() + static_cast<ptrdiff_t>(source + address),
                         out.begin() + static_cast<ptrdiff_t>(source + address));
        std::swap_ranges(tcp, tcp + 2, tcp + 2);
    }
    std::memset(tcp + 4, 0, 8);  // sequence and acknowledgement numbers
    tcp[12] = 5 << 4;            // data offset: no options
    tcp[13] = kSynFlag;
    return ip_header + kTcpHeader;
}
}  // namespace

std::byte NdpiClassifier::saw_client_syn_;

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
    const bool stateless = state == nullptr || state == &saw_client_syn_;
    if (stateless && packet.payload.empty()) {
        // nDPI's state waits for the flow's first payload: SYN floods, scans and handshakes
        // that never carry data hold no classifier memory (the classic way nDPI
        // integrations run out of memory). Their verdict is nDPI's port/address guess.
        if (packet.flow_packets == 1) {
            guess_without_state(packet, verdict);
            if (packet.ip_protocol == kTcp &&
                (packet.tcp_flags & (kSynFlag | kAckFlag)) == kSynFlag &&
                packet.direction == Direction::client_to_server)
                state = &saw_client_syn_;
        }
        const uint32_t budget = packet.ip_protocol == kTcp   ? settings_.tcp_packet_budget
                                : packet.ip_protocol == kUdp ? settings_.udp_packet_budget
                                                             : UINT32_MAX;
        if (packet.flow_packets <= budget) return Progress::need_more;
        state = nullptr;
        return Progress::done;
    }
    if (stateless) {
        const bool prime = state == &saw_client_syn_;
        state = nullptr;
        try {
            state = pool_.acquire();
        } catch (const std::bad_alloc&) {
            return Progress::done;  // flow stays Unknown rather than taking the worker down
        }
        std::memset(state, 0, SIZEOF_FLOW_STRUCT);
        // Some dissectors learn from the SYN (TINC notes the endpoints it will see again on
        // UDP): nDPI gets the client's SYN first, rebuilt, as if it had seen it.
        std::array<uint8_t, 80> syn{};
        const size_t syn_length = prime ? rebuild_client_syn(packet, syn) : 0;
        if (syn_length != 0)
            ndpi_detection_process_packet(module_.get(), static_cast<ndpi_flow_struct*>(state),
                                          syn.data(), static_cast<uint16_t>(syn_length),
                                          packet.timestamp_ms);
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
    if (state == &saw_client_syn_) state = nullptr;
    if (state == nullptr) return;
    uint8_t guessed = 0;
    const ndpi_protocol protocol = ndpi_detection_giveup(
        module_.get(), static_cast<ndpi_flow_struct*>(state), settings_.guess_on_giveup, &guessed);
    record(protocol, verdict);
    release(state);
}

}  // namespace ottscope
