#include "ndpi/ndpi_classifier.h"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "app_catalog.h"
#include "classifiers/protocol_numbers.h"
#include "generation.h"
#include "ndpi/ndpi_memory.h"
#include "registry.h"
#include "rule_set.h"

extern "C" {
#include <ndpi/ndpi_api.h>
}

namespace ottscope {
namespace {
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
        if (ip_header < 20 || ip_header > 60 || packet.l3[9] != ip_protocol::tcp) return 0;
    } else if (version == 6) {
        ip_header = 40;
        if (packet.l3[6] != ip_protocol::tcp) return 0;
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
    tcp[13] = tcp_flag::syn;
    return ip_header + kTcpHeader;
}

static_assert(kNdpiProtocolIds == NDPI_NUM_BITS);

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

}  // namespace

std::string ndpi_protocols_stamp(const std::string& path) {
    if (path.empty()) return {};
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) return path + "|missing";
    return path + "|" + std::to_string(info.st_mtim.tv_sec) + "." +
           std::to_string(info.st_mtim.tv_nsec) + "|" + std::to_string(info.st_size);
}

// Per-flow state: the generation whose module the flow started on, then nDPI's flow.
struct NdpiClassifier::FlowBlock {
    NdpiGeneration* generation;
    alignas(16) std::byte flow[SIZEOF_FLOW_STRUCT];

    ndpi_flow_struct* ndpi() noexcept { return reinterpret_cast<ndpi_flow_struct*>(flow); }
    [[nodiscard]] const ndpi_flow_struct* ndpi() const noexcept {
        return reinterpret_cast<const ndpi_flow_struct*>(flow);
    }
};

std::byte NdpiClassifier::saw_client_syn_;

void NdpiModuleDeleter::operator()(ndpi_detection_module_struct* module) const noexcept {
    ndpi_exit_detection_module(module);
}

NdpiModule make_ndpi_module(const std::string& protocols_file, std::string& error) {
    install_ndpi_allocation_counter();
    NdpiModule module(ndpi_init_detection_module(ndpi_no_prefs));
    if (!module) {
        error = "nDPI: cannot initialise a detection module";
        return nullptr;
    }
    if (!protocols_file.empty() &&
        ndpi_load_protocols_file(module.get(), protocols_file.c_str()) != 0) {
        error = protocols_file + ":1:1: nDPI cannot load this protocols file";
        return nullptr;
    }
    NDPI_PROTOCOL_BITMASK all;
    NDPI_BITMASK_SET_ALL(all);
    ndpi_set_protocol_detection_bitmask2(module.get(), &all);
    ndpi_finalize_initialization(module.get());
    return module;
}

NdpiModule make_ndpi_module() {
    std::string error;
    NdpiModule module = make_ndpi_module({}, error);
    if (!module) throw std::runtime_error(error);
    return module;
}

std::unique_ptr<NdpiGeneration> make_ndpi_generation(const NdpiSettings& settings,
                                                     AppCatalog* catalog, std::string& error,
                                                     NdpiModule prebuilt) {
    auto generation = std::make_unique<NdpiGeneration>();
    generation->module =
        prebuilt ? std::move(prebuilt) : make_ndpi_module(settings.protocols_file, error);
    if (!generation->module) return nullptr;
    ndpi_detection_module_struct* module = generation->module.get();
    const unsigned count =
        std::min<unsigned>(ndpi_get_num_supported_protocols(module), kNdpiProtocolIds);
    for (unsigned id = 0; id < count; ++id) {
        if (catalog == nullptr || id < catalog->builtin_protocols()) {
            generation->to_catalog[id] = static_cast<uint16_t>(id);
            continue;
        }
        const char* name = ndpi_get_proto_name(module, static_cast<uint16_t>(id));
        const auto category = ndpi_get_proto_category(
            module, ndpi_protocol{NDPI_PROTOCOL_UNKNOWN, static_cast<uint16_t>(id),
                                  NDPI_PROTOCOL_CATEGORY_UNSPECIFIED});
        const AppCatalog::Interned interned = catalog->intern_custom_protocol(
            name != nullptr ? name : "Unknown", ndpi_category_get_name(module, category));
        if (!interned.error.empty()) {
            error = settings.protocols_file + ":1:1: " + interned.error;
            return nullptr;
        }
        generation->to_catalog[id] = interned.id;
    }
    return generation;
}

