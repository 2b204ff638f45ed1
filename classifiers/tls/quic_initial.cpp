#include "quic_initial.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <string_view>

#include "hkdf_label.h"

namespace ottscope::tls::quic {
namespace {

constexpr size_t kTagLength = 16;
constexpr size_t kSampleLength = 16;

// Initial salts (RFC 9001 5.2, RFC 9369 3.3.1, and the drafts that came before).
constexpr uint8_t kSaltV1[20] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
                                 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};
constexpr uint8_t kSaltV2[20] = {0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
                                 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9};
constexpr uint8_t kSaltDraft22[20] = {0x7f, 0xbc, 0xdb, 0x0e, 0x7c, 0x66, 0xbb, 0xe9, 0x19, 0x3a,
                                      0x96, 0xcd, 0x21, 0x51, 0x9e, 0xbd, 0x7a, 0x02, 0x64, 0x4a};
constexpr uint8_t kSaltDraft23[20] = {0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7,
                                      0xd2, 0x43, 0x2b, 0xb4, 0x63, 0x65, 0xbe, 0xf9, 0xf5, 0x02};
// Google's QUIC versions that carry TLS (T050, T051) in IETF-style Initials.
constexpr uint8_t kSaltT050[20] = {0x7f, 0xf5, 0x79, 0xe5, 0xac, 0xd0, 0x72, 0x91, 0x55, 0x80,
                                   0x30, 0x4c, 0x43, 0xa2, 0x36, 0x7c, 0x60, 0x48, 0x83, 0x10};
constexpr uint8_t kSaltT051[20] = {0x7a, 0x4e, 0xde, 0xf4, 0xe7, 0xcc, 0xee, 0x5f, 0xa4, 0x50,
                                   0x6c, 0x19, 0x12, 0x4f, 0xc8, 0xcc, 0xda, 0x6e, 0x03, 0x3d};
constexpr uint8_t kSaltDraft29[20] = {0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97,
                                      0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99};

constexpr const uint8_t* kSaltTable[] = {kSaltV1,   kSaltV2,   kSaltDraft22, kSaltDraft23,
                                         kSaltT050, kSaltT051, kSaltDraft29};
static_assert(std::size(kSaltTable) == InitialOpener::kSalts);

size_t salt_index(const uint8_t* salt) noexcept {
    return static_cast<size_t>(std::find(std::begin(kSaltTable), std::end(kSaltTable), salt) -
                               std::begin(kSaltTable));
}

// The salt of a version; null when we have no Initial keys for it. Drafts are
// 0xff0000NN; mvfst (Facebook) numbered its draft implementations 0xfaceb0NN.
const uint8_t* salt_of(uint32_t version) noexcept {
    if (version == kVersion1) return kSaltV1;
    if (version == kVersion2) return kSaltV2;
    if ((version >> 8) == 0xff0000) {
        const uint32_t draft = version & 0xff;
        if (draft == 22) return kSaltDraft22;
        if (draft >= 23 && draft <= 28) return kSaltDraft23;
        if (draft >= 29 && draft <= 34) return kSaltDraft29;
        return nullptr;
    }
    switch (version) {
        case 0xfaceb001:  // mvfst draft 22
            return kSaltDraft22;
        case 0xfaceb002:  // mvfst draft 27
        case 0xfaceb00e:  // mvfst experimental
            return kSaltDraft23;
        case 0x54303530:  // T050
            return kSaltT050;
        case 0x54303531:  // T051
            return kSaltT051;
        default:
            break;
    }
    return nullptr;
}

// Reserved versions (0x?a?a?a?a, RFC 9000 15) exist to draw a Version Negotiation and have
// no keys of their own: clients that send them (interop runners) protect the Initial as the
// version they mean to speak, v1 or, in older captures, draft 29.
bool reserved(uint32_t version) noexcept {
    return (version & 0x0f0f0f0f) == 0x0a0a0a0a;
}

const uint8_t* salt_of(uint32_t version, size_t candidate) noexcept {
    if (reserved(version))
        return candidate == 0 ? kSaltV1 : candidate == 1 ? kSaltDraft29 : nullptr;
    return candidate == 0 ? salt_of(version) : nullptr;
}

PacketType type_of(uint32_t version, uint8_t bits) noexcept {
    if (version == kVersion2) {  // RFC 9369 3.2: the types are rotated
        constexpr PacketType kV2[4] = {PacketType::retry, PacketType::initial, PacketType::zero_rtt,
                                       PacketType::handshake};
        return kV2[bits & 3];
    }
    constexpr PacketType kV1[4] = {PacketType::initial, PacketType::zero_rtt, PacketType::handshake,
                                   PacketType::retry};
    return kV1[bits & 3];
}

// RFC 9000 A.3: the full packet number nearest to the one expected next.
uint64_t recover_packet_number(int64_t largest, uint64_t truncated, size_t bits) noexcept {
    const uint64_t expected = static_cast<uint64_t>(largest + 1);
    const uint64_t window = uint64_t{1} << bits;
    const uint64_t half = window / 2;
    const uint64_t candidate = (expected & ~(window - 1)) | truncated;
    if (candidate + half <= expected && candidate < (uint64_t{1} << 62) - window)
        return candidate + window;
    if (candidate > expected + half && candidate >= window) return candidate - window;
    return candidate;
}

}  // namespace

