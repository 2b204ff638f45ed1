#pragma once
// From UDP datagrams to a QUIC client's ClientHello: walks the coalesced packets of each
// datagram, opens the client's Initial packets (quic_initial.h), feeds their CRYPTO frames to
// the flow's crypto stream (quic_frames.h, quic_crypto_stream.h) and says when the
// ClientHello is whole. A flow gets state only once a datagram of it carried an Initial that
// authenticated: garbage, short headers, Version Negotiation and versions without known
// Initial keys never take any. One reader per worker; per-flow blocks come from its pool.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "classifiers/counter.h"
#include "classifiers/enum_names.h"
#include "classifiers/state_pool.h"
#include "quic_crypto_stream.h"
#include "quic_initial.h"

namespace ottscope::tls::quic {

struct QuicFlow {
    InitialKeys keys;
    std::array<uint8_t, kMaxConnectionId> dcid{};  // the one the keys come from
    uint8_t dcid_length = 0;
    bool keyed = false;
    uint8_t derivations = 0;  // key derivations tried (bounded)
    uint8_t client_direction = 0;
    uint32_t version = 0;
    int64_t largest = -1;  // largest Initial packet number opened
    CryptoStream crypto;
};

enum class QuicRead : uint8_t {
    not_quic,      // no long header of a version we know: not a QUIC handshake (no state)
    not_initial,   // QUIC long headers, but nothing opened as a client Initial (no state taken)
    pending,       // the ClientHello is not whole yet
    client_hello,  // client_hello() holds it
    failed,        // the crypto stream will never give a ClientHello we can read
};

// What became of the client Initial packets the reader tried (ottscope_tls_quic_initials_total).
enum class QuicEvent : uint8_t {
    opened,
    not_opened,
    malformed_frames,
    crypto_overflow,
    undersized,
    count
};
inline constexpr auto kQuicEventNames = enum_names<QuicEvent>({
    {QuicEvent::opened, "opened"},
    {QuicEvent::not_opened, "not_opened"},  // did not authenticate with the derived keys
    {QuicEvent::malformed_frames, "malformed_frames"},
    {QuicEvent::crypto_overflow, "crypto_overflow"},
    // A flow's first Initial in a datagram too short to be a client's: left unopened.
    {QuicEvent::undersized, "undersized"},
});

// What the reader met, for tests and benchmarks.
struct QuicCounts {
    uint64_t datagrams = 0;
    uint64_t initials_opened = 0;
    uint64_t open_failures = 0;     // Initials that did not authenticate (or too large)
    uint64_t malformed_frames = 0;  // decrypted payloads whose frames ran past the packet
    uint64_t crypto_overflows = 0;  // CRYPTO data past the stream's buffer
    uint64_t undersized = 0;        // first Initials in datagrams under kMinClientDatagram
    uint64_t key_derivations = 0;
};

class QuicHelloReader {
public:
    // Key derivations per flow: a Retry gives a new DCID, a reserved version two candidates.
    static constexpr uint8_t kMaxDerivations = 4;
    // Clients pad every datagram that carries an Initial to 1200 bytes and servers discard
    // shorter ones (RFC 9000 14.1; the drafts, gQUIC's T050/T051 and nDPI's QUIC dissector
    // alike): a shorter datagram cannot open a connection, and deriving keys for it costs
    // some 40k instructions.
    static constexpr size_t kMinClientDatagram = 1200;

    // `open_undersized`: also try to open a flow's first Initial in a shorter datagram (to
    // measure what skipping them saves).
    explicit QuicHelloReader(bool open_undersized = false)
        : pool_(sizeof(QuicFlow), 64), open_undersized_(open_undersized) {}

    // One datagram (the UDP payload) of a flow in `direction`. `state` is null or a flow from
    // this reader; a null state is set when the datagram opens as a client Initial.
    QuicRead feed(void*& state, std::span<const uint8_t> datagram, uint8_t direction) noexcept;
    // The ClientHello body once feed() said client_hello.
    [[nodiscard]] static std::span<const uint8_t> client_hello(const void* state) noexcept;
    void release(void*& state) noexcept;

    [[nodiscard]] size_t bytes_in_use() const noexcept {
        return pool_.in_use() * pool_.block_size();
    }
    [[nodiscard]] const QuicCounts& counts() const noexcept { return counts_; }
    // Also count `event` in `counter` (the worker's /metrics block); null: not.
    void count_into(QuicEvent event, Counter* counter) noexcept {
        sinks_[static_cast<size_t>(event)] = counter;
    }
    [[nodiscard]] bool ready() const noexcept { return opener_.ready(); }

private:
    bool open_initial(QuicFlow& flow, const LongHeader& header,
                      std::span<const uint8_t> packet) noexcept;

    void note(QuicEvent event, uint64_t& count) noexcept {
        ++count;
        if (Counter* sink = sinks_[static_cast<size_t>(event)]) sink->add();
    }

    InitialOpener opener_;
    StatePool pool_;
    QuicCounts counts_;
    std::array<Counter*, static_cast<size_t>(QuicEvent::count)> sinks_{};
    bool open_undersized_;
    QuicFlow probe_;  // a stateless flow's first datagram is read here, kept if it opens
    std::array<uint8_t, 16384> plaintext_{};
};

}  // namespace ottscope::tls::quic
