#pragma once
// A bounded SIP message parser (RFC 3261 syntax) for classification. It reads the start line
// and the few headers a verdict needs, in place: everything it returns is a view into the
// input, nothing is allocated, and hostile or truncated input is a parse result, never a
// crash. Values that identify subscribers (From, To, Contact, Call-ID) are only checked for
// syntax; the parser does not hand them out.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace ottscope::sip {

// Methods we name; any other syntactically valid method is `other`. A fixed list keeps the
// facts and evidence texts bounded.
enum class Method : uint8_t {
    invite,
    ack,
    bye,
    cancel,
    register_,
    options,
    prack,
    subscribe,
    notify,
    publish,
    info,
    refer,
    message,
    update,
    other,
    count
};
enum class Transport : uint8_t { udp, tcp, tls, sctp, ws, wss, other, count };

std::string_view method_name(Method method) noexcept;
std::string_view transport_name(Transport transport) noexcept;

// Bounds: a message whose start line or header block exceeds them is not taken for SIP.
constexpr size_t kMaxStartLine = 1024;
constexpr size_t kMaxHeaderBlock = 8192;
constexpr size_t kMaxHeaders = 96;
constexpr size_t kMaxContentLength = 1u << 20;
constexpr size_t kMaxProductToken = 64;

enum class ParseStatus : uint8_t {
    complete,    // start line and headers are all there and valid
    incomplete,  // valid so far: more bytes are needed
    invalid      // not SIP (or beyond the bounds)
};

struct Message {
    bool is_request = false;
    Method method = Method::other;  // of the request line, or of CSeq for a response
    uint16_t status_code = 0;       // responses only
    Transport transport = Transport::other;
    bool has_via_transport = false;
    bool has_content_length = false;
    // The first product of User-Agent (requests) or Server (responses), "name/version",
    // without comments; empty when absent.
    std::string_view product;
    uint32_t leading_crlf = 0;    // keep-alive CRLFs skipped before the message
    uint32_t header_length = 0;   // start line and headers, blank line included
    uint32_t content_length = 0;  // from Content-Length (datagram: what follows the headers)
    // leading_crlf + header_length + content_length: where the next message of a stream starts.
    [[nodiscard]] size_t framed_length() const noexcept {
        return size_t{leading_crlf} + header_length + content_length;
    }
};

// Parses the message at the start of `bytes`. For a datagram the datagram is the whole
// message (no Content-Length needed); for a stream, the framing is Content-Length, and
// `complete` means the headers are complete: check framed_length() against what is there
// for the body.
ParseStatus parse_message(std::span<const uint8_t> bytes, bool datagram, Message& out) noexcept;

// True when `bytes` holds nothing but keep-alive CRLFs (RFC 5626), possibly none.
bool only_keepalive(std::span<const uint8_t> bytes) noexcept;

}  // namespace ottscope::sip
