#include "tls_prologue.h"

#include <algorithm>
#include <string_view>

#include "tls_records.h"

namespace ottscope::tls {
namespace {

std::string_view text_of(std::span<const uint8_t> bytes) noexcept {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// The bytes available so far agree with the start of `literal` (a first segment may be short).
bool opens_with(std::span<const uint8_t> bytes, std::string_view literal) noexcept {
    const size_t n = std::min(bytes.size(), literal.size());
    return n != 0 && text_of(bytes.first(n)) == literal.substr(0, n);
}

bool starts_with(std::string_view text, std::string_view literal) noexcept {
    return text.substr(0, literal.size()) == literal;
}

char upper(char c) noexcept {
    return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

// `word` (upper case) equals `token`, whatever the case of `token`.
bool is_word(std::string_view token, std::string_view word) noexcept {
    if (token.size() != word.size()) return false;
    for (size_t i = 0; i < token.size(); ++i)
        if (upper(token[i]) != word[i]) return false;
    return true;
}

std::string_view trim_end(std::string_view line) noexcept {
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' '))
        line.remove_suffix(1);
    return line;
}

std::string_view trim_start(std::string_view text) noexcept {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\r' ||
                             text.front() == '\n'))
        text.remove_prefix(1);
    return text;
}

// The space-separated token `index` of a line (0: the first).
std::string_view token(std::string_view line, size_t index) noexcept {
    line = trim_end(line);
    for (;;) {
        const size_t space = line.find(' ');
        const std::string_view word = line.substr(0, space);
        if (index == 0 || space == std::string_view::npos)
            return index == 0 ? word : std::string_view{};
        line.remove_prefix(space + 1);
        --index;
    }
}

// Length of a SOCKS 5 address (type, address, port) at `bytes`, 0 when incomplete or unknown.
size_t socks5_address_length(std::span<const uint8_t> bytes) noexcept {
    if (bytes.empty()) return 0;
    switch (bytes[0]) {
        case 1:
            return 1 + 4 + 2;
        case 4:
            return 1 + 16 + 2;
        case 3:
            return bytes.size() < 2 ? 0 : 1 + 1 + size_t{bytes[1]} + 2;
        default:
            return 0;
    }
}

}  // namespace

static_assert(sizeof(PrologueReader) <= 48, "the reader lives in every TLS flow's state");

PrologueKind PrologueReader::opens(std::span<const uint8_t> stream) noexcept {
    if (stream.empty()) return PrologueKind::none;
    switch (stream[0]) {
        case 'C':
            return opens_with(stream, "CONNECT ") ? PrologueKind::http_connect : PrologueKind::none;
        case '2':
            return opens_with(stream, "220 ") || opens_with(stream, "220-")
                       ? PrologueKind::reply_code
                       : PrologueKind::none;
        case '*':
            return opens_with(stream, "* OK") || opens_with(stream, "* PREAUTH")
                       ? PrologueKind::imap
                       : PrologueKind::none;
        case '+':
            return opens_with(stream, "+OK") ? PrologueKind::pop3 : PrologueKind::none;
        case '<':
            return opens_with(stream, "<?xml") || opens_with(stream, "<stream:stream")
                       ? PrologueKind::xmpp
                       : PrologueKind::none;
        case 4:  // SOCKS 4 CONNECT
            return stream.size() >= 2 && stream[1] == 1 ? PrologueKind::socks4 : PrologueKind::none;
        case 5:  // SOCKS 5 greeting: a count of methods, then the methods
            return stream.size() >= 3 && stream[1] != 0 && stream.size() >= 2u + stream[1]
                       ? PrologueKind::socks5
                       : PrologueKind::none;
        default:
            return PrologueKind::none;
    }
}

void PrologueReader::begin(PrologueKind kind, Direction opened_by) noexcept {
    kind_ = kind;
    // Who speaks first: the client for CONNECT, XMPP and SOCKS; the server's greeting else.
    const bool client_opens = kind == PrologueKind::http_connect || kind == PrologueKind::xmpp ||
                              kind == PrologueKind::socks4 || kind == PrologueKind::socks5;
    const auto opener = static_cast<uint8_t>(opened_by);
    client_ = client_opens ? opener : static_cast<uint8_t>(opener ^ 1);
}

PrologueStep PrologueReader::shift(const PacketView& packet, PacketView& view) noexcept {
    const auto d = static_cast<size_t>(packet.direction);
    Side& side = sides_[d];
    if (!side.seq_known && !packet.stream.empty() && packet.stream_new_offset == 0) {
        side.seq0 = packet.tcp_seq;
        side.seq_known = true;
    }
    if (!(active(0) && active(1)) && packets_ <= kMaxPackets) ++packets_;
    if (side.tls_start == kNone && !side.failed)
        advance(side, d == client_, packet.stream, packet.stream_flags);
    if (active(d)) {
        move_to_tls(side, packet, view);
        return PrologueStep::tls;
    }
    if (packets_ > kMaxPackets) side.failed = true;
    if (!side.failed) return sides_[d ^ 1].failed ? PrologueStep::failed : PrologueStep::wait;
    if (!active(d ^ 1)) return PrologueStep::failed;
    // The other direction speaks TLS, this one never will: a finished, empty stream.
    view = packet;
    view.stream = {};
    view.stream_new_offset = 0;
    view.payload = {};
    view.stream_flags = static_cast<uint8_t>(packet.stream_flags | stream_flag::fin);
    return PrologueStep::tls;
}

