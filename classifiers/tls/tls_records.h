#pragma once
// The TLS record layer over one direction of a reassembled TCP stream: finds the handshake
// messages carried by consecutive handshake records, whether a message spans several records
// or a record holds several messages, without copying records. A message that spans records
// is gathered into caller-provided scratch space.

#include <algorithm>
#include <cstdint>
#include <span>

namespace ottscope::tls {

namespace content {
constexpr uint8_t change_cipher_spec = 20;
constexpr uint8_t alert = 21;
constexpr uint8_t handshake = 22;
constexpr uint8_t application_data = 23;
}  // namespace content

namespace handshake {
constexpr uint8_t client_hello = 1;
constexpr uint8_t server_hello = 2;
constexpr uint8_t certificate = 11;
constexpr uint8_t server_hello_done = 14;
}  // namespace handshake

constexpr uint32_t kMaxRecordLength = 16384 + 2048;  // TLSCiphertext limit

// True when the bytes start like a TLS record header carrying a handshake (SSL 3.0 to TLS
// 1.3 record versions). Needs 3 bytes.
bool looks_like_handshake_record(std::span<const uint8_t> stream) noexcept;
// True for an SSL 2.0-format ClientHello offering SSL 3.0 or TLS (old clients open so and the
// server answers with ordinary TLS records). Needs 5 bytes.
bool looks_like_v2_client_hello(std::span<const uint8_t> stream) noexcept;

// Where one direction's parse stands; lives in the flow's state.
struct RecordCursor {
    uint32_t message_at = 0;  // handshake-layer offset of the next message to deliver
    bool closed = false;      // a non-handshake record came: the cleartext handshake ended
    bool malformed = false;   // a record header that is not TLS
};

struct HandshakeMessage {
    uint8_t type = 0;
    uint32_t length = 0;            // as the header says
    std::span<const uint8_t> body;  // the whole body, or its available prefix
    bool complete = false;
};

// Walks the handshake records of `stream` from its start and calls `on_message(message)` for
// every message at or after cursor.message_at, in order. A complete message is delivered
// once (its body cut to the scratch size if longer); the first incomplete one is delivered
// as the prefix available so far, again on every call until it completes, and ends the
// walk. `on_message` returns false to stop the walk early.
class HandshakeScanner {
public:
    explicit HandshakeScanner(std::span<uint8_t> scratch) noexcept : scratch_(scratch) {}

    template <typename OnMessage>
    void scan(std::span<const uint8_t> stream, RecordCursor& cursor, OnMessage&& on_message) {
        Fragments fragments;
        collect(stream, cursor, fragments);
        for (;;) {
            uint8_t header[4];
            if (!gather(stream, fragments, cursor.message_at, header)) return;
            HandshakeMessage message;
            message.type = header[0];
            message.length = uint32_t{header[1]} << 16 | uint32_t{header[2]} << 8 | header[3];
            const uint64_t body_at = uint64_t{cursor.message_at} + 4;
            const uint64_t available = fragments.total - body_at;
            message.complete = available >= message.length;
            const size_t wanted = static_cast<size_t>(
                std::min<uint64_t>({message.length, available, scratch_.size()}));
            message.body = body(stream, fragments, body_at, wanted);
            const bool go_on = on_message(message);
            if (!message.complete || !go_on) return;
            cursor.message_at = static_cast<uint32_t>(body_at + message.length);
        }
    }

private:
    static constexpr size_t kMaxFragments = 64;
    struct Fragment {
        uint32_t stream_at;  // first payload byte of the record in the stream
        uint32_t length;     // payload bytes available (a record may be cut by the stream end)
    };
    struct Fragments {
        Fragment items[kMaxFragments];
        size_t count = 0;
        uint64_t total = 0;  // handshake-layer bytes available
    };

    static void collect(std::span<const uint8_t> stream, RecordCursor& cursor,
                        Fragments& fragments) noexcept;
    static bool gather(std::span<const uint8_t> stream, const Fragments& fragments, uint64_t at,
                       uint8_t (&out)[4]) noexcept;
    std::span<const uint8_t> body(std::span<const uint8_t> stream, const Fragments& fragments,
                                  uint64_t at, size_t length) noexcept;

    std::span<uint8_t> scratch_;
};

}  // namespace ottscope::tls
