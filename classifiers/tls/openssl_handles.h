#pragma once
// Owning handles for the OpenSSL objects a per-worker opener keeps for its lifetime (contexts
// and fetched algorithms), so that headers need no OpenSSL include: the deleters are defined
// in openssl_handles.cpp. get() is all the packet path ever calls on them.

#include <memory>

struct evp_cipher_ctx_st;
struct evp_cipher_st;
struct evp_md_ctx_st;
struct evp_md_st;
struct evp_kdf_ctx_st;

namespace ottscope::tls {

struct OpensslFree {
    void operator()(evp_cipher_ctx_st* p) const noexcept;
    void operator()(evp_cipher_st* p) const noexcept;
    void operator()(evp_md_ctx_st* p) const noexcept;
    void operator()(evp_md_st* p) const noexcept;
    void operator()(evp_kdf_ctx_st* p) const noexcept;
};

using CipherCtxPtr = std::unique_ptr<evp_cipher_ctx_st, OpensslFree>;
using CipherPtr = std::unique_ptr<evp_cipher_st, OpensslFree>;
using MdCtxPtr = std::unique_ptr<evp_md_ctx_st, OpensslFree>;
using MdPtr = std::unique_ptr<evp_md_st, OpensslFree>;
using KdfCtxPtr = std::unique_ptr<evp_kdf_ctx_st, OpensslFree>;

// A context of the KDF named `name` ("HKDF", "TLS1-PRF"); null when OpenSSL lacks it.
KdfCtxPtr new_kdf_ctx(const char* name) noexcept;

}  // namespace ottscope::tls
