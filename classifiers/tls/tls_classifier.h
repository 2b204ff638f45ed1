#pragma once
// The TLS classifier: follows the cleartext handshake of TCP flows whose stream starts with
// a TLS handshake record, in both directions and across segments, and learns SNI, ALPN,
// JA3/JA3S/JA4 and, for TLS 1.2 and older, the server's leaf certificate. When it has what
// the handshake will show (TLS 1.3: the ServerHello; older: the certificate or
// ServerHelloDone) it offers these facts to the rules. A TLS flow no rule matches keeps
// nDPI's label, unless the record sizes and timing after the handshake look like SIP
// signalling (TlsBehaviourWatch: the unattributed app sip-tls, low or medium). The values
// stay in a small per-flow block until the flow ends, for the flow record.

#include <array>
#include <cstdint>

#include "classifiers/classifier.h"
#include "classifiers/state_pool.h"
#include "tls_behaviour_watch.h"
#include "tls_certificate.h"
#include "tls_fingerprint.h"
#include "tls_messages.h"
#include "tls_records.h"

namespace ottscope {

class TlsClassifier final : public Classifier {
public:
    explicit TlsClassifier(uint8_t registry_index, AppCatalog* catalog = nullptr);

    Progress inspect(void*& state, const PacketView& packet, Verdict& verdict) noexcept override;
    void conclude(void*& state, const PacketView& context, Verdict& verdict) noexcept override;
    void annotate(void*& state, FlowAnnotations& annotations) noexcept override;
    [[nodiscard]] bool wants_stream() const noexcept override { return true; }
    [[nodiscard]] size_t state_bytes_in_use() const noexcept override;

    // Packets of a flow before it gives up waiting for a handshake to finish.
    static constexpr uint32_t kMaxHandshakePackets = 32;
    // Payload-less packets (handshake, keepalives) before it gives up on seeing any payload.
    static constexpr uint32_t kMaxPacketsBeforePayload = 8;

    struct FlowState;

private:
    void scan(FlowState& flow, size_t direction, std::span<const uint8_t> stream) noexcept;
    void take_client_hello(FlowState& flow, std::span<const uint8_t> body) noexcept;
    bool take_certificate(FlowState& flow, const tls::HandshakeMessage& message) noexcept;
    // Offers the facts to the rules, keeps the record's values, frees the working state.
    // True when the flow goes on to be watched (TlsBehaviourWatch).
    bool finish(void*& state, const PacketView& packet, Verdict& verdict) noexcept;

    uint8_t registry_index_;
    StatePool working_pool_;
    StatePool summary_pool_;
    TlsBehaviourWatch behaviour_;
    // Per-worker scratch, used within one inspect() call.
    std::array<uint8_t, 32768> gather_{};
    tls::ClientHello client_hello_;
    tls::ServerHello server_hello_;
    tls::FingerprintScratch fingerprint_;
    tls::CertificateInfo certificate_;
};

}  // namespace ottscope
