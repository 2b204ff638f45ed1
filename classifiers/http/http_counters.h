#pragma once
// What the HTTP classifier counts, declared once (kHttpMetrics) and laid out in its worker's
// counter block: requests and body bytes per app, credited when the classifier finishes with a
// flow, and what became of the streams it looked at.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "classifiers/classifier_counters.h"
#include "classifiers/enum_names.h"
#include "classifiers/http/http_method.h"
#include "classifiers/metric_declaration.h"

namespace ottscope {

enum class HttpStreamOutcome : uint8_t {
    not_http,        // TCP streams given up on at their first bytes
    parse_error,     // streams that began as HTTP and then broke the grammar
    json_body,       // request bodies inspected as JSON
    json_truncated,  // ... of which only a prefix was inspected
    json_invalid,    // ... complete, but rejected by simdjson
    count
};
inline constexpr auto kHttpStreamOutcomeNames = enum_names<HttpStreamOutcome>({
    {HttpStreamOutcome::not_http, "not_http"},
    {HttpStreamOutcome::parse_error, "parse_error"},
    {HttpStreamOutcome::json_body, "json_body"},
    {HttpStreamOutcome::json_truncated, "json_truncated"},
    {HttpStreamOutcome::json_invalid, "json_invalid"},
});

extern const std::array<MetricDeclaration, 3> kHttpMetrics;

// Typed access to the HTTP classifier's counter block (laid out from kHttpMetrics).
class HttpCounters {
public:
    explicit HttpCounters(ClassifierCounters& block) noexcept : block_(block) {}

    Counter& requests(uint16_t app, HttpMethod method) noexcept {
        return block_.at(kRequests, app, static_cast<size_t>(method));
    }
    Counter& payload_bytes(uint16_t app, size_t direction) noexcept {
        return block_.at(kPayloadBytes, app, direction);
    }
    Counter& streams(HttpStreamOutcome outcome) noexcept {
        return block_.at(kStreams, static_cast<size_t>(outcome));
    }

private:
    static constexpr size_t kRequests = 0;
    static constexpr size_t kPayloadBytes = 1;
    static constexpr size_t kStreams = 2;
    ClassifierCounters& block_;
};

}  // namespace ottscope