NdpiClassifier::NdpiClassifier(uint8_t registry_index, NdpiSettings settings, AppCatalog* catalog,
                               NdpiModule prebuilt)
    : registry_index_(registry_index),
      settings_(std::move(settings)),
      catalog_(catalog),
      pool_(sizeof(FlowBlock)),
      facts_(fact_catalog().size()),
      scratch_(static_cast<ndpi_flow_struct*>(
          std::aligned_alloc(64, (SIZEOF_FLOW_STRUCT + 63) & ~size_t{63}))) {
    // Facts nDPI's dissectors read that classifiers of ours declare; an id past the sheet
    // (a classifier not registered) is never set.
    const auto id = [](std::string_view section, std::string_view key) {
        return fact_id(section, key).value_or(UINT16_MAX);
    };
    fact_ids_ = {id("tls", "sni"),          id("tls", "alpn"),         id("tls", "cert_san"),
                 id("tls", "cert_subject"), id("tls", "cert_issuer"),  id("tls", "ja3"),
                 id("http", "host"),        id("http", "content_type")};
    if (scratch_ == nullptr) throw std::bad_alloc();
    std::string error;
    own_ = make_ndpi_generation(settings_, catalog_, error, std::move(prebuilt));
    if (!own_) throw std::runtime_error(error);
    current_ = own_.get();
}

NdpiClassifier::~NdpiClassifier() = default;

void NdpiClassifier::FreeScratch::operator()(ndpi_flow_struct* flow) const noexcept {
    std::free(flow);
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
    ndpi_detection_module_struct* module = current_->module.get();
    std::memset(static_cast<void*>(scratch_.get()), 0, SIZEOF_FLOW_STRUCT);
    ndpi_detection_process_packet(module, scratch_.get(), packet.l3, packet.l3_length,
                                  packet.timestamp_ms);
    uint8_t guessed = 0;
    const ndpi_protocol protocol =
        ndpi_detection_giveup(module, scratch_.get(), settings_.guess_on_giveup, &guessed);
    record(protocol, *current_, verdict, guessed != 0);
    // Only ports and addresses are known: rules on them may still name the flow.
    if (packet.rules != nullptr)
        packet.rules->apply(endpoint_facts(verdict, packet), registry_index_, verdict);
    ndpi_free_flow_data(scratch_.get());
}

void NdpiClassifier::record(const ndpi_proto& protocol, const NdpiGeneration& generation,
                            Verdict& verdict, bool guessed) const noexcept {
    auto translate = [&generation](uint16_t id) {
        return id < kNdpiProtocolIds ? generation.to_catalog[id] : uint16_t{0};
    };
    verdict.ndpi_master = translate(protocol.master_protocol);
    verdict.ndpi_app = translate(protocol.app_protocol);
    verdict.ndpi_category = static_cast<uint16_t>(protocol.category);
    Verdict label;
    label.app = verdict.ndpi_app != NDPI_PROTOCOL_UNKNOWN ? verdict.ndpi_app : verdict.ndpi_master;
    label.classifier = registry_index_;
    // A port or address says less than content does (README, Rules): medium, as for rules.
    label.confidence = label.app == NDPI_PROTOCOL_UNKNOWN ? Confidence::none
                       : guessed                          ? Confidence::medium
                                                          : Confidence::high;
    label.tier = ClaimTier::ndpi;
    verdict.claim(label);
}

void NdpiClassifier::decide(const ndpi_proto& protocol, const FlowBlock& block,
                            const PacketView& packet, Verdict& verdict, bool guessed,
                            std::string_view alpn) noexcept {
    record(protocol, *block.generation, verdict, guessed);
    if (packet.rules == nullptr) return;
    // What nDPI's dissectors extracted, as rules see it. Only the union member of the detected
    // protocol is read: the others alias the same bytes.
    const ndpi_flow_struct& flow = *block.ndpi();
    FlowFacts facts = endpoint_facts(verdict, packet);
    const std::string_view host(flow.host_server_name,
                                strnlen(flow.host_server_name, sizeof(flow.host_server_name)));
    facts_.clear();
    if (carries_tls(protocol)) {
        const auto& tls = flow.protos.tls_quic;
        facts_.set(fact_ids_.tls_sni, host);
        facts_.set(fact_ids_.tls_alpn, alpn.empty() ? view_of(tls.alpn) : alpn);
        facts_.set(fact_ids_.tls_cert_san, view_of(tls.server_names));
        facts_.set(fact_ids_.tls_cert_subject, view_of(tls.subjectDN));
        facts_.set(fact_ids_.tls_cert_issuer, view_of(tls.issuerDN));
        facts_.set(fact_ids_.tls_ja3,
                   std::string_view(tls.ja3_client, strnlen(tls.ja3_client, 33)));
    } else if (carries_http(protocol)) {
        facts_.set(fact_ids_.http_host, host);
        facts_.set(fact_ids_.http_content_type, view_of(flow.http.request_content_type));
    }
    facts.values = facts_.values();
    packet.rules->apply(facts, registry_index_, verdict);
}

void NdpiClassifier::release(void*& state) noexcept {
    auto* block = static_cast<FlowBlock*>(state);
    ndpi_free_flow_data(block->ndpi());
    NdpiGeneration* generation = block->generation;
    if (--generation->live_flows == 0 && generation != current_)
        generation->drained.store(true, std::memory_order_release);
    pool_.release(block);
    state = nullptr;
}

