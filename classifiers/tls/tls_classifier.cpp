#include "tls_classifier.h"

#include <new>

#include "classifiers/rule_set.h"

namespace ottscope {

namespace {
constexpr uint8_t kIpProtoTcp = 6;
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
    uint32_t packets = 0;
    // Per direction: nothing more to learn from it (its hello or server flight is read, or it
    // ended, closed or broke). Directions are told apart by what they send, not by who sent
    // the first packet: captures that start with a SYN-ACK get the roles the wrong way round.
    bool direction_done[2] = {false, false};
    bool tls13 = false;
};

TlsClassifier::TlsClassifier(uint8_t registry_index, AppCatalog* catalog)
    : registry_index_(registry_index),
      working_pool_(sizeof(FlowState), 1024),
      summary_pool_(sizeof(TlsAnnotations), 1024),
      behaviour_(registry_index, catalog) {}

size_t TlsClassifier::state_bytes_in_use() const noexcept {
    return working_pool_.in_use() * working_pool_.block_size() +
           summary_pool_.in_use() * summary_pool_.block_size() + behaviour_.state_bytes_in_use();
}

Progress TlsClassifier::inspect(void*& state, const PacketView& packet, Verdict& verdict) noexcept {
    if (packet.ip_protocol != kIpProtoTcp) return Progress::done;
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
        if (!v2_hello && !tls::looks_like_handshake_record(packet.stream)) return Progress::done;
        try {
            flow = new (working_pool_.acquire()) FlowState{};
        } catch (const std::bad_alloc&) {
            return Progress::done;
        }
        flow->direction_done[static_cast<size_t>(packet.direction)] = v2_hello;
        state = flow;
    }
    ++flow->packets;
    flow->behaviour.feed_stream(packet);
    const auto direction = static_cast<size_t>(packet.direction);
    if (packet.stream_new_offset < packet.stream.size()) scan(*flow, direction, packet.stream);
    const tls::RecordCursor& cursor = flow->cursor[direction];
    // This direction's stream will not grow (or grows past what we read): settle it.
    const bool ended =
        (packet.stream_flags & (stream_flag::truncated | stream_flag::fin | stream_flag::rst)) != 0;
    if (cursor.malformed || cursor.closed || ended) flow->direction_done[direction] = true;
    if ((flow->direction_done[0] && flow->direction_done[1]) ||
        flow->packets >= kMaxHandshakePackets || cursor.malformed) {
        return finish(state, packet, verdict) ? Progress::need_more_packets : Progress::done;
    }
    return Progress::need_more;
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
                done = true;
                return false;
            case tls::handshake::server_hello:
                if (!message.complete) return false;
                server_hello_ = tls::ServerHello{};
                (void)tls::parse_server_hello(message.body, server_hello_);
                tls::ja3s(server_hello_, fingerprint_, flow.ja3s);
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

void TlsClassifier::take_client_hello(FlowState& flow, std::span<const uint8_t> body) noexcept {
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
    tls::ja4(hello, fingerprint_, flow.ja4);
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
    if (tls::parse_certificate(body.subspan(6, leaf_length), certificate_)) {
        flow.subject.clear();
        flow.subject.append(certificate_.subject.view());
        flow.issuer.clear();
        flow.issuer.append(certificate_.issuer.view());
        flow.san.clear();
        flow.san.append(certificate_.san_dns.view());
    }
    return true;
}

bool TlsClassifier::finish(void*& state, const PacketView& packet, Verdict& verdict) noexcept {
    auto* flow = static_cast<FlowState*>(state);
    if (packet.rules != nullptr) {
        FlowFacts facts;
        facts.ndpi_master = verdict.ndpi_master;
        facts.ndpi_app = verdict.ndpi_app;
        facts.ip_protocol = packet.ip_protocol;
        facts.server_address = packet.server_address;
        facts.server_port = packet.server_port;
        facts.tls_sni = flow->sni.view();
        facts.tls_alpn = flow->alpn.view();
        facts.tls_cert_san = flow->san.view();
        facts.tls_cert_subject = flow->subject.view();
        facts.tls_cert_issuer = flow->issuer.view();
        facts.tls_ja3 = flow->ja3[0] != '\0' ? std::string_view(flow->ja3.data()) : "";
        facts.tls_ja4 = flow->ja4[0] != '\0' ? std::string_view(flow->ja4.data()) : "";
        packet.rules->apply(facts, registry_index_, verdict, ClaimTier::protocol);
    }
    TlsAnnotations* summary = nullptr;
    try {
        summary = new (summary_pool_.acquire()) TlsAnnotations{};
    } catch (const std::bad_alloc&) {
        summary = nullptr;  // the record goes without TLS fields rather than the worker down
    }
    if (summary != nullptr) {
        summary->sni.set(flow->sni.view());
        summary->alpn.set(flow->alpn.view());
        summary->ja3.set(flow->ja3.data());
        summary->ja3s.set(flow->ja3s.data());
        summary->ja4.set(flow->ja4.data());
        summary->cert_subject.set(flow->subject.view());
        summary->cert_issuer.set(flow->issuer.view());
    }
    const tls::BehaviourTrack behaviour = flow->behaviour;
    flow->~FlowState();
    working_pool_.release(flow);
    state = summary;
    return behaviour_.begin(state, behaviour, verdict);
}

void TlsClassifier::conclude(void*& state, const PacketView& context, Verdict& verdict) noexcept {
    if (state != nullptr && !TlsBehaviourWatch::watching(state)) finish(state, context, verdict);
    if (TlsBehaviourWatch::watching(state)) behaviour_.conclude(state, verdict);
}

void TlsClassifier::annotate(void*& state, FlowAnnotations& annotations) noexcept {
    if (TlsBehaviourWatch::watching(state)) behaviour_.abandon(state);
    if (state == nullptr) return;
    auto* summary = static_cast<TlsAnnotations*>(state);
    annotations.tls = *summary;
    summary->~TlsAnnotations();
    summary_pool_.release(summary);
    state = nullptr;
}

}  // namespace ottscope
