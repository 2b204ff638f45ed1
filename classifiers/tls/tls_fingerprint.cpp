#include "tls_fingerprint.h"

#include <openssl/evp.h>

#include <algorithm>

namespace ottscope::tls {
namespace {

// Appends to a fixed buffer, dropping what does not fit (the buffer is sized for every list
// the hellos keep, so dropping only happens on hostile lists already cut by ValueList).
class TextOut {
public:
    explicit TextOut(std::span<char> buffer) noexcept : buffer_(buffer) {}
    void put(char c) noexcept {
        if (length_ < buffer_.size()) buffer_[length_++] = c;
    }
    void decimal(unsigned value) noexcept {
        char digits[10];
        size_t n = 0;
        do {
            digits[n++] = static_cast<char>('0' + value % 10);
            value /= 10;
        } while (value != 0);
        while (n > 0) put(digits[--n]);
    }
    void hex4(uint16_t value) noexcept {
        static constexpr char kHex[] = "0123456789abcdef";
        for (int shift = 12; shift >= 0; shift -= 4) put(kHex[(value >> shift) & 0xf]);
    }
    template <typename Each>
    void join(std::span<const uint16_t> values, char separator, Each each) noexcept {
        for (size_t i = 0; i < values.size(); ++i) {
            if (i != 0) put(separator);
            each(values[i]);
        }
    }
    [[nodiscard]] size_t length() const noexcept { return length_; }
    [[nodiscard]] const char* data() const noexcept { return buffer_.data(); }

private:
    std::span<char> buffer_;
    size_t length_ = 0;
};

// The first `hex_chars` hex digits of the text's digest (zeros if OpenSSL failed).
void digest_hex(FingerprintScratch& scratch, Digester::Algorithm algorithm, const char* text,
                size_t length, char* out, size_t hex_chars) noexcept {
    uint8_t digest[EVP_MAX_MD_SIZE];
    const unsigned digest_length = scratch.memo.digest(
        scratch.digests, algorithm, {reinterpret_cast<const uint8_t*>(text), length}, digest);
    static constexpr char kHex[] = "0123456789abcdef";
    for (size_t i = 0; i < hex_chars; ++i) {
        const unsigned byte = i / 2 < digest_length ? digest[i / 2] : 0;
        out[i] = kHex[i % 2 == 0 ? byte >> 4 : byte & 0xf];
    }
}

void put_dash_list(TextOut& out, std::span<const uint16_t> values) noexcept {
    out.join(values, '-', [&](uint16_t v) { out.decimal(v); });
}

void put_two_digits(char* at, unsigned value) noexcept {
    value = std::min(value, 99u);
    at[0] = static_cast<char>('0' + value / 10);
    at[1] = static_cast<char>('0' + value % 10);
}

// JA4's version: the highest supported_versions entry if the extension is there.
const char* ja4_version(const ClientHello& hello) noexcept {
    uint16_t version = hello.legacy_version;
    if (hello.versions.kept != 0)
        version = *std::max_element(hello.versions.values.begin(),
                                    hello.versions.values.begin() + hello.versions.kept);
    switch (version) {
        case 0x0304:
            return "13";
        case 0x0303:
            return "12";
        case 0x0302:
            return "11";
        case 0x0301:
            return "10";
        case 0x0300:
            return "s3";
        case 0x0002:
            return "s2";
        case 0xfeff:
            return "d1";
        case 0xfefd:
            return "d2";
        case 0xfefc:
            return "d3";
        default:
            return "00";
    }
}

// The first and last characters of the first ALPN value; "00" without ALPN. A value that
// starts outside ASCII gives "99", as the JA4 reference implementation (FoxIO, the version
// whose output ../shared holds) writes it.
void ja4_alpn(const ClientHello& hello, char* out) noexcept {
    out[0] = out[1] = '0';
    if (hello.alpn_count == 0 || hello.alpn[0].empty()) return;
    const std::string_view first = hello.alpn[0];
    if (static_cast<unsigned char>(first.front()) > 0x7f) {
        out[0] = out[1] = '9';
        return;
    }
    out[0] = first.front();
    out[1] = first.back();
}

// sha256 of the text, first 12 hex characters; "000000000000" for an empty list.
void ja4_hash(const TextOut& text, bool empty, FingerprintScratch& scratch, char* out) noexcept {
    if (empty) {
        std::fill_n(out, 12, '0');
        return;
    }
    digest_hex(scratch, Digester::Algorithm::sha256, text.data(), text.length(), out, 12);
}

std::span<uint16_t> sorted_copy(std::span<const uint16_t> values, FingerprintScratch& scratch,
                                bool drop_sni_alpn) noexcept {
    size_t n = 0;
    for (const uint16_t v : values) {
        if (drop_sni_alpn && (v == ext::server_name || v == ext::alpn)) continue;
        if (n < scratch.sorted.size()) scratch.sorted[n++] = v;
    }
    std::sort(scratch.sorted.begin(), scratch.sorted.begin() + static_cast<ptrdiff_t>(n));
    return {scratch.sorted.data(), n};
}

}  // namespace

size_t ja3_string(const ClientHello& hello, FingerprintScratch& scratch) noexcept {
    TextOut out(scratch.text);
    out.decimal(hello.legacy_version);
    out.put(',');
    put_dash_list(out, hello.ciphers.view());
    out.put(',');
    put_dash_list(out, hello.extensions.view());
    out.put(',');
    put_dash_list(out, hello.groups.view());
    out.put(',');
    put_dash_list(out, hello.point_formats.view());
    return out.length();
}

void ja3(const ClientHello& hello, FingerprintScratch& scratch, Ja3Text& out) noexcept {
    const size_t length = ja3_string(hello, scratch);
    digest_hex(scratch, Digester::Algorithm::md5, scratch.text.data(), length, out.data(),
               kJa3Length);
    out[kJa3Length] = '\0';
}

size_t ja3s_string(const ServerHello& hello, FingerprintScratch& scratch) noexcept {
    TextOut out(scratch.text);
    out.decimal(hello.legacy_version);
    out.put(',');
    out.decimal(hello.cipher);
    out.put(',');
    put_dash_list(out, hello.extensions.view());
    return out.length();
}

void ja3s(const ServerHello& hello, FingerprintScratch& scratch, Ja3Text& out) noexcept {
    const size_t length = ja3s_string(hello, scratch);
    digest_hex(scratch, Digester::Algorithm::md5, scratch.text.data(), length, out.data(),
               kJa3Length);
    out[kJa3Length] = '\0';
}

void ja4(const ClientHello& hello, FingerprintScratch& scratch, Ja4Text& out, bool quic) noexcept {
    char* at = out.data();
    at[0] = quic ? 'q' : 't';
    const char* version = ja4_version(hello);
    at[1] = version[0];
    at[2] = version[1];
    at[3] = hello.has_sni ? 'd' : 'i';
    put_two_digits(at + 4, hello.ciphers.total);
    put_two_digits(at + 6, hello.extensions.total);
    ja4_alpn(hello, at + 8);
    at[10] = '_';

    const std::span<uint16_t> ciphers = sorted_copy(hello.ciphers.view(), scratch, false);
    {
        TextOut text(scratch.text);
        text.join(ciphers, ',', [&](uint16_t v) { text.hex4(v); });
        ja4_hash(text, ciphers.empty(), scratch, at + 11);
    }
    at[23] = '_';
    const std::span<uint16_t> extensions = sorted_copy(hello.extensions.view(), scratch, true);
    {
        TextOut text(scratch.text);
        text.join(extensions, ',', [&](uint16_t v) { text.hex4(v); });
        if (hello.signature_algorithms.kept != 0) {
            text.put('_');
            text.join(hello.signature_algorithms.view(), ',', [&](uint16_t v) { text.hex4(v); });
        }
        ja4_hash(text, extensions.empty(), scratch, at + 24);
    }
    out[kJa4Length] = '\0';
}

}  // namespace ottscope::tls
