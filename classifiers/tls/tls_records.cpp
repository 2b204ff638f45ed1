#include "tls_records.h"

#include <cstring>

namespace ottscope::tls {
namespace {

bool valid_header(uint8_t type, uint8_t major, uint8_t minor, uint32_t length) noexcept {
    return type >= content::change_cipher_spec && type <= 24 && major == 3 && minor <= 4 &&
           length <= kMaxRecordLength;
}

}  // namespace

bool looks_like_handshake_record(std::span<const uint8_t> stream) noexcept {
    return stream.size() >= 3 && stream[0] == content::handshake && stream[1] == 3 &&
           stream[2] <= 4;
}

bool looks_like_v2_client_hello(std::span<const uint8_t> stream) noexcept {
    return stream.size() >= 5 && (stream[0] & 0x80) != 0 && stream[2] == 1 && stream[3] == 3 &&
           stream[4] <= 4;
}

void HandshakeScanner::collect(std::span<const uint8_t> stream, RecordCursor& cursor,
                               Fragments& fragments) noexcept {
    size_t at = 0;
    while (stream.size() - at >= 5) {
        const uint8_t type = stream[at];
        const uint32_t length = uint32_t{stream[at + 3]} << 8 | stream[at + 4];
        if (!valid_header(type, stream[at + 1], stream[at + 2], length)) {
            cursor.malformed = true;
            return;
        }
        // A cleartext alert (two bytes: level, description) may come before the hello
        // answer, e.g. a warning for an unknown server name: step over it.
        if (type == content::alert && length == 2 && stream.size() - at >= 7) {
            at += 7;
            continue;
        }
        if (type != content::handshake) {
            // ChangeCipherSpec, alert or application data: what follows is encrypted or over.
            cursor.closed = true;
            return;
        }
        if (fragments.count == kMaxFragments) {
            cursor.closed = true;  // a handshake this fragmented is not one we follow
            return;
        }
        const size_t available = std::min<size_t>(length, stream.size() - at - 5);
        fragments.items[fragments.count++] = {static_cast<uint32_t>(at + 5),
                                              static_cast<uint32_t>(available)};
        fragments.total += available;
        if (available < length) return;  // the stream ends inside this record
        at += 5 + length;
    }
}

bool HandshakeScanner::gather(std::span<const uint8_t> stream, const Fragments& fragments,
                              uint64_t at, uint8_t (&out)[4]) noexcept {
    if (fragments.total < at + 4) return false;
    size_t filled = 0;
    uint64_t base = 0;
    for (size_t i = 0; i < fragments.count && filled < 4; ++i) {
        const Fragment& f = fragments.items[i];
        const uint64_t end = base + f.length;
        while (filled < 4 && at + filled >= base && at + filled < end) {
            out[filled] = stream[f.stream_at + (at + filled - base)];
            ++filled;
        }
        base = end;
    }
    return filled == 4;
}

std::span<const uint8_t> HandshakeScanner::body(std::span<const uint8_t> stream,
                                                const Fragments& fragments, uint64_t at,
                                                size_t length) noexcept {
    // Within one record: a view, no copy.
    uint64_t base = 0;
    for (size_t i = 0; i < fragments.count; ++i) {
        const Fragment& f = fragments.items[i];
        if (at >= base && at + length <= base + f.length)
            return stream.subspan(f.stream_at + (at - base), length);
        base += f.length;
    }
    // Across records: gather into scratch.
    size_t filled = 0;
    base = 0;
    for (size_t i = 0; i < fragments.count && filled < length; ++i) {
        const Fragment& f = fragments.items[i];
        const uint64_t end = base + f.length;
        const uint64_t from = std::max(base, at + filled);
        if (from < end) {
            const size_t n = static_cast<size_t>(std::min<uint64_t>(end - from, length - filled));
            std::memcpy(scratch_.data() + filled, stream.data() + f.stream_at + (from - base), n);
            filled += n;
        }
        base = end;
    }
    return {scratch_.data(), filled};
}

}  // namespace ottscope::tls