bool read_varint(std::span<const uint8_t> bytes, size_t& at, uint64_t& value) noexcept {
    if (at >= bytes.size()) return false;
    const size_t length = size_t{1} << (bytes[at] >> 6);
    if (bytes.size() - at < length) return false;
    value = bytes[at] & 0x3f;
    for (size_t i = 1; i < length; ++i) value = value << 8 | bytes[at + i];
    at += length;
    return true;
}

bool known_version(uint32_t version) noexcept {
    return salt_of(version, 0) != nullptr;
}

size_t key_candidates(uint32_t version) noexcept {
    return reserved(version) ? 2 : known_version(version) ? 1 : 0;
}

uint64_t crypto_frame_type(uint32_t version) noexcept {
    // Google's T050 and T051 number their CRYPTO frame 0x08.
    return version == 0x54303530 || version == 0x54303531 ? 0x08 : 0x06;
}

HeaderResult parse_long_header(std::span<const uint8_t> d, LongHeader& out) noexcept {
    if (d.empty()) return HeaderResult::malformed;
    if ((d[0] & 0x80) == 0) return HeaderResult::short_header;
    if (d.size() < 7) return HeaderResult::malformed;
    out.version = uint32_t{d[1]} << 24 | uint32_t{d[2]} << 16 | uint32_t{d[3]} << 8 | d[4];
    if (out.version == 0) return HeaderResult::version_negotiation;
    if (!known_version(out.version)) return HeaderResult::unknown_version;
    out.type = type_of(out.version, static_cast<uint8_t>(d[0] >> 4));
    size_t at = 5;
    const size_t dcid_length = d[at++];
    if (dcid_length > kMaxConnectionId || d.size() - at < dcid_length + 1)
        return HeaderResult::malformed;
    out.dcid = d.subspan(at, dcid_length);
    at += dcid_length;
    const size_t scid_length = d[at++];
    if (scid_length > kMaxConnectionId || d.size() - at < scid_length)
        return HeaderResult::malformed;
    out.scid = d.subspan(at, scid_length);
    at += scid_length;
    if (out.type == PacketType::retry) {
        out.pn_offset = 0;
        out.end = d.size();
        return HeaderResult::ok;
    }
    uint64_t value = 0;
    if (out.type == PacketType::initial) {
        if (!read_varint(d, at, value) || value > d.size() - at) return HeaderResult::malformed;
        at += value;  // the token
    }
    if (!read_varint(d, at, value) || value > d.size() - at) return HeaderResult::malformed;
    out.pn_offset = at;
    out.end = at + value;
    return HeaderResult::ok;
}

InitialOpener::InitialOpener()
    : sha256_(EVP_MD_fetch(nullptr, "SHA256", nullptr)),
      digest_ctx_(EVP_MD_CTX_new()),
      gcm_ctx_(EVP_CIPHER_CTX_new()),
      ecb_ctx_(EVP_CIPHER_CTX_new()),
      gcm_(EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr)),
      ecb_(EVP_CIPHER_fetch(nullptr, "AES-128-ECB", nullptr)) {
    ready_ = gcm_ctx_ != nullptr && ecb_ctx_ != nullptr && gcm_ != nullptr && ecb_ != nullptr &&
             digest_ctx_ != nullptr && sha256_ != nullptr;
    for (size_t i = 0; i < kSalts && ready_; ++i)
        ready_ = prepare(salt_pads_[i], std::span(kSaltTable[i], 20));
    ready_ = ready_ && prepare(secret_pads_, {});
}

