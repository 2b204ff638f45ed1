// The HTTP classifier as the rest of the appliance sees it (descriptor.h).

#include "http_classifier.h"
#include "http_counters.h"

namespace ottscope {
namespace {

constexpr std::array<std::string_view, 2> kDirectionLabels = {"c2s", "s2c"};
constexpr std::array<std::string_view, static_cast<size_t>(HttpStreamOutcome::count)>
    kOutcomeLabels = {"not_http", "parse_error", "json_body", "json_truncated", "json_invalid"};

// In HttpFact order.
constexpr std::array<FactDeclaration, static_cast<size_t>(HttpFact::count)> kFacts = {{
    {.section = "http", .key = "host"},
    {.section = "http", .key = "path"},
    {.section = "http", .key = "method"},
    {.section = "http", .key = "content_type"},
    {.section = "json", .key = "keys", .kind = FactKind::all_of, .evidence_name = "json.key"},
}};

std::unique_ptr<Classifier> make(const ClassifierContext& context) {
    return std::make_unique<HttpClassifier>(context.registry_index, context.counters);
}

}  // namespace

const std::array<MetricDeclaration, 3> kHttpMetrics = {{
    {.name = "ottscope_http_requests_total",
     .help = "HTTP requests per app and method (standard methods, else other).",
     .labels = {{{.name = "app", .by_app = true}, {.name = "method", .values = kHttpMethodNames}}},
     .label_count = 2,
     .omit_zero = true},
    {.name = "ottscope_http_payload_bytes_total",
     .help = "HTTP message body bytes per app and direction.",
     .labels = {{{.name = "app", .by_app = true},
                 {.name = "direction", .values = kDirectionLabels}}},
     .label_count = 2,
     .omit_zero = true},
    {.name = "ottscope_http_streams_total",
     .help = "TCP streams the HTTP classifier gave up on or inspected, by outcome.",
     .labels = {{{.name = "outcome", .values = kOutcomeLabels}}},
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
