#include "tls_decrypt.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <cstring>

#include "hkdf_label.h"

namespace ottscope::tls {
namespace {

constexpr size_t kTagLength = 16;
constexpr size_t kExplicitNonce = 8;  // TLS 1.2 GCM: per-record nonce part

void put_u64(uint8_t* out, uint64_t value) noexcept {
    for (int i = 7; i >= 0; --i) {
        out[i] = static_cast<uint8_t>(value);
        value >>= 8;
    }
}

const char* digest_name(bool sha384) noexcept {
    return sha384 ? "SHA384" : "SHA256";
}

}  // namespace

SuiteInfo suite_info(uint16_t suite) noexcept {
    switch (suite) {
        case 0x1301:  // TLS_AES_128_GCM_SHA256
        case 0x009C:
        case 0x009E:
        case 0x00A0:
        case 0x00A2:
        case 0x00A4:
        case 0x00A6:
        case 0x00A8:
        case 0x00AA:
        case 0x00AC:
        case 0xC02B:
        case 0xC02D:
        case 0xC02F:
        case 0xC031:
            return {Aead::aes128_gcm, false};
        case 0x1302:  // TLS_AES_256_GCM_SHA384
        case 0x009D:
        case 0x009F:
        case 0x00A1:
        case 0x00A3:
        case 0x00A5:
        case 0x00A7:
        case 0x00A9:
        case 0x00AB:
        case 0x00AD:
        case 0xC02C:
        case 0xC02E:
        case 0xC030:
        case 0xC032:
            return {Aead::aes256_gcm, true};
        case 0x1303:  // TLS_CHACHA20_POLY1305_SHA256
        case 0xCCA8:
        case 0xCCA9:
        case 0xCCAA:
        case 0xCCAB:
        case 0xCCAC:
        case 0xCCAD:
        case 0xCCAE:
            return {Aead::chacha20_poly1305, false};
        default:
            return {};
    }
}

size_t key_length(Aead aead) noexcept {
    return aead == Aead::aes128_gcm ? 16 : aead == Aead::none ? 0 : 32;
}

size_t tls12_iv_length(Aead aead) noexcept {
    return aead == Aead::chacha20_poly1305 ? 12 : 4;
}

bool tls13_inner(std::span<const uint8_t> plaintext, uint8_t& type, size_t& length) noexcept {
    size_t n = plaintext.size();
    while (n > 0 && plaintext[n - 1] == 0) --n;
    if (n == 0) return false;
    type = plaintext[n - 1];
    length = n - 1;
    return true;
}

Decryptor::Decryptor()
    : ctx_(EVP_CIPHER_CTX_new()),
      prf_(new_kdf_ctx("TLS1-PRF")),
      hkdf_(new_kdf_ctx("HKDF")),
      aes128_gcm_(EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr)),
      aes256_gcm_(EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr)),
      chacha_(EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr)) {
    ready_ = ctx_ != nullptr && aes128_gcm_ != nullptr && aes256_gcm_ != nullptr &&
             prf_ != nullptr && hkdf_ != nullptr;
}

const evp_cipher_st* Decryptor::cipher(Aead aead) const noexcept {
    switch (aead) {
        case Aead::aes128_gcm:
            return aes128_gcm_.get();
        case Aead::aes256_gcm:
            return aes256_gcm_.get();
        case Aead::chacha20_poly1305:
            return chacha_.get();
        case Aead::none:
            break;
    }
    return nullptr;
}

bool Decryptor::derive_tls12(SuiteInfo suite, std::span<const uint8_t> master,
                             std::span<const uint8_t, 32> client_random,
                             std::span<const uint8_t, 32> server_random, DirectionKeys& client,
                             DirectionKeys& server) noexcept {
    if (!ready_ || suite.aead == Aead::none || master.empty()) return false;
    static constexpr std::string_view kLabel = "key expansion";
    uint8_t seed[kLabel.size() + 64];
    std::memcpy(seed, kLabel.data(), kLabel.size());
    std::memcpy(seed + kLabel.size(), server_random.data(), 32);
    std::memcpy(seed + kLabel.size() + 32, client_random.data(), 32);
    const size_t key = key_length(suite.aead);
    const size_t iv = tls12_iv_length(suite.aead);
    uint8_t block[2 * 32 + 2 * 12];
    const size_t block_length = 2 * key + 2 * iv;  // AEAD suites: no MAC keys
    char* digest = const_cast<char*>(digest_name(suite.sha384));
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET,
                                          const_cast<uint8_t*>(master.data()), master.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, seed, sizeof(seed)),
        OSSL_PARAM_construct_end(),
    };
    EVP_KDF_CTX_reset(prf_.get());  // seeds given to this context accumulate otherwise
    const bool ok = EVP_KDF_derive(prf_.get(), block, block_length, params) == 1;
    if (ok) {
        std::memcpy(client.key, block, key);
        std::memcpy(server.key, block + key, key);
        std::memcpy(client.iv, block + 2 * key, iv);
        std::memcpy(server.iv, block + 2 * key + iv, iv);
        client.seq = 0;
        server.seq = 0;
    }
    OPENSSL_cleanse(block, sizeof(block));
    return ok;
}