// Every HKDF step here is one HMAC-SHA256: Extract is HMAC keyed with the salt (a DCID may be
// empty after a Retry, which OpenSSL's HKDF refuses as input keying material but HMAC takes
// as data), and Expand for at most 32 bytes is its first block. HMAC is written out over
// reused digest contexts (RFC 2104): OpenSSL's KDF and MAC objects copy their parameters and
// rebuild digest contexts at every use (about 36 allocations per flow, 4.6 us). With the
// padded keys absorbed ahead, a derivation hashes 14 SHA-256 blocks instead of 20; each of
// its ten context copies costs OpenSSL 3.0 one allocation (a few hundred instructions
// against some 2,000 for a block).
bool InitialOpener::prepare(HmacPads& pads, std::span<const uint8_t> key) noexcept {
    constexpr size_t kBlock = 64;
    if (key.size() > kBlock) return false;  // salts and secrets here are 20 and 32 bytes
    if (!pads.inner) pads.inner.reset(EVP_MD_CTX_new());
    if (!pads.outer) pads.outer.reset(EVP_MD_CTX_new());
    if (!pads.inner || !pads.outer) return false;
    uint8_t pad[kBlock] = {};
    // The secret pads start from no key, and memcpy's source may not be null even for 0 bytes.
    if (!key.empty()) std::memcpy(pad, key.data(), key.size());
    const EVP_MD* const sha256 = sha256_.get();
    // Given the digest it already holds, EVP_DigestInit_ex2 would fetch and allocate anew.
    const auto init = [sha256](EVP_MD_CTX* ctx) {
        return EVP_DigestInit_ex2(ctx, EVP_MD_CTX_get0_md(ctx) == sha256 ? nullptr : sha256,
                                  nullptr) == 1;
    };
    for (uint8_t& byte : pad) byte ^= 0x36;
    bool ok = init(pads.inner.get()) && EVP_DigestUpdate(pads.inner.get(), pad, kBlock) == 1;
    for (uint8_t& byte : pad) byte ^= 0x36 ^ 0x5c;
    ok = ok && init(pads.outer.get()) && EVP_DigestUpdate(pads.outer.get(), pad, kBlock) == 1;
    OPENSSL_cleanse(pad, sizeof(pad));
    return ok;
}

bool InitialOpener::hmac(const HmacPads& pads, std::span<const uint8_t> data,
                         std::span<uint8_t, 32> out) noexcept {
    EVP_MD_CTX* const digest_ctx = digest_ctx_.get();
    unsigned int length = 0;
    return EVP_MD_CTX_copy_ex(digest_ctx, pads.inner.get()) == 1 &&
           (data.empty() || EVP_DigestUpdate(digest_ctx, data.data(), data.size()) == 1) &&
           EVP_DigestFinal_ex(digest_ctx, out.data(), &length) == 1 && length == out.size() &&
           EVP_MD_CTX_copy_ex(digest_ctx, pads.outer.get()) == 1 &&
           EVP_DigestUpdate(digest_ctx, out.data(), out.size()) == 1 &&
           EVP_DigestFinal_ex(digest_ctx, out.data(), &length) == 1 && length == out.size();
}

bool InitialOpener::hkdf_expand_label(const HmacPads& secret, const char* label,
                                      std::span<uint8_t> out) noexcept {
    uint8_t info[kMaxHkdfLabel + 1];
    if (out.size() > 32) return false;
    size_t at = hkdf_label(std::span(info).first<kMaxHkdfLabel>(), out.size(), label);
    if (at == 0) return false;
    info[at++] = 1;  // HKDF-Expand's block counter: one block is enough
    std::array<uint8_t, 32> block{};
    const bool ok = hmac(secret, std::span<const uint8_t>(info, at), block);
    std::memcpy(out.data(), block.data(), out.size());
    OPENSSL_cleanse(block.data(), block.size());
    return ok;
}

