#pragma once
// The frames of a decrypted Initial packet (RFC 9000 19): CRYPTO data goes to the crypto
// stream; PADDING, PING, ACK and CONNECTION_CLOSE are stepped over. Any other frame type is
// not allowed in an Initial (RFC 9000 12.4) and ends the walk.

#include <cstdint>
#include <span>

#include "quic_crypto_stream.h"

namespace ottscope::tls::quic {

enum class FrameWalk : uint8_t {
    ok,         // every frame read
    stopped,    // a frame type not allowed in Initial packets: the rest is ignored
    malformed,  // a frame runs past the packet
    overflow,   // CRYPTO data past the stream's buffer
};

// `crypto_type`: the CRYPTO frame's type in this version (crypto_frame_type()).
FrameWalk read_frames(std::span<const uint8_t> plaintext, CryptoStream& crypto,
                      uint64_t crypto_type = 0x06) noexcept;

}  // namespace ottscope::tls::quic
