#include "tls_classifier.h"

#include "classifiers/generation.h"

#include <algorithm>
#include <new>

#include "classifiers/app_catalog.h"
#include "classifiers/protocol_numbers.h"
#include "classifiers/registry.h"
#include "classifiers/rule_set.h"
#include "classifiers/tls/tls_decrypt_counters.h"

namespace ottscope {

namespace {
constexpr uint16_t kTls13 = 0x0304;
}  // namespace

// The working state of a flow under examination. Fields are sized for rule matching; the
// record keeps shorter copies (TlsAnnotations) once the flow is decided.
struct TlsClassifier::FlowState {
    tls::FixedText<256> sni;
    tls::FixedText<128> alpn;
    tls::FixedText<256> san;
    tls::FixedText<160> subject;
    tls::FixedText<160> issuer;
    tls::Ja3Text ja3{};
    tls::Ja3Text ja3s{};
    tls::Ja4Text ja4{};
    tls::RecordCursor cursor[2];
    tls::BehaviourTrack behaviour;  // record headers for the look past the handshake
    tls::PrologueReader prologue;   // none: the stream starts with TLS
    uint32_t packets = 0;
    // Per direction: nothing more to learn from it (its hello or server flight is read, or it
    // ended, closed or broke). Directions are told apart by what they send, not by who sent
    // the first packet: captures that start with a SYN-ACK get the roles the wrong way round.
    bool direction_done[2] = {false, false};
    bool tls13 = false;
    // For decryption with a key log: the hellos' randoms and the suite.
    tls::SessionParams session;
    bool client_hello_seen = false;
    bool server_hello_seen = false;
    bool rules_applied = false;
    tls::InnerFlow* inner = nullptr;  // looking inside (secrets found), else null
    uint32_t inner_packets = 0;
    // The session is not in the key log yet: waiting for a newer one (bounded).
    bool awaiting_keys = false;
    uint64_t keys_generation = 0;
    uint64_t handshake_ms = 0;
    void* quic = nullptr;  // QUIC: the Initial reader's flow until the ClientHello is read
};

TlsClassifier::TlsClassifier(uint8_t registry_index, AppCatalog* catalog,
                             std::shared_ptr<const tls::KeyLog> keylog,
                             ClassifierCounters* counters, size_t certificate_cache_entries,
                             size_t fingerprint_memo_entries, bool quic_open_undersized)
    : registry_index_(registry_index),
      working_pool_(sizeof(FlowState), 1024),
      summary_pool_(sizeof(TlsAnnotations), 1024),
      fingerprint_(fingerprint_memo_entries),
      certificates_(certificate_cache_entries),
      quic_(quic_open_undersized),
      behaviour_(registry_index, catalog),
      counters_(counters != nullptr ? std::optional<TlsDecryptCounters>(*counters) : std::nullopt),
      facts_(fact_catalog().size()),
      first_fact_(first_fact_of(kTlsClassifier)) {
    const std::vector<AnnotationSlot> slots = record_slots_of(kTlsClassifier);
    for (size_t i = 0; i < slots.size() && i < record_slots_.size(); ++i)
        record_slots_[i] = slots[i];
    if (counters_) {
        for (size_t e = 0; e < static_cast<size_t>(tls::quic::QuicEvent::count); ++e) {
            const auto event = static_cast<tls::quic::QuicEvent>(e);
            quic_.count_into(event, &counters_->quic(event));
        }
    }
    if (keylog != nullptr) intern_names(catalog, sip_tls_app_, decrypted_evidence_);
    adopted_keylog_ = keylog.get();
    (void)inner_.exchange_keylog(std::move(keylog));
}

// The app and evidence a confirmation names, added to the catalog (control side) only once
// a key log is configured, so appliances without one list no app they can never report.
// `sip-tls` is the same app the behaviour watch names (a fixed name in the catalog's custom
// region).
void TlsClassifier::intern_names(AppCatalog* catalog, uint16_t& app, uint16_t& evidence) {
    if (catalog == nullptr) return;  // tests without a catalog: confirmed, not named
    app = catalog->intern_custom_protocol("sip-tls", "voip").id;
    evidence = catalog->intern_classifier_evidence("sip inside tls (decrypted)");
}

size_t TlsClassifier::state_bytes_in_use() const noexcept {
    return working_pool_.in_use() * working_pool_.block_size() +
           summary_pool_.in_use() * summary_pool_.block_size() + inner_.bytes_in_use() +
           behaviour_.state_bytes_in_use() + quic_.bytes_in_use();
}

void TlsClassifier::adopt(const Generation& generation, unsigned /*worker*/) noexcept {
    if (generation.tls_keylog.get() == adopted_keylog_) return;
    adopted_keylog_ = generation.tls_keylog.get();
    (void)inner_.exchange_keylog(generation.tls_keylog);
    if (generation.sip_tls_app != AppCatalog::kUnknown) {
        sip_tls_app_ = generation.sip_tls_app;
        decrypted_evidence_ = generation.decrypted_evidence;
    }
}

Progress TlsClassifier::inspect(void*& state, const PacketView& packet, Verdict& verdict) noexcept {
    if (packet.ip_protocol == ip_protocol::udp) return inspect_quic(state, packet, verdict);
    if (packet.ip_protocol != ip_protocol::tcp) return Progress::done;
    if (TlsBehaviourWatch::watching(state)) return behaviour_.inspect(state, packet, verdict);
    auto* flow = static_cast<FlowState*>(state);
    if (flow == nullptr) {
        if ((packet.stream_flags & stream_flag::unavailable) != 0) return Progress::done;
        if (packet.stream.empty())
            return packet.flow_packets > kMaxPacketsBeforePayload ? Progress::done
                                                                  : Progress::need_more;
        if (packet.stream.size() < 5 && (packet.stream_flags & stream_flag::fin) == 0)
            return Progress::need_more;
        // The first bytes decide: anything but a handshake record is not ours to follow. An
        // SSL 2.0-format hello has nothing to fingerprint, but the server's answer has.
        const bool v2_hello = packet.direction == Direction::client_to_server &&
                              tls::looks_like_v2_client_hello(packet.stream);
        // Or a cleartext dialogue that may lead to TLS (CONNECT, STARTTLS, SOCKS).
        tls::PrologueKind prologue = tls::PrologueKind::none;
        if (!v2_hello && !tls::looks_like_handshake_record(packet.stream)) {
            prologue = tls::PrologueReader::opens(packet.stream);
            if (prologue == tls::PrologueKind::none) return Progress::done;
        }
        try {
            flow = new (working_pool_.acquire()) FlowState{};
        } catch (const std::bad_alloc&) {
            return Progress::done;
        }
        flow->direction_done[static_cast<size_t>(packet.direction)] = v2_hello;
        if (prologue != tls::PrologueKind::none) flow->prologue.begin(prologue, packet.direction);
        state = flow;
    }
    // After a prologue, each direction is read from its first TLS byte: the packet again, as
    // the shifted view (which is the one packet this check lets through).
    if (flow->prologue.present() && &packet != &shifted_) {
        const tls::PrologueStep step = flow->prologue.shift(packet, shifted_);
        if (step == tls::PrologueStep::tls) return inspect(state, shifted_, verdict);
        if (step == tls::PrologueStep::wait) return Progress::need_more;
        flow->~FlowState();
        working_pool_.release(flow);
        state = nullptr;
        return Progress::done;
    }
    ++flow->packets;
    flow->behaviour.feed_stream(packet);
    if (flow->inner != nullptr) return examine_inner(state, *flow, packet, verdict);
    if (flow->awaiting_keys) return await_keys(state, *flow, packet, verdict);
    const auto direction = static_cast<size_t>(packet.direction);
    if (packet.stream_new_offset < packet.stream.size()) scan(*flow, direction, packet.stream);
    const tls::RecordCursor& cursor = flow->cursor[direction];
    // This direction's stream will not grow (or grows past what we read): settle it.
    const bool ended =
        (packet.stream_flags & (stream_flag::truncated | stream_flag::fin | stream_flag::rst)) != 0;
    if (cursor.malformed || cursor.closed || ended) flow->direction_done[direction] = true;
    if ((flow->direction_done[0] && flow->direction_done[1]) ||
        flow->packets >= kMaxHandshakePackets || cursor.malformed) {
        if (!cursor.malformed && start_inner(*flow)) {
            apply_rules(*flow, packet, verdict);
            return examine_inner(state, *flow, packet, verdict);
        }
        if (flow->awaiting_keys) {
            apply_rules(*flow, packet, verdict);
            flow->handshake_ms = packet.timestamp_ms;
            return Progress::need_more;
        }
        return finish(state, packet, verdict);
    }
    return Progress::need_more;
}

Progress TlsClassifier::inspect_quic(void*& state, const PacketView& packet,
                                     Verdict& verdict) noexcept {
    auto* flow = static_cast<FlowState*>(state);
    void* quic = flow != nullptr ? flow->quic : nullptr;
    const tls::quic::QuicRead read =
        quic_.feed(quic, packet.payload, static_cast<uint8_t>(packet.direction));
    if (flow == nullptr) {
        // Any other UDP is left at once, so its verdict never waits for us. A QUIC header
        // that did not open (the server's Initial seen first, a lost packet) gets a few more.
        if (quic == nullptr)
            return read == tls::quic::QuicRead::not_quic ||
                           packet.flow_packets >= kMaxQuicProbePackets || packet.last_offer
                       ? Progress::done
                       : Progress::need_more;
        try {
            flow = new (working_pool_.acquire()) FlowState{};
        } catch (const std::bad_alloc&) {
            quic_.release(quic);
            return Progress::done;
        }
        flow->quic = quic;
        state = flow;
    }
    ++flow->packets;
    if (read == tls::quic::QuicRead::client_hello) {
        take_client_hello(*flow, tls::quic::QuicHelloReader::client_hello(flow->quic), true);
        return finish(state, packet, verdict);
    }
    if (read == tls::quic::QuicRead::failed || flow->packets >= kMaxQuicPackets)
        return finish(state, packet, verdict);
    return Progress::need_more;
}

bool TlsClassifier::start_inner(FlowState& flow) noexcept {
    if (!inner_.configured() || !flow.client_hello_seen || !flow.server_hello_seen) return false;
    flow.session.tls13 = flow.tls13;
    bool retry = false;
    flow.inner = inner_.start(flow.session, retry);
    flow.awaiting_keys = flow.inner == nullptr && retry;
    flow.keys_generation = inner_.generation();
    return flow.inner != nullptr;
}

// The streams are kept from their start, so records that went by while the secrets were
// not yet logged are still there to decrypt once they are.
Progress TlsClassifier::await_keys(void*& state, FlowState& flow, const PacketView& packet,
                                   Verdict& verdict) noexcept {
    if (inner_.generation() != flow.keys_generation) {
        if (start_inner(flow)) return examine_inner(state, flow, packet, verdict);
        if (!flow.awaiting_keys) {  // no key log any more
            return finish(state, packet, verdict);
        }
    }
    if (++flow.inner_packets >= kMaxInnerPackets ||
        packet.timestamp_ms > flow.handshake_ms + kKeyWaitMs) {
        return finish(state, packet, verdict);
    }
    return Progress::need_more;
}

Progress TlsClassifier::examine_inner(void*& state, FlowState& flow, const PacketView& packet,
                                      Verdict& verdict) noexcept {
    const bool ended =
        (packet.stream_flags & (stream_flag::truncated | stream_flag::fin | stream_flag::rst)) != 0;
    const tls::InnerResult result =
        inner_.examine(*flow.inner, static_cast<uint8_t>(packet.direction), packet.stream, ended);
    if (result == tls::InnerResult::pending && ++flow.inner_packets < kMaxInnerPackets)
        return Progress::need_more;
    return finish(state, packet, verdict);
}

void TlsClassifier::settle_inner(FlowState& flow, Verdict& verdict,
                                 TlsAnnotations* summary) noexcept {
    const tls::InnerResult result = tls::InnerExaminer::settle(*flow.inner);
    const char* text = "not_sip";
    DecryptedAs counted = DecryptedAs::not_sip;
    if (result == tls::InnerResult::sip) {
        text = "sip";
        counted = DecryptedAs::sip;
        Verdict candidate;
        candidate.classifier = registry_index_;
        candidate.confidence = Confidence::high;
        if (verdict.tier >= ClaimTier::ndpi_rule) {
            // A rule named the service (tume-voip by SNI): keep its app and evidence.
            candidate.app = verdict.app;
            candidate.evidence = verdict.evidence;
            candidate.tier = ClaimTier::protocol_rule;
        } else {
            candidate.app = sip_tls_app_;
            candidate.evidence = decrypted_evidence_;
            candidate.tier = ClaimTier::protocol;
        }
        if (candidate.app != AppCatalog::kUnknown) verdict.claim(candidate);
    } else if (result == tls::InnerResult::failed) {
        text = "failed";
        counted = DecryptedAs::failed;
    }
    if (summary != nullptr) summary->decrypted.set(text);
    if (counters_) {
        counters_->flows(counted).add();
        counters_->records().add(tls::InnerExaminer::records_opened(*flow.inner));
    }
    inner_.release(flow.inner);
    flow.inner = nullptr;
}

void TlsClassifier::scan(FlowState& flow, size_t direction,
                         std::span<const uint8_t> stream) noexcept {
    bool& done = flow.direction_done[direction];
    if (done) return;
    tls::HandshakeScanner scanner(gather_);
    scanner.scan(stream, flow.cursor[direction], [&](const tls::HandshakeMessage& message) {
        switch (message.type) {
            case tls::handshake::client_hello:
                if (!message.complete) return false;
                take_client_hello(flow, message.body);
                if (message.body.size() >= 34) {
                    std::copy_n(message.body.begin() + 2, 32, flow.session.client_random.begin());
                    flow.session.client_direction = static_cast<uint8_t>(direction);
                    flow.client_hello_seen = true;
                }
                done = true;
                return false;
            case tls::handshake::server_hello:
                if (!message.complete) return false;
                server_hello_ = tls::ServerHello{};
                (void)tls::parse_server_hello(message.body, server_hello_);
                tls::ja3s(server_hello_, fingerprint_, flow.ja3s);
                if (message.body.size() >= 34) {
                    std::copy_n(message.body.begin() + 2, 32, flow.session.server_random.begin());
                    flow.session.cipher_suite = server_hello_.cipher;
                    flow.server_hello_seen = true;
                }
                // TLS 1.3 encrypts everything after the ServerHello.
                flow.tls13 = server_hello_.selected_version == kTls13;
                done = flow.tls13;
                return !done;
            case tls::handshake::certificate:
                done = take_certificate(flow, message);
                return !done;
            case tls::handshake::server_hello_done:
                done = true;
                return false;
            default:
                return message.complete;
        }
    });
}

void TlsClassifier::take_client_hello(FlowState& flow, std::span<const uint8_t> body,
                                      bool quic) noexcept {
    client_hello_ = tls::ClientHello{};
    (void)tls::parse_client_hello(body, client_hello_);
    const tls::ClientHello& hello = client_hello_;
    flow.sni.clear();
    flow.sni.append(hello.sni);
    flow.alpn.clear();
    for (uint8_t i = 0; i < hello.alpn_count; ++i) {
        if (i != 0) flow.alpn.append(",");
        flow.alpn.append(hello.alpn[i]);
    }
    tls::ja3(hello, fingerprint_, flow.ja3);
    tls::ja4(hello, fingerprint_, flow.ja4, quic);
}

// The leaf is the first entry of the list: it can be read as soon as its bytes are in,
// whatever the length of the chain behind it. True when the leaf was read or never will be.
bool TlsClassifier::take_certificate(FlowState& flow,
                                     const tls::HandshakeMessage& message) noexcept {
    const std::span<const uint8_t> body = message.body;
    if (body.size() < 6) return message.complete;
    const size_t leaf_length = size_t{body[3]} << 16 | size_t{body[4]} << 8 | body[5];
    if (body.size() < 6 + leaf_length) {
        // Not there yet, or longer than the scratch space will ever hold.
        return message.complete || body.size() == gather_.size();
    }
    if (const tls::CertificateInfo* leaf = certificates_.decode(body.subspan(6, leaf_length))) {
        flow.subject.clear();
        flow.subject.append(leaf->subject.view());
        flow.issuer.clear();
        flow.issuer.append(leaf->issuer.view());
        flow.san.clear();
        flow.san.append(leaf->san_dns.view());
    }
    return true;
}

Progress TlsClassifier::finish(void*& state, const PacketView& packet, Verdict& verdict) noexcept {
    auto* flow = static_cast<FlowState*>(state);
    apply_rules(*flow, packet, verdict);
    TlsAnnotations* summary = nullptr;
    try {
        summary = new (summary_pool_.acquire()) TlsAnnotations{};
    } catch (const std::bad_alloc&) {
        summary = nullptr;  // the record goes without TLS fields rather than the worker down
    }
    if (flow->inner != nullptr) settle_inner(*flow, verdict, summary);
    if (summary != nullptr) {
        summary->sni.set(flow->sni.view());
        summary->alpn.set(flow->alpn.view());
        summary->ja3.set(flow->ja3.data());
        summary->ja3s.set(flow->ja3s.data());
        summary->ja4.set(flow->ja4.data());
        summary->cert_subject.set(flow->subject.view());
        summary->cert_issuer.set(flow->issuer.view());
    }
    // What decryption settled stands; otherwise the record headers may still tell SIP.
    const bool settled_inside = flow->inner != nullptr;
    const tls::BehaviourTrack behaviour = flow->behaviour;
    quic_.release(flow->quic);
    flow->~FlowState();
    working_pool_.release(flow);
    state = summary;
    if (settled_inside) return Progress::done;
    return behaviour_.begin(state, behaviour, verdict, packet.timestamp_ms, packet.stream_flags)
               ? TlsBehaviourWatch::progress(behaviour, packet.stream_flags)
               : Progress::done;
}

void TlsClassifier::apply_rules(FlowState& flow_state, const PacketView& packet,
                                Verdict& verdict) noexcept {
    if (flow_state.rules_applied) return;
    flow_state.rules_applied = true;
    const FlowState* flow = &flow_state;
    if (packet.rules != nullptr) {
        FlowFacts facts = endpoint_facts(verdict, packet);
        fact(TlsFact::sni, flow->sni.view());
        fact(TlsFact::alpn, flow->alpn.view());
        fact(TlsFact::cert_san, flow->san.view());
        fact(TlsFact::cert_subject, flow->subject.view());
        fact(TlsFact::cert_issuer, flow->issuer.view());
        fact(TlsFact::ja3, flow->ja3[0] != '\0' ? std::string_view(flow->ja3.data()) : "");
        fact(TlsFact::ja4, flow->ja4[0] != '\0' ? std::string_view(flow->ja4.data()) : "");
        facts.values = facts_.values();
        packet.rules->apply(facts, registry_index_, verdict, ClaimTier::protocol);
    }
}

void TlsClassifier::conclude(void*& state, const PacketView& context, Verdict& verdict) noexcept {
    if (state != nullptr && !TlsBehaviourWatch::watching(state))
        (void)finish(state, context, verdict);
    if (TlsBehaviourWatch::watching(state)) behaviour_.conclude(state, verdict);
}

void TlsClassifier::annotate(void*& state, FlowAnnotations& annotations) noexcept {
    if (TlsBehaviourWatch::watching(state)) behaviour_.abandon(state);
    if (state == nullptr) return;
    auto* summary = static_cast<TlsAnnotations*>(state);
    auto field = [&](TlsRecordField name, std::string_view value) {
        annotations.set(record_slots_[static_cast<size_t>(name)], value);
    };
    field(TlsRecordField::sni, summary->sni.view());
    field(TlsRecordField::alpn, summary->alpn.view());
    field(TlsRecordField::ja3, summary->ja3.view());
    field(TlsRecordField::ja3s, summary->ja3s.view());
    field(TlsRecordField::ja4, summary->ja4.view());
    field(TlsRecordField::cert_subject, summary->cert_subject.view());
    field(TlsRecordField::cert_issuer, summary->cert_issuer.view());
    field(TlsRecordField::decrypted, summary->decrypted.view());
    summary->~TlsAnnotations();
    summary_pool_.release(summary);
    state = nullptr;
}

}  // namespace ottscope
