#include "sip_parser.h"

#include <array>

#include "classifiers/enum_names.h"

namespace ottscope::sip {
namespace {

// As written in SIP messages (RFC 3261 and the extensions that add methods).
constexpr auto kMethodNames = enum_names<Method>({
    {Method::invite, "INVITE"},
    {Method::ack, "ACK"},
    {Method::bye, "BYE"},
    {Method::cancel, "CANCEL"},
    {Method::register_, "REGISTER"},
    {Method::options, "OPTIONS"},
    {Method::prack, "PRACK"},
    {Method::subscribe, "SUBSCRIBE"},
    {Method::notify, "NOTIFY"},
    {Method::publish, "PUBLISH"},
    {Method::info, "INFO"},
    {Method::refer, "REFER"},
    {Method::message, "MESSAGE"},
    {Method::update, "UPDATE"},
    {Method::other, "other"},
});
constexpr auto kTransportNames = enum_names<Transport>({
    {Transport::udp, "UDP"},
    {Transport::tcp, "TCP"},
    {Transport::tls, "TLS"},
    {Transport::sctp, "SCTP"},
    {Transport::ws, "WS"},
    {Transport::wss, "WSS"},
    {Transport::other, "other"},
});

constexpr size_t kMaxMethod = 32;

bool is_alpha(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}
// RFC 3261 token characters.
bool is_token(char c) noexcept {
    if (is_alpha(c) || is_digit(c)) return true;
    switch (c) {
        case '-':
        case '.':
        case '!':
        case '%':
        case '*':
        case '_':
        case '+':
        case '`':
        case '\'':
        case '~':
            return true;
        default:
            return false;
    }
}
bool is_lws(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
char lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}
// `text` is a prefix of `whole` (case-insensitive), or equal to it.
bool iprefix_of(std::string_view text, std::string_view whole) noexcept {
    return text.size() <= whole.size() && iequals(text, whole.substr(0, text.size()));
}

std::string_view trim(std::string_view text) noexcept {
    while (!text.empty() && is_lws(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_lws(text.back())) text.remove_suffix(1);
    return text;
}

// Takes a run of token characters from the front of `text`.
std::string_view take_token(std::string_view& text) noexcept {
    size_t n = 0;
    while (n < text.size() && is_token(text[n])) ++n;
    const std::string_view token = text.substr(0, n);
    text.remove_prefix(n);
    return token;
}

void skip_lws(std::string_view& text) noexcept {
    while (!text.empty() && is_lws(text.front())) text.remove_prefix(1);
}

Method method_of(std::string_view token) noexcept {
    for (const auto& [method, name] : kMethodNames)
        if (method != Method::other && token == name) return method;
    return Method::other;
}

Transport transport_of(std::string_view token) noexcept {
    for (const auto& [transport, name] : kTransportNames)
        if (transport != Transport::other && iequals(token, name)) return transport;
    return Transport::other;
}

bool parse_number(std::string_view digits, size_t max_digits, uint64_t& value) noexcept {
    if (digits.empty() || digits.size() > max_digits) return false;
    value = 0;
    for (const char c : digits) {
        if (!is_digit(c)) return false;
        value = value * 10 + static_cast<uint64_t>(c - '0');
    }
    return true;
}

// The start line, which may still lack its end (`whole` false): then only what is there is
// checked, so that non-SIP streams (TLS records, HTTP) are refused within a few bytes.
ParseStatus parse_start_line(std::string_view line, bool whole, Message& out,
                             std::string_view& method) noexcept {
    constexpr std::string_view kVersion = "SIP/2.0";
    const auto partial = [whole](bool valid_so_far) {
        return !valid_so_far ? ParseStatus::invalid
               : whole       ? ParseStatus::invalid
                             : ParseStatus::incomplete;
    };
    if (line.size() > kMaxStartLine) return ParseStatus::invalid;
    if (line.empty()) return partial(true);
    if (!is_alpha(line.front())) return ParseStatus::invalid;

    // Status line: SIP-Version SP Status-Code SP Reason-Phrase.
    if (line.size() >= 4 && iequals(line.substr(0, 4), "SIP/")) {
        if (line.size() <= kVersion.size()) return partial(iprefix_of(line, kVersion));
        if (!iequals(line.substr(0, kVersion.size()), kVersion) || line[kVersion.size()] != ' ')
            return ParseStatus::invalid;
        std::string_view rest = line.substr(kVersion.size() + 1);
        const std::string_view code = rest.substr(0, 3);
        for (const char c : code)
            if (!is_digit(c)) return ParseStatus::invalid;
        if (code.size() < 3) return partial(true);
        if (code[0] < '1' || code[0] > '6') return ParseStatus::invalid;
        rest.remove_prefix(3);
        if (rest.empty()) return partial(true);
        if (rest.front() != ' ') return ParseStatus::invalid;
        for (const char c : rest)
            if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f)
                return ParseStatus::invalid;
        if (!whole) return ParseStatus::incomplete;
        out.is_request = false;
        out.status_code =
            static_cast<uint16_t>((code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0'));
        return ParseStatus::complete;
    }

    // Request line: Method SP Request-URI SP SIP-Version.
    std::string_view rest = line;
    const std::string_view token = take_token(rest);
    if (token.size() > kMaxMethod) return ParseStatus::invalid;
    if (rest.empty()) return partial(true);
    if (rest.front() != ' ') return ParseStatus::invalid;
    rest.remove_prefix(1);
    // Request-URI: an absolute URI, so a scheme and a colon (HTTP's "/path" fails here).
    size_t i = 0;
    bool scheme_done = false;
    for (; i < rest.size() && rest[i] != ' '; ++i) {
        const char c = rest[i];
        if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f)
            return ParseStatus::invalid;
        if (scheme_done) continue;
        if (c == ':') {
            if (i == 0) return ParseStatus::invalid;
            scheme_done = true;
        } else if (!(is_alpha(c) || (i > 0 && (is_digit(c) || c == '+' || c == '-' || c == '.')))) {
            return ParseStatus::invalid;
        }
    }
    if (i == rest.size()) return partial(true);
    if (!scheme_done) return ParseStatus::invalid;
    const std::string_view uri = rest.substr(0, i);
    if (uri.back() == ':') return ParseStatus::invalid;
    const std::string_view version = rest.substr(i + 1);
    if (version.size() < kVersion.size() || !whole)
        return partial(iprefix_of(version.substr(0, kVersion.size()), kVersion) &&
                       version.size() <= kVersion.size());
    if (!iequals(version, kVersion)) return ParseStatus::invalid;
    out.is_request = true;
    method = token;
    out.method = method_of(token);
    return ParseStatus::complete;
}

enum class Header : uint8_t {
    via,
    cseq,
    call_id,
    from,
    to,
    contact,
    content_length,
    user_agent,
    server,
    other
};

Header header_of(std::string_view name) noexcept {
    if (name.size() == 1) {
        switch (lower(name[0])) {
            case 'v':
                return Header::via;
            case 'i':
                return Header::call_id;
            case 'f':
                return Header::from;
            case 't':
                return Header::to;
            case 'm':
                return Header::contact;
            case 'l':
                return Header::content_length;
            default:
                return Header::other;
        }
    }
    struct Named {
        std::string_view name;
        Header header;
    };
    static constexpr std::array<Named, 9> kNames = {{{"Via", Header::via},
                                                     {"CSeq", Header::cseq},
                                                     {"Call-ID", Header::call_id},
                                                     {"From", Header::from},
                                                     {"To", Header::to},
                                                     {"Contact", Header::contact},
                                                     {"Content-Length", Header::content_length},
                                                     {"User-Agent", Header::user_agent},
                                                     {"Server", Header::server}}};
    for (const Named& named : kNames)
        if (iequals(name, named.name)) return named.header;
    return Header::other;
}

// What the headers must show, and what they told.
struct Seen {
    bool via = false, cseq = false, call_id = false, from = false, to = false;
    std::string_view cseq_method;
    std::string_view product;
};

// The topmost Via's sent-protocol: "SIP" / version / transport, slashes with optional LWS.
bool parse_via(std::string_view value, Message& out) noexcept {
    skip_lws(value);
    const std::string_view name = take_token(value);
    if (!iequals(name, "SIP")) return false;
    skip_lws(value);
    if (value.empty() || value.front() != '/') return false;
    value.remove_prefix(1);
    skip_lws(value);
    if (take_token(value).empty()) return false;
    skip_lws(value);
    if (value.empty() || value.front() != '/') return false;
    value.remove_prefix(1);
    skip_lws(value);
    const std::string_view transport = take_token(value);
    if (transport.empty() || value.empty() || !is_lws(value.front())) return false;
    skip_lws(value);
    if (value.empty()) return false;  // sent-by is mandatory
    out.transport = transport_of(transport);
    out.has_via_transport = true;
    return true;
}

bool parse_cseq(std::string_view value, Seen& seen) noexcept {
    value = trim(value);
    size_t n = 0;
    while (n < value.size() && is_digit(value[n])) ++n;
    uint64_t number = 0;
    if (!parse_number(value.substr(0, n), 10, number) || number > 0x7fffffffu) return false;
    value.remove_prefix(n);
    if (value.empty() || !is_lws(value.front())) return false;
    skip_lws(value);
    const std::string_view method = take_token(value);
    if (method.empty() || method.size() > kMaxMethod || !value.empty()) return false;
    seen.cseq_method = method;
    return true;
}

// Syntax only: subscriber values are looked at, never kept.
bool valid_call_id(std::string_view value) noexcept {
    value = trim(value);
    if (value.empty()) return false;
    for (const char c : value)
        if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f)
            return false;
    return true;
}
bool valid_address(std::string_view value, bool star_allowed) noexcept {
    value = trim(value);
    if (star_allowed && value == "*") return true;
    return value.find(':') != std::string_view::npos;
}

std::string_view first_product(std::string_view value) noexcept {
    skip_lws(value);
    const std::string_view whole = value;
    const std::string_view name = take_token(value);
    if (name.empty()) return {};
    size_t length = name.size();
    if (!value.empty() && value.front() == '/') {
        value.remove_prefix(1);
        length += 1 + take_token(value).size();
    }
    return whole.substr(0, length > kMaxProductToken ? name.size() : length)
        .substr(0, kMaxProductToken);
}

bool take_header(std::string_view name, std::string_view value, Message& out, Seen& seen) noexcept {
    switch (header_of(name)) {
        case Header::via:
            if (seen.via) return true;  // only the topmost tells our transport
            seen.via = true;
            return parse_via(value, out);
        case Header::cseq:
            if (seen.cseq) return false;
            seen.cseq = true;
            return parse_cseq(value, seen);
        case Header::call_id:
            if (seen.call_id) return false;
            seen.call_id = true;
            return valid_call_id(value);
        case Header::from:
            if (seen.from) return false;
            seen.from = true;
            return valid_address(value, false);
        case Header::to:
            if (seen.to) return false;
            seen.to = true;
            return valid_address(value, false);
        case Header::contact:
            return valid_address(value, true);
        case Header::content_length: {
            uint64_t length = 0;
            if (!parse_number(trim(value), 8, length) || length > kMaxContentLength) return false;
            if (out.has_content_length && out.content_length != length) return false;
            out.has_content_length = true;
            out.content_length = static_cast<uint32_t>(length);
            return true;
        }
        case Header::user_agent:
            if (out.is_request && seen.product.empty()) seen.product = first_product(value);
            return true;
        case Header::server:
            if (!out.is_request && seen.product.empty()) seen.product = first_product(value);
            return true;
        case Header::other:
            return true;
    }
    return true;
}

}  // namespace

std::string_view method_name(Method method) noexcept {
    return kMethodNames.name(method, "other");
}

std::string_view transport_name(Transport transport) noexcept {
    return kTransportNames.name(transport, "other");
}

bool only_keepalive(std::span<const uint8_t> bytes) noexcept {
    for (const uint8_t b : bytes)
        if (b != '\r' && b != '\n') return false;
    return true;
}

ParseStatus parse_message(std::span<const uint8_t> bytes, bool datagram, Message& out) noexcept {
    out = Message{};
    const std::string_view all(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    size_t start = 0;
    while (start < all.size() && (all[start] == '\r' || all[start] == '\n')) ++start;
    if (start > kMaxHeaderBlock) return ParseStatus::invalid;
    out.leading_crlf = static_cast<uint32_t>(start);
    const std::string_view text = all.substr(start);
    if (text.empty()) return datagram ? ParseStatus::invalid : ParseStatus::incomplete;

    // Start line.
    size_t end = text.find('\n');
    std::string_view method;
    if (end == std::string_view::npos) {
        std::string_view partial = text.substr(0, kMaxStartLine + 1);
        if (!partial.empty() && partial.back() == '\r') partial.remove_suffix(1);
        const ParseStatus status = parse_start_line(partial, false, out, method);
        return datagram ? ParseStatus::invalid : status;
    }
    std::string_view line = text.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (parse_start_line(line, true, out, method) != ParseStatus::complete)
        return ParseStatus::invalid;

    // Headers, with folded continuation lines, up to the blank line.
    Seen seen;
    size_t pos = end + 1;
    size_t headers = 0;
    std::string_view name;
    size_t value_begin = 0;
    size_t value_end = 0;
    bool pending = false;
    auto flush = [&]() {
        if (!pending) return true;
        pending = false;
        return take_header(name, text.substr(value_begin, value_end - value_begin), out, seen);
    };
    for (;;) {
        if (pos > kMaxHeaderBlock) return ParseStatus::invalid;
        end = text.find('\n', pos);
        if (end == std::string_view::npos || end > kMaxHeaderBlock)
            return datagram || text.size() > kMaxHeaderBlock ? ParseStatus::invalid
                                                             : ParseStatus::incomplete;
        line = text.substr(pos, end - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        const size_t next = end + 1;
        if (line.empty()) {
            if (!flush()) return ParseStatus::invalid;
            pos = next;
            break;
        }
        if (line.front() == ' ' || line.front() == '\t') {
            if (!pending) return ParseStatus::invalid;  // continuation of nothing
            value_end = pos + line.size();
            pos = next;
            continue;
        }
        if (!flush()) return ParseStatus::invalid;
        if (++headers > kMaxHeaders) return ParseStatus::invalid;
        std::string_view rest = line;
        name = take_token(rest);
        if (name.empty()) return ParseStatus::invalid;
        while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t'))
            rest.remove_prefix(1);
        if (rest.empty() || rest.front() != ':') return ParseStatus::invalid;
        value_begin = pos + (line.size() - rest.size()) + 1;
        value_end = pos + line.size();
        pending = true;
        pos = next;
    }

    if (!(seen.via && seen.cseq && seen.call_id && seen.from && seen.to))
        return ParseStatus::invalid;
    if (out.is_request) {
        if (seen.cseq_method != method) return ParseStatus::invalid;
    } else {
        out.method = method_of(seen.cseq_method);
    }
    out.product = seen.product;
    out.header_length = static_cast<uint32_t>(pos);
    if (datagram) {
        const size_t body = text.size() - pos;
        if (out.has_content_length) {
            if (out.content_length > body) return ParseStatus::invalid;
        } else {
            out.content_length = static_cast<uint32_t>(body);
        }
    }
    return ParseStatus::complete;
}

}  // namespace ottscope::sip
