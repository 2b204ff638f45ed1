#pragma once
// TLS that starts after a cleartext prologue: an HTTP CONNECT through a proxy, STARTTLS
// (SMTP, IMAP, POP3's STLS, XMPP), FTP's AUTH TLS, or a SOCKS 4/5 tunnel. The reader follows
// the dialogue in both directions of the reassembled stream and finds, per direction, the
// offset of the first TLS byte: right after the unit (line, XML element, SOCKS message) that
// asked for TLS (client) or allowed it (server), and only where the bytes that follow are a
// TLS handshake record, so that a refusal, a plain session or a tunnel carrying something else
// never yields a start. The TLS classifier then reads each direction from there, as if the
// stream began at that byte (shift()).
//
// Bounded: at most kMaxBytes of prologue per direction and kMaxPackets packets before TLS
// shows; a unit a dialogue does not allow ends it. Small state (under 48 bytes), no
// allocation, no copy: every call re-reads only the bytes after the last complete unit.

#include <cstdint>
#include <span>

#include "classifiers/classifier.h"

namespace ottscope::tls {

enum class PrologueKind : uint8_t {
    none,
    http_connect,  // client: CONNECT request; server: 2xx answer
    reply_code,    // SMTP STARTTLS -> 220, FTP AUTH TLS -> 234 (both greet with 220)
    imap,          // tag STARTTLS -> tag OK
    pop3,          // STLS -> +OK
    xmpp,          // <starttls/> -> <proceed/>
    socks4,        // CONNECT -> 0x5a
    socks5,        // greeting, method, CONNECT -> success
};

enum class PrologueStep : uint8_t {
    wait,    // this direction's TLS has not begun (yet): nothing for the TLS reader
    tls,     // the shifted view holds this direction's stream from its first TLS byte
    failed,  // no TLS will follow in either direction
};

class PrologueReader {
public:
    static constexpr uint32_t kMaxBytes = 4096;  // per direction, before its TLS
    static constexpr uint8_t kMaxPackets = 24;   // of the flow, before TLS shows both ways

    // What the first payload of a flow (either direction's) opens; none for anything else,
    // which costs a few byte comparisons.
    static PrologueKind opens(std::span<const uint8_t> stream) noexcept;

    void begin(PrologueKind kind, Direction opened_by) noexcept;
    [[nodiscard]] bool present() const noexcept { return kind_ != PrologueKind::none; }
    [[nodiscard]] PrologueKind kind() const noexcept { return kind_; }

    // One packet of the flow. On `tls`, `view` is `packet` with its stream, new-bytes offset,
    // payload and sequence number moved to the first TLS byte of the direction; a direction
    // that will show no TLS while the other does is given as an empty, finished stream.
    PrologueStep shift(const PacketView& packet, PacketView& view) noexcept;

    // Per direction: the stream offset of the first TLS byte, or kNone (also while the server
    // has not agreed to it).
    static constexpr uint32_t kNone = UINT32_MAX;
    [[nodiscard]] uint32_t tls_start(Direction direction) const noexcept {
        const auto d = static_cast<size_t>(direction);
        return active(d) ? sides_[d].tls_start : kNone;
    }

private:
    struct Side {
        uint32_t parsed = 0;  // stream offset of the next unit to read
        uint32_t tls_start = kNone;
        uint32_t seq0 = 0;  // sequence number of stream byte 0
        uint8_t units = 0;  // units read so far (saturates)
        bool seq_known = false;
        bool pending = false;  // the last unit asked for or allowed TLS: look at what follows
        bool failed = false;
    };
    enum class Unit : uint8_t { other, go_ahead, fail };

    void advance(Side& side, bool client, std::span<const uint8_t> stream, uint8_t flags) noexcept;
    // Length of the unit at the start of `bytes` (terminator included), 0 when incomplete.
    [[nodiscard]] size_t unit_length(bool client, const Side& side,
                                     std::span<const uint8_t> bytes) const noexcept;
    [[nodiscard]] Unit judge(bool client, const Side& side,
                             std::span<const uint8_t> unit) const noexcept;
    // After a go-ahead, bytes that are not TLS: end of the dialogue, or more of it.
    [[nodiscard]] bool more_may_follow() const noexcept;
    static void move_to_tls(const Side& side, const PacketView& packet, PacketView& view) noexcept;
    // The direction's TLS has begun and the server agreed to it.
    [[nodiscard]] bool active(size_t direction) const noexcept {
        return granted_ && sides_[direction].tls_start != kNone;
    }

    Side sides_[2];
    PrologueKind kind_ = PrologueKind::none;
    uint8_t client_ = 0;  // the direction index of the side that asks for TLS
    uint8_t packets_ = 0;
    bool granted_ = false;  // the server answered the client's request with its go-ahead
};

}  // namespace ottscope::tls