void PrologueReader::advance(Side& side, bool client, std::span<const uint8_t> stream,
                             uint8_t flags) noexcept {
    const size_t window = std::min<size_t>(stream.size(), kMaxBytes);
    for (;;) {
        if (side.pending) {
            if (stream.size() - side.parsed < 3) break;  // what follows is not here yet
            if (looks_like_handshake_record(stream.subspan(side.parsed))) {
                side.tls_start = side.parsed;
                return;
            }
            side.pending = false;
            if (!more_may_follow()) {
                side.failed = true;
                return;
            }
        }
        if (side.parsed >= window) {
            if (side.parsed >= kMaxBytes) side.failed = true;
            break;
        }
        const std::span<const uint8_t> rest = stream.subspan(side.parsed, window - side.parsed);
        const size_t length = unit_length(client, side, rest);
        if (length == 0) {
            if (window == kMaxBytes) side.failed = true;  // a unit longer than the bound
            break;
        }
        Unit unit = judge(client, side, rest.first(length));
        side.parsed += static_cast<uint32_t>(length);
        if (side.units != UINT8_MAX) ++side.units;
        if (unit == Unit::fail) {
            side.failed = true;
            return;
        }
        // The server's go-ahead counts only as the answer to the client's request (an SMTP
        // greeting is a 220 too); a client that starts TLS after a refusal is not followed.
        if (!client && unit == Unit::go_ahead) {
            const Side& asker = sides_[client_];
            if (asker.pending || asker.tls_start != kNone)
                granted_ = true;
            else
                unit = Unit::other;
        }
        side.pending = unit == Unit::go_ahead;
    }
    // Nothing more will come this way.
    if ((flags & (stream_flag::fin | stream_flag::rst | stream_flag::truncated)) != 0)
        side.failed = true;
}

size_t PrologueReader::unit_length(bool client, const Side& side,
                                   std::span<const uint8_t> bytes) const noexcept {
    auto through = [&](uint8_t terminator, size_t from) -> size_t {
        if (from >= bytes.size()) return 0;
        const auto end =
            std::find(bytes.begin() + static_cast<ptrdiff_t>(from), bytes.end(), terminator);
        return end == bytes.end() ? 0 : static_cast<size_t>(end - bytes.begin()) + 1;
    };
    auto fixed = [&](size_t length) -> size_t { return bytes.size() >= length ? length : 0; };
    switch (kind_) {
        case PrologueKind::xmpp:
            return through('>', 0);
        case PrologueKind::socks4: {
            if (!client) return fixed(8);
            // Version, command, port, address, user id and its NUL; SOCKS 4a (address
            // 0.0.0.x) adds the host name and its NUL.
            const size_t user_end = through(0, 8);
            if (user_end == 0 || bytes.size() < 8) return 0;
            const bool socks4a = bytes[4] == 0 && bytes[5] == 0 && bytes[6] == 0 && bytes[7] != 0;
            return socks4a ? through(0, user_end) : user_end;
        }
        case PrologueKind::socks5: {
            if (bytes.size() < 2) return 0;
            if (side.units == 0) return client ? fixed(2 + size_t{bytes[1]}) : fixed(2);
            if (bytes[0] == 1) {  // username/password sub-negotiation (RFC 1929)
                if (!client) return fixed(2);
                const size_t user = 2 + size_t{bytes[1]};
                return bytes.size() <= user ? 0 : fixed(user + 1 + bytes[user]);
            }
            // Request or reply: version, command or status, reserved, address.
            if (bytes.size() < 4) return 0;
            const size_t address = socks5_address_length(bytes.subspan(3));
            return address == 0 ? (bytes[3] == 1 || bytes[3] == 3 || bytes[3] == 4 ? 0 : 1)
                                : fixed(3 + address);
        }
        default:
            return through('\n', 0);
    }
}

