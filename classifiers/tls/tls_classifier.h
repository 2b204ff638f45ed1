#pragma once
// The TLS classifier: follows the cleartext handshake of TCP flows whose stream starts with
// a TLS handshake record, in both directions and across segments, and learns SNI, ALPN,
// JA3/JA3S/JA4 and, for TLS 1.2 and older, the server's leaf certificate. When it has what
// the handshake will show (TLS 1.3: the ServerHello; older: the certificate or
// ServerHelloDone) it offers these facts to the rules. A TLS flow no rule matches keeps
// nDPI's label, unless the record sizes and timing after the handshake look like SIP
// signalling (TlsBehaviourWatch: the unattributed app sip-tls, low or medium). The values
// stay in a small per-flow block until the flow ends, for the flow record.
//
// QUIC (UDP): the client's Initial packets are opened with the keys any observer derives
// from their Destination Connection ID (quic_hello_reader.h); the ClientHello inside gives
// the same facts and record fields as over TCP (JA4 starts with "q").
//
// With a key log (tls.keylog_file / run --tls-keylog), a flow whose session secrets are
// logged stays under examination past the handshake: its first application data records
// are decrypted (tls_inner.h) and, when they carry SIP, the flow is confirmed at high
// confidence: the app a rule gave it (tume-voip by SNI) is kept, otherwise it is `sip-tls`.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>

#include "certificate_cache.h"
#include "classifiers/classifier.h"
#include "classifiers/descriptor.h"
#include "classifiers/rule_set.h"
#include "classifiers/sip_over_tls/tls_behaviour_watch.h"
#include "classifiers/sip_over_tls/tls_inner.h"
#include "classifiers/state_pool.h"
#include "classifiers/tls/tls_annotations.h"
#include "classifiers/tls/tls_decrypt_counters.h"
#include "quic_hello_reader.h"
#include "tls_certificate.h"
#include "tls_fingerprint.h"
#include "tls_keylog.h"
#include "tls_messages.h"
#include "tls_prologue.h"
#include "tls_records.h"

namespace ottscope {

class AppCatalog;

// Its budget is a backstop: the phases below give up well before it (a prologue of at most
// PrologueReader::kMaxPackets, a handshake of at most kMaxHandshakePackets, then at most
// kMaxWatchPackets of behaviour or kMaxInnerPackets looked inside), so a flow is never
// offered past what the phases allow together.
extern const ClassifierDescriptor kTlsClassifier;
// Its options (classifiers.tls), by index.
namespace tls_option {
constexpr size_t keylog_file = 0;
}  // namespace tls_option

class TlsClassifier final : public Classifier {
public:
    explicit TlsClassifier(
        uint8_t registry_index, AppCatalog* catalog = nullptr,
        std::shared_ptr<const tls::KeyLog> keylog = nullptr, ClassifierCounters* counters = nullptr,
        size_t certificate_cache_entries = tls::CertificateCache::kDefaultCapacity,
        size_t fingerprint_memo_entries = tls::DigestMemo::kDefaultEntries,
        bool quic_open_undersized = false);

    Progress inspect(void*& state, const PacketView& packet, Verdict& verdict) noexcept override;
    void conclude(void*& state, const PacketView& context, Verdict& verdict) noexcept override;
    void annotate(void*& state, FlowAnnotations& annotations) noexcept override;
    [[nodiscard]] bool wants_stream() const noexcept override { return true; }
    [[nodiscard]] size_t state_bytes_in_use() const noexcept override;

    // The generation's key log snapshot (null: none configured any more). The snapshot left
    // behind is still held by an older generation, which the control side frees.
    void adopt(const Generation& generation, unsigned worker) noexcept override;
    // The app and evidence a decrypted confirmation names (control side: adds them to the
    // catalog); both 0 without a catalog.
    static void intern_names(AppCatalog* catalog, uint16_t& app, uint16_t& evidence);

