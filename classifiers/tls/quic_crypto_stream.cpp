#include "quic_crypto_stream.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace ottscope::tls::quic {
namespace {
constexpr uint8_t kClientHello = 1;
constexpr size_t kHandshakeHeader = 4;
}  // namespace

void CryptoStream::reset() noexcept {
    present_.fill(0);
    contiguous_ = 0;
}

bool CryptoStream::add(uint64_t offset, std::span<const uint8_t> data) noexcept {
    if (offset >= kCapacity) return data.empty();
    const size_t start = static_cast<size_t>(offset);
    const size_t kept = std::min(data.size(), kCapacity - start);
    // Repeated bytes overwrite what came before: a conforming sender repeats the same bytes,
    // and a nonconforming one gets no more trust from its first copy than from its second.
    std::memcpy(bytes_.data() + start, data.data(), kept);
    for (size_t i = start; i < start + kept;) {
        if (i % 64 == 0 && start + kept - i >= 64) {
            present_[i / 64] = ~uint64_t{0};
            i += 64;
        } else {
            present_[i / 64] |= uint64_t{1} << (i % 64);
            ++i;
        }
    }
    while (contiguous_ < kCapacity) {
        // Bits above the run shift in as zeros, so a run never reaches past its word.
        const size_t bit = contiguous_ % 64;
        const auto run = static_cast<size_t>(std::countr_one(present_[contiguous_ / 64] >> bit));
        contiguous_ += run;
        if (run < 64 - bit) break;
    }
    return kept == data.size();
}

CryptoStream::Hello CryptoStream::hello() const noexcept {
    if (contiguous_ == 0) return Hello::pending;
    if (bytes_[0] != kClientHello) return Hello::invalid;
    if (contiguous_ < kHandshakeHeader) return Hello::pending;
    const size_t length = size_t{bytes_[1]} << 16 | size_t{bytes_[2]} << 8 | bytes_[3];
    if (length > kCapacity - kHandshakeHeader) return Hello::invalid;
    return contiguous_ >= kHandshakeHeader + length ? Hello::complete : Hello::pending;
}

std::span<const uint8_t> CryptoStream::body() const noexcept {
    if (hello() != Hello::complete) return {};
    const size_t length = size_t{bytes_[1]} << 16 | size_t{bytes_[2]} << 8 | bytes_[3];
    return {bytes_.data() + kHandshakeHeader, length};
}

}  // namespace ottscope::tls::quic
