#pragma once
// Decryption of TLS application data records with logged secrets (see tls_keylog.h), for
// looking inside flows under examination. AEAD suites only: AES-GCM (TLS 1.2 and 1.3) and
// ChaCha20-Poly1305. Keys come from the TLS 1.2 PRF over the master secret, or from
// HKDF-Expand-Label over a TLS 1.3 traffic secret; records are opened with OpenSSL 3 EVP.
//
// The Decryptor holds the OpenSSL objects and is per worker (scratch, reused for every
// flow); per-flow state is the plain DirectionKeys, which the caller keeps in its own pool.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "openssl_handles.h"
#include "tls_keylog.h"

namespace ottscope::tls {

enum class Aead : uint8_t { none, aes128_gcm, aes256_gcm, chacha20_poly1305 };

struct SuiteInfo {
    Aead aead = Aead::none;
    bool sha384 = false;  // PRF / HKDF hash: SHA-384, else SHA-256
};

// What a negotiated cipher suite means for decryption; aead none: not one we can open.
SuiteInfo suite_info(uint16_t cipher_suite) noexcept;

struct DirectionKeys {
    uint8_t key[32] = {};
    uint8_t iv[12] = {};  // TLS 1.2 GCM: the 4-byte implicit part; otherwise the 12-byte IV
    uint64_t seq = 0;
};

class Decryptor {
public:
    Decryptor();
    Decryptor(const Decryptor&) = delete;
    Decryptor& operator=(const Decryptor&) = delete;

    // False when OpenSSL lacks what we need (then nothing is ever decrypted).
    [[nodiscard]] bool ready() const noexcept { return ready_; }

    // TLS 1.2: the key block from the master secret and both hello randoms.
    bool derive_tls12(SuiteInfo suite, std::span<const uint8_t> master,
                      std::span<const uint8_t, 32> client_random,
                      std::span<const uint8_t, 32> server_random, DirectionKeys& client,
                      DirectionKeys& server) noexcept;
    // TLS 1.3: write key and IV from one direction's traffic secret.
    bool derive_tls13(SuiteInfo suite, std::span<const uint8_t> secret,
                      DirectionKeys& out) noexcept;

    // Opens one record (header: the 5 record-header bytes; fragment: the record body) at
    // keys.seq into `plaintext` (at least fragment.size() bytes). Returns the plaintext
    // length, or -1 when the record does not authenticate. TLS 1.3 plaintext still ends with
    // the inner content type and padding. Does not advance keys.seq.
    int open(SuiteInfo suite, bool tls13, const DirectionKeys& keys,
             std::span<const uint8_t, 5> header, std::span<const uint8_t> fragment,
             std::span<uint8_t> plaintext) noexcept;

private:
    bool hkdf_expand_label(bool sha384, std::span<const uint8_t> secret, std::string_view label,
                           std::span<uint8_t> out) noexcept;
    [[nodiscard]] const evp_cipher_st* cipher(Aead aead) const noexcept;

    CipherCtxPtr ctx_;
    KdfCtxPtr prf_;
    KdfCtxPtr hkdf_;
    CipherPtr aes128_gcm_;
    CipherPtr aes256_gcm_;
    CipherPtr chacha_;
    bool ready_ = false;
};

// Key length of an AEAD, and the IV bytes a TLS 1.2 key block carries for it.
size_t key_length(Aead aead) noexcept;
size_t tls12_iv_length(Aead aead) noexcept;

// The inner content type of a TLS 1.3 plaintext (last non-zero byte) and the content length
// before it; false when the plaintext is all padding.
bool tls13_inner(std::span<const uint8_t> plaintext, uint8_t& type, size_t& length) noexcept;

}  // namespace ottscope::tls
