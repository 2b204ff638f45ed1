#include "quic_frames.h"

#include "quic_initial.h"

namespace ottscope::tls::quic {
namespace {

namespace frame {
constexpr uint64_t padding = 0x00;
constexpr uint64_t ping = 0x01;
constexpr uint64_t ack = 0x02;
constexpr uint64_t ack_ecn = 0x03;
constexpr uint64_t crypto = 0x06;
constexpr uint64_t connection_close = 0x1c;
constexpr uint64_t application_close = 0x1d;
}  // namespace frame

// Reads `count` varints; false past the end.
bool skip_varints(std::span<const uint8_t> bytes, size_t& at, uint64_t count) noexcept {
    uint64_t value = 0;
    for (uint64_t i = 0; i < count; ++i)
        if (!read_varint(bytes, at, value)) return false;
    return true;
}

bool skip_ack(std::span<const uint8_t> bytes, size_t& at, bool ecn) noexcept {
    uint64_t ranges = 0;
    // Largest Acknowledged, ACK Delay, ACK Range Count, First ACK Range.
    if (!skip_varints(bytes, at, 2) || !read_varint(bytes, at, ranges) ||
        !skip_varints(bytes, at, 1))
        return false;
    // Each range is two varints of at least one byte: a count beyond the packet is a lie.
    if (ranges > bytes.size()) return false;
    return skip_varints(bytes, at, ranges * 2) && (!ecn || skip_varints(bytes, at, 3));
}

}  // namespace

FrameWalk read_frames(std::span<const uint8_t> p, CryptoStream& crypto,
                      uint64_t crypto_type) noexcept {
    size_t at = 0;
    bool overflow = false;
    while (at < p.size()) {
        uint64_t type = 0;
        if (!read_varint(p, at, type)) return FrameWalk::malformed;
        if (type == crypto_type)
            type = frame::crypto;
        else if (type == frame::crypto)
            type = crypto_type;  // not CRYPTO in this version
        switch (type) {
            case frame::padding:
            case frame::ping:
                break;
            case frame::ack:
            case frame::ack_ecn:
                if (!skip_ack(p, at, type == frame::ack_ecn)) return FrameWalk::malformed;
                break;
            case frame::crypto: {
                uint64_t offset = 0;
                uint64_t length = 0;
                if (!read_varint(p, at, offset) || !read_varint(p, at, length) ||
                    length > p.size() - at)
                    return FrameWalk::malformed;
                if (!crypto.add(offset, p.subspan(at, static_cast<size_t>(length))))
                    overflow = true;
                at += static_cast<size_t>(length);
                break;
            }
            case frame::connection_close:
            case frame::application_close: {
                uint64_t reason = 0;
                // Error Code, then (transport close only) the Frame Type, then the reason.
                if (!skip_varints(p, at, type == frame::connection_close ? 2 : 1) ||
                    !read_varint(p, at, reason) || reason > p.size() - at)
                    return FrameWalk::malformed;
                at += static_cast<size_t>(reason);
                break;
            }
            default:
                return overflow ? FrameWalk::overflow : FrameWalk::stopped;
        }
    }
    return overflow ? FrameWalk::overflow : FrameWalk::ok;
}

}  // namespace ottscope::tls::quic