    // Packets of a flow before it gives up waiting for a handshake to finish.
    static constexpr uint32_t kMaxHandshakePackets = 32;
    // Payload-less packets (handshake, keepalives) before it gives up on seeing any payload.
    static constexpr uint32_t kMaxPacketsBeforePayload = 8;
    // Packets after the handshake a flow with logged secrets is looked inside for (or waits
    // for its secrets to be logged, at most kKeyWaitMs).
    static constexpr uint32_t kMaxInnerPackets = 24;
    static constexpr uint64_t kKeyWaitMs = 3000;
    // QUIC: datagrams of a flow before it gives up on a ClientHello, and those with QUIC long
    // headers looked at before any opened as a client Initial (the flow never takes state;
    // a datagram without a long header of a known version ends the look at once).
    static constexpr uint32_t kMaxQuicPackets = 12;
    static constexpr uint32_t kMaxQuicProbePackets = 3;

    // Leaf certificates decoded by this worker (hits and misses for tests and benchmarks).
    [[nodiscard]] const tls::CertificateCache& certificate_cache() const noexcept {
        return certificates_;
    }
    // Fingerprint digests remembered by this worker (hits and misses for tests).
    [[nodiscard]] const tls::DigestMemo& fingerprint_memo() const noexcept {
        return fingerprint_.memo;
    }

    struct FlowState;

private:
    void scan(FlowState& flow, size_t direction, std::span<const uint8_t> stream) noexcept;
    void take_client_hello(FlowState& flow, std::span<const uint8_t> body,
                           bool quic = false) noexcept;
    Progress inspect_quic(void*& state, const PacketView& packet, Verdict& verdict) noexcept;
    bool take_certificate(FlowState& flow, const tls::HandshakeMessage& message) noexcept;
    // Offers the facts to the rules, keeps the record's values, frees the working state.
    // need_more_packets when the flow goes on to be watched (TlsBehaviourWatch), else done.
    Progress finish(void*& state, const PacketView& packet, Verdict& verdict) noexcept;
    void apply_rules(FlowState& flow_state, const PacketView& packet, Verdict& verdict) noexcept;
    // Decryption with the key log: start when the hellos are read, then per packet.
    bool start_inner(FlowState& flow) noexcept;
    Progress await_keys(void*& state, FlowState& flow, const PacketView& packet,
                        Verdict& verdict) noexcept;
    Progress examine_inner(void*& state, FlowState& flow, const PacketView& packet,
                           Verdict& verdict) noexcept;
    void settle_inner(FlowState& flow, Verdict& verdict, TlsAnnotations* summary) noexcept;

    uint8_t registry_index_;
    StatePool working_pool_;
    StatePool summary_pool_;
    // Per-worker scratch, used within one inspect() call.
    std::array<uint8_t, 32768> gather_{};
    PacketView shifted_;  // a packet of a flow with a prologue, from its first TLS byte
    tls::ClientHello client_hello_;
    tls::ServerHello server_hello_;
    tls::FingerprintScratch fingerprint_;
    tls::CertificateCache certificates_;
    tls::quic::QuicHelloReader quic_;

    TlsBehaviourWatch behaviour_;
    tls::InnerExaminer inner_;
    uint16_t sip_tls_app_ = 0;                    // AppCatalog id of `sip-tls`; 0 without a catalog
    uint16_t decrypted_evidence_ = 0;             // "sip inside tls (decrypted)"
    std::optional<TlsDecryptCounters> counters_;  // none in tests without a counter block
    FactSheet facts_;
    uint16_t first_fact_;
    std::array<AnnotationSlot, static_cast<size_t>(TlsRecordField::count)> record_slots_{};
    void fact(TlsFact name, std::string_view value) noexcept {
        facts_.set(static_cast<uint16_t>(first_fact_ + static_cast<size_t>(name)), value);
    }
    const tls::KeyLog* adopted_keylog_ = nullptr;
};

}  // namespace ottscope