bool InitialOpener::derive_client(uint32_t version, std::span<const uint8_t> dcid, InitialKeys& out,
                                  size_t candidate) noexcept {
    const uint8_t* salt = salt_of(version, candidate);
    if (!ready_ || salt == nullptr || dcid.size() > kMaxConnectionId) return false;
    std::array<uint8_t, 32> initial{};
    std::array<uint8_t, 32> client{};
    const bool v2 = version == kVersion2;
    const bool ok = hmac(salt_pads_[salt_index(salt)], dcid, initial) &&  // HKDF-Extract
                    prepare(secret_pads_, initial) &&
                    hkdf_expand_label(secret_pads_, "client in", client) &&
                    prepare(secret_pads_, client) &&
                    hkdf_expand_label(secret_pads_, v2 ? "quicv2 key" : "quic key", out.key) &&
                    hkdf_expand_label(secret_pads_, v2 ? "quicv2 iv" : "quic iv", out.iv) &&
                    hkdf_expand_label(secret_pads_, v2 ? "quicv2 hp" : "quic hp", out.hp);
    OPENSSL_cleanse(initial.data(), initial.size());
    OPENSSL_cleanse(client.data(), client.size());
    return ok;
}

int InitialOpener::open(const InitialKeys& keys, const LongHeader& header,
                        std::span<const uint8_t> packet, int64_t largest,
                        std::span<uint8_t> plaintext, uint64_t& packet_number) noexcept {
    if (!ready_ || header.type != PacketType::initial || header.end > packet.size()) return -1;
    EVP_CIPHER_CTX* const ecb_ctx = ecb_ctx_.get();
    EVP_CIPHER_CTX* const gcm_ctx = gcm_ctx_.get();
    const EVP_CIPHER* const ecb = ecb_.get();
    const EVP_CIPHER* const gcm = gcm_.get();
    // The sample starts 4 bytes after the packet number's start, whatever its length.
    if (header.end < header.pn_offset + 4 + kSampleLength) return -1;
    if (header.pn_offset + 4 > header_.size()) return -1;
    uint8_t mask[kSampleLength + 16];
    int mask_length = 0;
    if (EVP_CIPHER_CTX_get0_cipher(ecb_ctx) != ecb &&
        EVP_EncryptInit_ex(ecb_ctx, ecb, nullptr, nullptr, nullptr) != 1)
        return -1;
    if (EVP_EncryptInit_ex(ecb_ctx, nullptr, nullptr, keys.hp.data(), nullptr) != 1 ||
        EVP_CIPHER_CTX_set_padding(ecb_ctx, 0) != 1 ||
        EVP_EncryptUpdate(ecb_ctx, mask, &mask_length, packet.data() + header.pn_offset + 4,
                          static_cast<int>(kSampleLength)) != 1 ||
        mask_length != static_cast<int>(kSampleLength))
        return -1;

    std::memcpy(header_.data(), packet.data(), header.pn_offset + 4);
    header_[0] ^= mask[0] & 0x0f;  // long header: the low four bits are protected
    const size_t pn_length = (header_[0] & 0x03) + 1;
    uint64_t truncated = 0;
    for (size_t i = 0; i < pn_length; ++i) {
        header_[header.pn_offset + i] ^= mask[1 + i];
        truncated = truncated << 8 | header_[header.pn_offset + i];
    }
    const size_t aad_length = header.pn_offset + pn_length;
    if (header.end < aad_length + kTagLength) return -1;
    const size_t length = header.end - aad_length - kTagLength;
    if (plaintext.size() < length) return -1;
    packet_number = recover_packet_number(largest, truncated, pn_length * 8);

    uint8_t nonce[12];
    std::memcpy(nonce, keys.iv.data(), sizeof(nonce));
    for (size_t i = 0; i < 8; ++i) nonce[11 - i] ^= static_cast<uint8_t>(packet_number >> (8 * i));

    if (EVP_CIPHER_CTX_get0_cipher(gcm_ctx) != gcm &&
        EVP_DecryptInit_ex(gcm_ctx, gcm, nullptr, nullptr, nullptr) != 1)
        return -1;
    int out = 0;
    int final_out = 0;
    const uint8_t* tag = packet.data() + header.end - kTagLength;
    const bool ok =
        EVP_DecryptInit_ex(gcm_ctx, nullptr, nullptr, keys.key.data(), nonce) == 1 &&
        EVP_DecryptUpdate(gcm_ctx, nullptr, &out, header_.data(), static_cast<int>(aad_length)) ==
            1 &&
        EVP_DecryptUpdate(gcm_ctx, plaintext.data(), &out, packet.data() + aad_length,
                          static_cast<int>(length)) == 1 &&
        EVP_CIPHER_CTX_ctrl(gcm_ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kTagLength),
                            const_cast<uint8_t*>(tag)) == 1 &&
        EVP_DecryptFinal_ex(gcm_ctx, plaintext.data() + out, &final_out) == 1;
    if (!ok) return -1;
    return out + final_out;
}

}  // namespace ottscope::tls::quic
