// The HTTP classifier as the rest of the appliance sees it (descriptor.h).

#include "http_classifier.h"
#include "http_counters.h"

namespace ottscope {
namespace {

constexpr auto kFacts = enum_table<HttpFact, FactDeclaration>({
    {HttpFact::host, {.section = "http", .key = "host"}},
    {HttpFact::path, {.section = "http", .key = "path"}},
    {HttpFact::method, {.section = "http", .key = "method"}},
    {HttpFact::content_type, {.section = "http", .key = "content_type"}},
    {HttpFact::json_keys,
     {.section = "json", .key = "keys", .kind = FactKind::all_of, .evidence_name = "json.key"}},
});

std::unique_ptr<Classifier> make(const ClassifierContext& context) {
    return std::make_unique<HttpClassifier>(context.registry_index, context.counters);
}

}  // namespace

const std::array<MetricDeclaration, 3> kHttpMetrics = {{
    {.name = "ottscope_http_requests_total",
     .help = "HTTP requests per app and method (standard methods, else other).",
     .labels = {{{.name = "app", .by_app = true},
                 {.name = "method", .values = kHttpMethodNames.names()}}},
     .label_count = 2,
     .omit_zero = true},
    {.name = "ottscope_http_payload_bytes_total",
     .help = "HTTP message body bytes per app and direction.",
     .labels = {{{.name = "app", .by_app = true},
                 {.name = "direction", .values = kDirectionNames.names()}}},
     .label_count = 2,
     .omit_zero = true},
    {.name = "ottscope_http_streams_total",
     .help = "TCP streams the HTTP classifier gave up on or inspected, by outcome.",
     .labels = {{{.name = "outcome", .values = kHttpStreamOutcomeNames.names()}}},
     .label_count = 1},
}};

const ClassifierDescriptor kHttpClassifier = {
    .name = "http",
    .budget = {.tcp_packets = 512},
    .metrics = kHttpMetrics,
    .facts = kFacts,
    .make = &make,
};

}  // namespace ottscope
