#pragma once
// The client's Initial CRYPTO stream (RFC 9000 19.6), put back together from CRYPTO frames
// that may come in several packets, out of order, repeated or overlapping, into a fixed
// buffer: enough for the ClientHello, which is all the TLS classifier reads from it. Offsets
// past the buffer are refused (counted as overflow), never written.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace ottscope::tls::quic {

class CryptoStream {
public:
    static constexpr size_t kCapacity = 8192;

    enum class Hello : uint8_t {
        pending,   // not all of its bytes are in yet
        complete,  // body() holds the whole ClientHello body
        invalid,   // the stream does not start with a ClientHello that fits the buffer
    };

    void reset() noexcept;
    // Takes a CRYPTO frame's data at `offset`. False when any of it lies past the buffer
    // (what fits is kept).
    bool add(uint64_t offset, std::span<const uint8_t> data) noexcept;
    // Bytes from offset 0 with no hole.
    [[nodiscard]] size_t contiguous() const noexcept { return contiguous_; }
    [[nodiscard]] Hello hello() const noexcept;
    // The ClientHello body (after the 4-byte handshake header); empty unless complete.
    [[nodiscard]] std::span<const uint8_t> body() const noexcept;

private:
    std::array<uint8_t, kCapacity> bytes_{};
    std::array<uint64_t, kCapacity / 64> present_{};  // one bit per byte of bytes_
    size_t contiguous_ = 0;
};

}  // namespace ottscope::tls::quic