PrologueReader::Unit PrologueReader::judge(bool client, const Side& side,
                                           std::span<const uint8_t> unit) const noexcept {
    const std::string_view line = text_of(unit);
    const bool first = side.units == 0;
    switch (kind_) {
        case PrologueKind::http_connect:
            if (first) {
                if (client) return starts_with(line, "CONNECT ") ? Unit::other : Unit::fail;
                // Only a 2xx answer opens the tunnel.
                return starts_with(line, "HTTP/1.") && line.size() > 9 && line[8] == ' ' &&
                               line[9] == '2'
                           ? Unit::other
                           : Unit::fail;
            }
            return trim_end(line).empty() ? Unit::go_ahead : Unit::other;
        case PrologueKind::reply_code: {
            if (!client)
                return starts_with(line, "220 ") || starts_with(line, "234 ") ? Unit::go_ahead
                                                                              : Unit::other;
            const std::string_view verb = token(line, 0);
            if (is_word(verb, "STARTTLS")) return Unit::go_ahead;
            if (is_word(verb, "AUTH")) {  // FTP (RFC 4217); SMTP's AUTH is SASL: not TLS
                const std::string_view how = token(line, 1);
                return is_word(how, "TLS") || is_word(how, "SSL") || is_word(how, "TLS-C")
                           ? Unit::go_ahead
                           : Unit::fail;
            }
            // What a client may say before asking for TLS; anything else (MAIL, USER, QUIT)
            // means the session goes on in cleartext.
            for (const std::string_view allowed :
                 {"EHLO", "HELO", "LHLO", "NOOP", "RSET", "FEAT", "SYST", "HELP"})
                if (is_word(verb, allowed)) return Unit::other;
            return Unit::fail;
        }
        case PrologueKind::imap: {
            if (!client) {
                const std::string_view tag = token(line, 0);
                return tag != "*" && tag != "+" && is_word(token(line, 1), "OK") ? Unit::go_ahead
                                                                                 : Unit::other;
            }
            const std::string_view command = token(line, 1);
            if (is_word(command, "STARTTLS")) return Unit::go_ahead;
            for (const std::string_view allowed : {"CAPABILITY", "NOOP", "ID"})
                if (is_word(command, allowed)) return Unit::other;
            return Unit::fail;
        }
        case PrologueKind::pop3: {
            if (!client) return !first && starts_with(line, "+OK") ? Unit::go_ahead : Unit::other;
            const std::string_view command = token(line, 0);
            if (is_word(command, "STLS")) return Unit::go_ahead;
            return is_word(command, "CAPA") || is_word(command, "NOOP") ? Unit::other : Unit::fail;
        }
        case PrologueKind::xmpp: {
            const std::string_view element = trim_start(line);
            const bool closed = element.size() >= 2 && element[element.size() - 2] == '/';
            if (client) {
                if ((starts_with(element, "<starttls") && closed) ||
                    starts_with(element, "</starttls"))
                    return Unit::go_ahead;
                // Authentication or stanzas: the stream goes on in cleartext.
                return starts_with(element, "<auth") || starts_with(element, "<iq") ||
                               starts_with(element, "<presence") || starts_with(element, "<message")
                           ? Unit::fail
                           : Unit::other;
            }
            if ((starts_with(element, "<proceed") && closed) || starts_with(element, "</proceed"))
                return Unit::go_ahead;
            return starts_with(element, "<failure") ? Unit::fail : Unit::other;
        }
        case PrologueKind::socks4:
            if (client) return Unit::go_ahead;  // its TLS follows the request
            return unit[0] == 0 && unit[1] == 0x5a ? Unit::go_ahead : Unit::fail;
        case PrologueKind::socks5:
            if (first) {
                if (client) return unit[0] == 5 ? Unit::other : Unit::fail;
                return unit[0] == 5 && unit[1] != 0xff ? Unit::other : Unit::fail;
            }
            if (unit[0] == 1) return client || unit[1] == 0 ? Unit::other : Unit::fail;
            if (unit.size() < 4 || unit[0] != 5) return Unit::fail;
            // The client's CONNECT (1), the server's success (0).
            return unit[1] == (client ? 1 : 0) ? Unit::go_ahead : Unit::fail;
        case PrologueKind::none:
            break;
    }
    return Unit::fail;
}

bool PrologueReader::more_may_follow() const noexcept {
    // A 220 greeting, a POP3 +OK or an IMAP tagged OK that was not the answer to STARTTLS.
    return kind_ == PrologueKind::reply_code || kind_ == PrologueKind::imap ||
           kind_ == PrologueKind::pop3;
}

void PrologueReader::move_to_tls(const Side& side, const PacketView& packet,
                                 PacketView& view) noexcept {
    view = packet;
    const uint32_t start =
        std::min<uint32_t>(side.tls_start, static_cast<uint32_t>(packet.stream.size()));
    view.stream = packet.stream.subspan(start);
    view.stream_new_offset = std::max(packet.stream_new_offset, start) - start;
    if (!side.seq_known) return;
    // The segment as if it began no earlier than the first TLS byte.
    const uint32_t at = packet.tcp_seq - side.seq0;
    if (at < start) {
        const uint32_t skip = start - at;
        view.payload = skip < packet.payload.size() ? packet.payload.subspan(skip)
                                                    : std::span<const uint8_t>{};
        view.tcp_seq = packet.tcp_seq + skip;
    }
}

}  // namespace ottscope::tls
