#pragma once
// QUIC long headers and client Initial packets (RFC 9000 17.2, RFC 9001 5, RFC 9369 3):
// the header fields, the Initial secrets every observer can derive from the client's first
// Destination Connection ID, header protection removal and AES-128-GCM opening. The
// InitialOpener holds the OpenSSL objects and is per worker; keys are plain per-flow data.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "openssl_handles.h"

namespace ottscope::tls::quic {

constexpr uint32_t kVersion1 = 0x00000001;
constexpr uint32_t kVersion2 = 0x6b3343cf;
constexpr size_t kMaxConnectionId = 20;

// Reads a variable-length integer (RFC 9000 16) at `at`, advancing it; false past the end.
bool read_varint(std::span<const uint8_t> bytes, size_t& at, uint64_t& value) noexcept;

enum class PacketType : uint8_t { initial, zero_rtt, handshake, retry };

struct LongHeader {
    uint32_t version = 0;
    PacketType type = PacketType::initial;
    std::span<const uint8_t> dcid;
    std::span<const uint8_t> scid;
    size_t pn_offset = 0;  // where the (protected) packet number starts
    size_t end = 0;        // bytes of the datagram this packet takes (coalesced packets follow)
};

enum class HeaderResult : uint8_t {
    ok,
    short_header,         // 1-RTT: nothing we can read, and nothing after it in the datagram
    version_negotiation,  // version 0
    unknown_version,      // no Initial keys for it (gQUIC, grease, future versions)
    malformed,
};

// Parses the long header at the start of `datagram` (its remaining bytes). Retry packets have
// no length: `end` is the datagram's end.
HeaderResult parse_long_header(std::span<const uint8_t> datagram, LongHeader& out) noexcept;

// True for the versions whose Initial keys we know (v1, v2, late drafts, mvfst's, Google's
// T050/T051, and reserved versions).
bool known_version(uint32_t version) noexcept;
// How many Initial key derivations a version may need tried (0: unknown version).
size_t key_candidates(uint32_t version) noexcept;
// The frame type of CRYPTO frames in this version's Initials.
uint64_t crypto_frame_type(uint32_t version) noexcept;

struct InitialKeys {
    std::array<uint8_t, 16> key{};
    std::array<uint8_t, 12> iv{};
    std::array<uint8_t, 16> hp{};
};

class InitialOpener {
public:
    InitialOpener();
    InitialOpener(const InitialOpener&) = delete;
    InitialOpener& operator=(const InitialOpener&) = delete;

    [[nodiscard]] bool ready() const noexcept { return ready_; }

    // The client's Initial keys for `version` from the Destination Connection ID of its first
    // Initial (or of the Initial after a Retry); `candidate` below key_candidates(version).
    // False for unknown versions.
    bool derive_client(uint32_t version, std::span<const uint8_t> dcid, InitialKeys& out,
                       size_t candidate = 0) noexcept;

    // Removes header protection and decrypts one Initial packet (`packet`: its bytes from the
    // first header byte to header.end) into `plaintext`. `largest` is the largest packet
    // number opened so far in this space (-1: none), for packet number recovery. Returns the
    // plaintext length, or -1 when the packet does not authenticate with these keys.
    int open(const InitialKeys& keys, const LongHeader& header, std::span<const uint8_t> packet,
             int64_t largest, std::span<uint8_t> plaintext, uint64_t& packet_number) noexcept;

    // The Initial salts we know (their number).
    static constexpr size_t kSalts = 7;

private:
    // SHA-256 states that have absorbed an HMAC key's inner and outer padded blocks: each
    // HMAC under that key then hashes only its message (RFC 2104 2, the precomputation its
    // section 4 suggests).
    struct HmacPads {
        MdCtxPtr inner;
        MdCtxPtr outer;
    };
    bool prepare(HmacPads& pads, std::span<const uint8_t> key) noexcept;
    bool hmac(const HmacPads& pads, std::span<const uint8_t> data,
              std::span<uint8_t, 32> out) noexcept;
    bool hkdf_expand_label(const HmacPads& secret, const char* label,
                           std::span<uint8_t> out) noexcept;

    MdPtr sha256_;
    MdCtxPtr digest_ctx_;  // the HMAC at work, copied from a HmacPads state
    // HKDF-Extract's key is the version's salt: prepared once, at construction.
    std::array<HmacPads, kSalts> salt_pads_;
    HmacPads secret_pads_;  // the secret being expanded
    CipherCtxPtr gcm_ctx_;
    CipherCtxPtr ecb_ctx_;
    CipherPtr gcm_;
    CipherPtr ecb_;
    // The unprotected header is the AEAD's associated data: headers with a long token are
    // still bounded by the datagram.
    std::array<uint8_t, 2048> header_{};
    bool ready_ = false;
};

}  // namespace ottscope::tls::quic
