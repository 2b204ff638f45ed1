// The TLS classifier (and the SIP-inside-TLS model it runs) as the rest of the appliance sees
// it (descriptor.h).

#include "registry.h"
#include "tls_classifier.h"
#include "tls_decrypt_counters.h"

namespace ottscope {
namespace {

constexpr std::array kOptions = {
    OptionDeclaration{.key = "keylog_file", .kind = OptionKind::path},
};

constexpr auto kFacts = enum_table<TlsFact, FactDeclaration>({
    {TlsFact::sni, {.section = "tls", .key = "sni"}},
    {TlsFact::alpn, {.section = "tls", .key = "alpn", .kind = FactKind::list}},
    {TlsFact::cert_san, {.section = "tls", .key = "cert_san", .kind = FactKind::list}},
    {TlsFact::cert_subject, {.section = "tls", .key = "cert_subject"}},
    {TlsFact::cert_issuer, {.section = "tls", .key = "cert_issuer"}},
    {TlsFact::ja3, {.section = "tls", .key = "ja3"}},
    {TlsFact::ja4, {.section = "tls", .key = "ja4"}},
});

// Lengths as TlsAnnotations keeps them.
constexpr auto kRecordFields = enum_table<TlsRecordField, RecordFieldDeclaration>({
    {TlsRecordField::sni, {.name = "sni", .max_length = 127}},
    {TlsRecordField::alpn, {.name = "alpn", .max_length = 47}},
    {TlsRecordField::ja3, {.name = "ja3", .max_length = 35}},
    {TlsRecordField::ja3s, {.name = "ja3s", .max_length = 35}},
    {TlsRecordField::ja4, {.name = "ja4", .max_length = 39}},
    {TlsRecordField::cert_subject, {.name = "cert_subject", .max_length = 127}},
    {TlsRecordField::cert_issuer, {.name = "cert_issuer", .max_length = 127}},
    {TlsRecordField::decrypted, {.name = "decrypted", .max_length = 7}},
});

std::unique_ptr<Classifier> make(const ClassifierContext& context) {
    return std::make_unique<TlsClassifier>(
        context.registry_index, context.catalog, context.settings->tls_keylog, context.counters,
        context.settings->tls_certificate_cache ? tls::CertificateCache::kDefaultCapacity : 0,
        context.settings->tls_fingerprint_memo ? tls::DigestMemo::kDefaultEntries : 0,
        !context.settings->tls_quic_skip_undersized);
}

}  // namespace

const std::array<MetricDeclaration, 3> kTlsMetrics = {{
    {.name = "ottscope_tls_decrypted_flows_total",
     .help = "TLS flows looked inside with the key log, by what the first application data "
             "records were.",
     .labels = {{{.name = "result", .values = kDecryptedAsNames.names()}}},
     .label_count = 1,
     .shown_with_option = "keylog_file"},
    {.name = "ottscope_tls_decrypted_records_total",
     .help = "TLS application data records decrypted with the key log.",
     .shown_with_option = "keylog_file"},
    {.name = "ottscope_tls_quic_initials_total",
     .help = "QUIC client Initial packets the TLS classifier tried to open, by what became of "
             "them.",
     .labels = {{{.name = "result", .values = tls::quic::kQuicEventNames.names()}}},
     .label_count = 1},
}};

const ClassifierDescriptor kTlsClassifier = {
    .name = "tls",
    // TCP: a backstop only (tls_classifier.h): the behaviour watch counts bytes and records,
    // and tiny segments, IP fragments and acknowledgements must not end it first. UDP: QUIC's
    // client Initials come first; the classifier gives up after kMaxQuicPackets, well within
    // this.
    .budget = {.tcp_packets = 32768, .udp_packets = 16},
    .options = kOptions,
    .metrics = kTlsMetrics,
    .facts = kFacts,
    .record_fields = kRecordFields,
    .make = &make,
};

}  // namespace ottscope