Progress NdpiClassifier::inspect(void*& state, const PacketView& packet,
                                 Verdict& verdict) noexcept {
    if (!heap_baseline_taken_) [[unlikely]] {
        heap_baseline_ = ndpi_heap_bytes_on_this_thread();
        heap_baseline_taken_ = true;
    }
    const bool stateless = state == nullptr || state == &saw_client_syn_;
    if (stateless && packet.payload.empty() && settings_.state_from_first_payload) {
        // nDPI's state waits for the flow's first payload: SYN floods, scans and handshakes
        // that never carry data hold no classifier memory (the classic way nDPI
        // integrations run out of memory). Their verdict is nDPI's port/address guess,
        // taken when they end (conclude) or run out of budget: most flows do show payload,
        // and guessing for each of them at its SYN cost a whole nDPI call per flow.
        if (packet.flow_packets == 1 && packet.ip_protocol == ip_protocol::tcp &&
            (packet.tcp_flags & (tcp_flag::syn | tcp_flag::ack)) == tcp_flag::syn &&
            packet.direction == Direction::client_to_server)
            state = &saw_client_syn_;
        if (!packet.last_offer) return Progress::need_more;
        guess_without_state(packet, verdict);
        state = nullptr;
        return Progress::done;
    }
    bool primed = false;  // nDPI's flow is new and has seen only the client's SYN
    if (stateless) {
        const bool prime = state == &saw_client_syn_;
        state = nullptr;
        try {
            state = pool_.acquire();
        } catch (const std::bad_alloc&) {
            return Progress::done;  // flow stays as guessed rather than taking the worker down
        }
        auto* fresh = static_cast<FlowBlock*>(state);
        fresh->generation = current_;
        ++current_->live_flows;
        std::memset(fresh->flow, 0, sizeof(fresh->flow));
        // Some dissectors learn from the SYN (TINC notes the endpoints it will see again on
        // UDP): nDPI gets the client's SYN first, rebuilt, as if it had seen it.
        std::array<uint8_t, 80> syn{};
        const size_t syn_length = prime ? rebuild_client_syn(packet, syn) : 0;
        if (syn_length != 0)
            ndpi_detection_process_packet(current_->module.get(), fresh->ndpi(), syn.data(),
                                          static_cast<uint16_t>(syn_length), packet.timestamp_ms);
        primed = syn_length != 0;
    }
    auto* block = static_cast<FlowBlock*>(state);
    ndpi_detection_module_struct* module = block->generation->module.get();
    ndpi_flow_struct* flow = block->ndpi();
    const bool enough_packets = packet.last_offer;

    ndpi_protocol protocol{};
    if (primed && settings_.tls_facts && packet.direction == Direction::client_to_server &&
        tls_facts_.settle(module, flow, packet, protocol)) {
        decide(protocol, *block, packet, verdict, false, tls_facts_.alpn());
        release(state);
        return Progress::done;
    }
    protocol = ndpi_detection_process_packet(module, flow, packet.l3, packet.l3_length,
                                             packet.timestamp_ms);
    if (!enough_packets && protocol.app_protocol == NDPI_PROTOCOL_UNKNOWN) {
        record(protocol, *block->generation, verdict);
        return Progress::need_more;
    }
    // Known, but a later packet (a certificate, say) can still refine the label.
    if (!enough_packets && ndpi_extra_dissection_possible(module, flow) &&
        !(settings_.final_stop && ndpi_tls_name_is_final(*flow, packet))) {
        record(protocol, *block->generation, verdict);
        return Progress::need_more;
    }
    uint8_t guessed = 0;
    if (protocol.app_protocol == NDPI_PROTOCOL_UNKNOWN)
        protocol = ndpi_detection_giveup(module, flow, settings_.guess_on_giveup, &guessed);
    decide(protocol, *block, packet, verdict, guessed != 0);
    release(state);
    return Progress::done;
}

void NdpiClassifier::conclude(void*& state, const PacketView& context, Verdict& verdict) noexcept {
    if (state == nullptr || state == &saw_client_syn_) {
        // The flow never showed payload: nDPI guesses from its addresses and ports.
        state = nullptr;
        if (context.l3 != nullptr && context.l3_length != 0) guess_without_state(context, verdict);
        return;
    }
    auto* block = static_cast<FlowBlock*>(state);
    uint8_t guessed = 0;
    const ndpi_protocol protocol = ndpi_detection_giveup(
        block->generation->module.get(), block->ndpi(), settings_.guess_on_giveup, &guessed);
    decide(protocol, *block, context, verdict, guessed != 0);
    release(state);
}

void NdpiClassifier::adopt(const Generation& generation, unsigned worker) noexcept {
    NdpiGeneration* next = worker < generation.ndpi.size() && generation.ndpi[worker]
                               ? generation.ndpi[worker].get()
                               : own_.get();
    if (next == current_) return;
    NdpiGeneration* previous = current_;
    current_ = next;
    if (previous->live_flows == 0) previous->drained.store(true, std::memory_order_release);
}

}  // namespace ottscope