bool Decryptor::hkdf_expand_label(bool sha384, std::span<const uint8_t> secret,
                                  std::string_view label, std::span<uint8_t> out) noexcept {
    uint8_t info[kMaxHkdfLabel];
    const size_t at = hkdf_label(info, out.size(), label);
    if (at == 0) return false;
    int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
    char* digest = const_cast<char*>(digest_name(sha384));
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(secret.data()),
                                          secret.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, at),
        OSSL_PARAM_construct_end(),
    };
    EVP_KDF_CTX_reset(hkdf_.get());
    return EVP_KDF_derive(hkdf_.get(), out.data(), out.size(), params) == 1;
}

bool Decryptor::derive_tls13(SuiteInfo suite, std::span<const uint8_t> secret,
                             DirectionKeys& out) noexcept {
    if (!ready_ || suite.aead == Aead::none || secret.empty()) return false;
    if (secret.size() != (suite.sha384 ? 48u : 32u)) return false;
    out.seq = 0;
    return hkdf_expand_label(suite.sha384, secret, "key",
                             std::span(out.key, key_length(suite.aead))) &&
           hkdf_expand_label(suite.sha384, secret, "iv", std::span(out.iv, 12));
}

int Decryptor::open(SuiteInfo suite, bool tls13, const DirectionKeys& keys,
                    std::span<const uint8_t, 5> header, std::span<const uint8_t> fragment,
                    std::span<uint8_t> plaintext) noexcept {
    const evp_cipher_st* algorithm = cipher(suite.aead);
    if (!ready_ || algorithm == nullptr) return -1;
    const bool explicit_nonce = !tls13 && suite.aead != Aead::chacha20_poly1305;
    const size_t overhead = kTagLength + (explicit_nonce ? kExplicitNonce : 0);
    if (fragment.size() < overhead) return -1;
    const size_t length = fragment.size() - overhead;
    if (plaintext.size() < length) return -1;

    uint8_t nonce[12];
    if (explicit_nonce) {
        std::memcpy(nonce, keys.iv, 4);
        std::memcpy(nonce + 4, fragment.data(), kExplicitNonce);
    } else {
        // The sequence number, left-padded to the IV length, XORed into the IV.
        std::memcpy(nonce, keys.iv, 12);
        uint8_t seq[8];
        put_u64(seq, keys.seq);
        for (size_t i = 0; i < 8; ++i) nonce[4 + i] ^= seq[i];
    }
    uint8_t aad[13];
    size_t aad_length = 0;
    if (tls13) {
        std::memcpy(aad, header.data(), 5);
        aad_length = 5;
    } else {
        put_u64(aad, keys.seq);
        aad[8] = header[0];
        aad[9] = header[1];
        aad[10] = header[2];
        aad[11] = static_cast<uint8_t>(length >> 8);
        aad[12] = static_cast<uint8_t>(length);
        aad_length = 13;
    }
    const std::span<const uint8_t> ciphertext =
        fragment.subspan(explicit_nonce ? kExplicitNonce : 0, length);
    const uint8_t* tag = fragment.data() + fragment.size() - kTagLength;

    // Setting the cipher again would rebuild OpenSSL's context (an allocation): only on a
    // change of algorithm.
    auto* ctx = ctx_.get();
    const EVP_CIPHER* current = EVP_CIPHER_CTX_get0_cipher(ctx);
    if (current != algorithm && EVP_DecryptInit_ex(ctx, algorithm, nullptr, nullptr, nullptr) != 1)
        return -1;
    int out = 0;
    int final_out = 0;
    const bool ok = EVP_DecryptInit_ex(ctx, nullptr, nullptr, keys.key, nonce) == 1 &&
                    EVP_DecryptUpdate(ctx, nullptr, &out, aad, static_cast<int>(aad_length)) == 1 &&
                    EVP_DecryptUpdate(ctx, plaintext.data(), &out, ciphertext.data(),
                                      static_cast<int>(ciphertext.size())) == 1 &&
                    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kTagLength),
                                        const_cast<uint8_t*>(tag)) == 1 &&
                    EVP_DecryptFinal_ex(ctx, plaintext.data() + out, &final_out) == 1;
    if (!ok) {
        OPENSSL_cleanse(plaintext.data(), length);
        return -1;
    }
    return out + final_out;
}

}  // namespace ottscope::tls
