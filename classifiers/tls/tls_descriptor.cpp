// The TLS classifier (and the SIP-inside-TLS model it runs) as the rest of the appliance sees
// it (descriptor.h).

#include "registry.h"
#include "tls_classifier.h"
#include "tls_decrypt_counters.h"

namespace ottscope {
namespace {

constexpr std::array<std::string_view, static_cast<size_t>(DecryptedAs::count)> kResultLabels = {
    "sip", "not_sip", "failed"};

constexpr std::array kOptions = {
    OptionDeclaration{.key = "keylog_file", .kind = OptionKind::path},
};

// In TlsFact order.
constexpr std::array<FactDeclaration, static_cast<size_t>(TlsFact::count)> kFacts = {{
    {.section = "tls", .key = "sni"},
    {.section = "tls", .key = "alpn", .kind = FactKind::list},
    {.section = "tls", .key = "cert_san", .kind = FactKind::list},
    {.section = "tls", .key = "cert_subject"},
    {.section = "tls", .key = "cert_issuer"},
    {.section = "tls", .key = "ja3"},
    {.section = "tls", .key = "ja4"},
}};

// In TlsRecordField order; lengths as TlsAnnotations keeps them.
constexpr std::array<RecordFieldDeclaration, static_cast<size_t>(TlsRecordField::count)>
    kRecordFields = {{
        {.name = "sni", .max_length = 127},
        {.name = "alpn", .max_length = 47},
        {.name = "ja3", .max_length = 35},
        {.name = "ja3s", .max_length = 35},
        {.name = "ja4", .max_length = 39},
        {.name = "cert_subject", .max_length = 127},
        {.name = "cert_issuer", .max_length = 127},
        {.name = "decrypted", .max_length = 7},
    }};

std::unique_ptr<Classifier> make(const ClassifierContext& context) {
    return std::make_unique<TlsClassifier>(
        context.registry_index, context.catalog, context.settings->tls_keylog, context.counters,
        context.settings->tls_certificate_cache ? tls::CertificateCache::kDefaultCapacity : 0);
}

}  // namespace

const std::array<MetricDeclaration, 2> kTlsMetrics = {{
    {.name = "ottscope_tls_decrypted_flows_total",
     .help = "TLS flows looked inside with the key log, by what the first application data "
             "records were.",
     .labels = {{{.name = "result", .values = kResultLabels}}},
     .label_count = 1,
     .shown_with_option = "keylog_file"},
    {.name = "ottscope_tls_decrypted_records_total",
     .help = "TLS application data records decrypted with the key log.",
     .shown_with_option = "keylog_file"},
}};

const ClassifierDescriptor kTlsClassifier = {
    .name = "tls",
    .budget = {.tcp_packets = 128},
    .options = kOptions,
    .metrics = kTlsMetrics,
    .facts = kFacts,
    .record_fields = kRecordFields,
    .make = &make,
};

}  // namespace ottscope
