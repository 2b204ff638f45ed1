#include "http_classifier.h"

#include <http_parser.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <new>
#include <string_view>

#include "classifiers/http/http_counters.h"
#include "classifiers/protocol_numbers.h"
#include "classifiers/registry.h"
#include "http_method.h"
#include "json_shape.h"
#include "rule_set.h"

namespace ottscope {
namespace {

constexpr uint32_t kNoOffset = UINT32_MAX;

// A header value kept for the rules; longer values are cut (a cut host cannot match a rule
// that names a whole host, which is the safe side).
template <size_t N>
struct Text {
    std::array<char, N> bytes{};
    uint16_t length = 0;

    void append(const char* at, size_t n) noexcept {
        const size_t room = N - length;
        const size_t take = std::min(room, n);
        std::memcpy(bytes.data() + length, at, take);
        length = static_cast<uint16_t>(length + take);
    }
    [[nodiscard]] std::string_view view() const noexcept { return {bytes.data(), length}; }
};

enum class Header : uint8_t { other, host, content_type, user_agent };

bool equals_ignoring_case(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

std::string_view trim(std::string_view text) noexcept {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

}  // namespace

struct HttpClassifier::Flow {
    std::array<http_parser, 2> parsers{};  // by Direction: requests, responses
    Text<64> host;
    Text<160> path;
    Text<64> content_type;
    Text<96> user_agent;
    std::array<char, 16> field{};  // the header name being read (only the ones we keep fit)
    uint8_t field_length = 0;
    bool in_value = false;
    Header header = Header::other;
    HttpMethod method = HttpMethod::other;
    uint16_t status = 0;
    std::array<uint16_t, kHttpMethods> requests{};  // completed requests, credited at the end
    std::array<uint64_t, 2> body_bytes{};
    std::array<uint16_t, 2> messages{};  // completed messages per direction
    std::array<bool, 2> begun{};
    uint32_t body_start = kNoOffset;  // stream offset of the first request's body
    uint32_t body_length = 0;         // bytes of that body seen
    uint32_t json_fed = 0;            // of which given to the scanner
    bool json = false;                // the first request's body is JSON
    bool body_chunked = false;
    bool first_request_done = false;
    bool decided = false;
    bool midstream = false;  // the flow was first seen after its start
    JsonScanner scanner;
    JsonShape shape;
};

namespace {

// What the parser callbacks need besides the flow; lives on inspect()'s stack.
struct Call {
    HttpClassifier::Flow* flow;
    const PacketView* packet;
    JsonDom* dom;
    HttpCounters* counters;
    Direction direction;
};

Call& call_of(http_parser* parser) noexcept {
    return *static_cast<Call*>(parser->data);
}

bool first_request(const Call& call) noexcept {
    return call.direction == Direction::client_to_server && call.flow->messages[0] == 0;
}

int on_message_begin(http_parser* parser) {
    Call& call = call_of(parser);
    call.flow->begun[static_cast<size_t>(call.direction)] = true;
    return 0;
}

int on_url(http_parser* parser, const char* at, size_t length) {
    Call& call = call_of(parser);
    if (first_request(call)) call.flow->path.append(at, length);
    return 0;
}

int on_header_field(http_parser* parser, const char* at, size_t length) {
    Call& call = call_of(parser);
    if (!first_request(call)) return 0;
    HttpClassifier::Flow& flow = *call.flow;
    if (flow.in_value) {
        flow.in_value = false;
        flow.field_length = 0;
    }
    const size_t take = std::min(length, flow.field.size() - flow.field_length);
    std::memcpy(flow.field.data() + flow.field_length, at, take);
    flow.field_length = static_cast<uint8_t>(flow.field_length + take);
    return 0;
}

int on_header_value(http_parser* parser, const char* at, size_t length) {
    Call& call = call_of(parser);
    if (!first_request(call)) return 0;
    HttpClassifier::Flow& flow = *call.flow;
    if (!flow.in_value) {
        flow.in_value = true;
        const std::string_view name{flow.field.data(), flow.field_length};
        flow.header = equals_ignoring_case(name, "host")           ? Header::host
                      : equals_ignoring_case(name, "content-type") ? Header::content_type
                      : equals_ignoring_case(name, "user-agent")   ? Header::user_agent
                                                                   : Header::other;
    }
    switch (flow.header) {
        case Header::host:
            flow.host.append(at, length);
            break;
        case Header::content_type:
            flow.content_type.append(at, length);
            break;
        case Header::user_agent:
            flow.user_agent.append(at, length);
            break;
        case Header::other:
            break;
    }
    return 0;
}

int on_headers_complete(http_parser* parser) {
    Call& call = call_of(parser);
    HttpClassifier::Flow& flow = *call.flow;
    if (call.direction == Direction::server_to_client) {
        if (flow.messages[1] == 0) flow.status = static_cast<uint16_t>(parser->status_code);
        return 0;
    }
    if (first_request(call)) {
        flow.method =
            http_method_from_name(http_method_str(static_cast<enum http_method>(parser->method)));
        const std::string_view type = flow.content_type.view();
        flow.json = type.find("json") != std::string_view::npos ||
                    type.find("JSON") != std::string_view::npos;
        flow.body_chunked = (parser->flags & F_CHUNKED) != 0;
    }
    return 0;
}

int on_body(http_parser* parser, const char* at, size_t length) {
    Call& call = call_of(parser);
    HttpClassifier::Flow& flow = *call.flow;
    flow.body_bytes[static_cast<size_t>(call.direction)] += length;
    if (!first_request(call)) return 0;
    if (flow.body_start == kNoOffset) {
        flow.body_start = static_cast<uint32_t>(reinterpret_cast<const uint8_t*>(at) -
                                                call.packet->stream.data());
        // A JSON body sent without (or with a vague) Content-Type still counts as JSON.
        const std::string_view head = trim({at, length});
        if (!head.empty() && (head.front() == '{' || head.front() == '[')) flow.json = true;
    }
    flow.body_length += static_cast<uint32_t>(std::min<size_t>(length, UINT32_MAX));
    if (flow.json && flow.json_fed < HttpLimits::kJsonBytes) {
        const size_t take = std::min<size_t>(length, HttpLimits::kJsonBytes - flow.json_fed);
        flow.scanner.feed({at, take}, flow.shape);
        flow.json_fed += static_cast<uint32_t>(take);
    }
    return 0;
}

int on_message_complete(http_parser* parser) {
    Call& call = call_of(parser);
    HttpClassifier::Flow& flow = *call.flow;
    const auto d = static_cast<size_t>(call.direction);
    if (call.direction == Direction::client_to_server) {
        uint16_t& n = flow.requests[static_cast<size_t>(
            http_method_from_name(http_method_str(static_cast<enum http_method>(parser->method))))];
        if (n < UINT16_MAX) ++n;
        if (flow.messages[0] == 0) {
            flow.first_request_done = true;
            if (flow.json && flow.body_length > 0) {
                if (call.counters != nullptr)
                    call.counters->streams(HttpStreamOutcome::json_body).add();
                flow.shape.truncated = flow.json_fed < flow.body_length;
                // A whole Content-Length body lies contiguous in the stream: simdjson
                // checks it and gives the authoritative shape.
                if (!flow.shape.truncated && !flow.body_chunked) {
                    const uint8_t* body = call.packet->stream.data() + flow.body_start;
                    if (!call.dom->parse(body, flow.body_length, flow.shape) &&
                        call.counters != nullptr)
                        call.counters->streams(HttpStreamOutcome::json_invalid).add();
                } else if (call.counters != nullptr && flow.shape.truncated) {
                    call.counters->streams(HttpStreamOutcome::json_truncated).add();
                }
            }
        }
    }
    if (flow.messages[d] < UINT16_MAX) ++flow.messages[d];
    return 0;
}

constexpr http_parser_settings kSettings = [] {
    http_parser_settings s{};
    s.on_message_begin = on_message_begin;
    s.on_url = on_url;
    s.on_header_field = on_header_field;
    s.on_header_value = on_header_value;
    s.on_headers_complete = on_headers_complete;
    s.on_body = on_body;
    s.on_message_complete = on_message_complete;
    return s;
}();

}  // namespace

HttpClassifier::HttpClassifier(uint8_t registry_index, ClassifierCounters* counters)
    : registry_index_(registry_index),
      counters_(counters != nullptr ? std::optional<HttpCounters>(*counters) : std::nullopt),
      facts_(fact_catalog().size()),
      first_fact_(first_fact_of(kHttpClassifier)),
      pool_(sizeof(Flow), 256),
      dom_(HttpLimits::kJsonBytes) {}

HttpClassifier::~HttpClassifier() = default;

size_t HttpClassifier::state_bytes_in_use() const noexcept {
    return pool_.in_use() * pool_.block_size();
}

void HttpClassifier::decide(Flow& flow, const PacketView& packet, Verdict& verdict) noexcept {
    if (flow.decided) return;
    flow.decided = true;
    if (packet.rules == nullptr || (flow.host.length == 0 && flow.path.length == 0)) return;
    std::array<std::string_view, JsonKeySet::kMaxKeys> keys{};
    FlowFacts facts = endpoint_facts(verdict, packet);
    // Host without its port: rules name hosts.
    std::string_view host = trim(flow.host.view());
    if (const size_t colon = host.rfind(':');
        colon != std::string_view::npos && host.find(']') == std::string_view::npos)
        host = host.substr(0, colon);
    auto fact = [&](HttpFact name, std::string_view value) {
        facts_.set(static_cast<uint16_t>(first_fact_ + static_cast<size_t>(name)), value);
    };
    fact(HttpFact::host, host);
    fact(HttpFact::path, flow.path.view());
    fact(HttpFact::method, kHttpMethodNames.name(flow.method));
    fact(HttpFact::content_type, trim(flow.content_type.view()));
    facts_.set_items(static_cast<uint16_t>(first_fact_ + static_cast<size_t>(HttpFact::json_keys)),
                     std::span<const std::string_view>(keys.data(), flow.shape.keys.views(keys)));
    facts.values = facts_.values();
    packet.rules->apply(facts, registry_index_, verdict, ClaimTier::protocol);
}

void HttpClassifier::finish(void*& state, const PacketView& packet, Verdict& verdict) noexcept {
    auto* flow = static_cast<Flow*>(state);
    if (flow->begun[0]) decide(*flow, packet, verdict);
    if (counters_ && flow->begun[0]) {
        const uint16_t app = verdict.app < kMaxApps ? verdict.app : 0;
        for (size_t m = 0; m < kHttpMethods; ++m)
            if (flow->requests[m] != 0)
                counters_->requests(app, static_cast<HttpMethod>(m)).add(flow->requests[m]);
        for (size_t d = 0; d < 2; ++d)
            if (flow->body_bytes[d] != 0) counters_->payload_bytes(app, d).add(flow->body_bytes[d]);
    }
    flow->~Flow();
    pool_.release(state);
    state = nullptr;
}

Progress HttpClassifier::inspect(void*& state, const PacketView& packet,
                                 Verdict& verdict) noexcept {
    if (state == nullptr) {
        if (packet.ip_protocol != ip_protocol::tcp ||
            (packet.stream_flags & stream_flag::unavailable) != 0)
            return Progress::done;
        // A flow seen from its middle (capture or appliance started late) is parsed when the
        // client's first bytes begin a request; the parser rejects anything else at once.
        const bool midstream = (packet.stream_flags & stream_flag::midstream) != 0;
        if (packet.stream.empty()) {
            if ((packet.stream_flags & (stream_flag::fin | stream_flag::rst)) != 0 ||
                packet.last_offer)
                return Progress::done;
            return Progress::need_more;  // handshake, or bytes held beyond a gap
        }
        if (packet.direction == Direction::server_to_client) {
            if (midstream) return Progress::need_more;  // the tail of an earlier answer
            if (counters_)
                counters_->streams(HttpStreamOutcome::not_http).add();  // the server spoke first
            return Progress::done;
        }
        try {
            state = new (pool_.acquire()) Flow();
        } catch (const std::bad_alloc&) {
            return Progress::done;
        }
        auto* flow = static_cast<Flow*>(state);
        http_parser_init(&flow->parsers[0], HTTP_REQUEST);
        http_parser_init(&flow->parsers[1], HTTP_RESPONSE);
        flow->midstream = midstream;
    }
    Flow& flow = *static_cast<Flow*>(state);
    const auto d = static_cast<size_t>(packet.direction);
    http_parser& parser = flow.parsers[d];
    const auto fresh =
        packet.stream.subspan(std::min<size_t>(packet.stream_new_offset, packet.stream.size()));
    if (!fresh.empty() && HTTP_PARSER_ERRNO(&parser) == HPE_OK && !parser.upgrade) {
        Call call{&flow, &packet, &dom_, counters_ ? &*counters_ : nullptr, packet.direction};
        parser.data = &call;
        http_parser_execute(&parser, &kSettings, reinterpret_cast<const char*>(fresh.data()),
                            fresh.size());
        parser.data = nullptr;
        if (HTTP_PARSER_ERRNO(&parser) != HPE_OK) {
            // Midstream, the server's bytes may start inside an answer we never saw: that
            // ends the inspection but is no fault of the stream.
            const bool expected = flow.midstream && packet.direction == Direction::server_to_client;
            if (counters_ && !expected) {
                if (packet.direction == Direction::client_to_server && !flow.begun[0])
                    counters_->streams(HttpStreamOutcome::not_http)
                        .add();  // not HTTP from its first bytes
                else
                    counters_->streams(HttpStreamOutcome::parse_error).add();
            }
            finish(state, packet, verdict);
            return Progress::done;
        }
    }
    if (flow.first_request_done) decide(flow, packet, verdict);
    const bool answered = flow.status != 0;
    const bool ended = (packet.stream_flags &
                        (stream_flag::fin | stream_flag::rst | stream_flag::truncated)) != 0 ||
                       parser.upgrade != 0 || packet.last_offer;
    if ((flow.first_request_done && answered) || ended) {
        finish(state, packet, verdict);
        return Progress::done;
    }
    return Progress::need_more;
}

void HttpClassifier::conclude(void*& state, const PacketView& context, Verdict& verdict) noexcept {
    if (state == nullptr) return;
    auto* flow = static_cast<Flow*>(state);
    // A cut body still has its JSON prefix's shape.
    if (flow->json && flow->body_length > 0 && !flow->first_request_done) {
        flow->shape.truncated = true;
        if (counters_) {
            counters_->streams(HttpStreamOutcome::json_body).add();
            counters_->streams(HttpStreamOutcome::json_truncated).add();
        }
    }
    finish(state, context, verdict);
}

}  // namespace ottscope
