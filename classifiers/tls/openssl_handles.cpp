#include "openssl_handles.h"

#include <openssl/evp.h>
#include <openssl/kdf.h>

namespace ottscope::tls {

void OpensslFree::operator()(evp_cipher_ctx_st* p) const noexcept {
    EVP_CIPHER_CTX_free(p);
}
void OpensslFree::operator()(evp_cipher_st* p) const noexcept {
    EVP_CIPHER_free(p);
}
void OpensslFree::operator()(evp_md_ctx_st* p) const noexcept {
    EVP_MD_CTX_free(p);
}
void OpensslFree::operator()(evp_md_st* p) const noexcept {
    EVP_MD_free(p);
}
void OpensslFree::operator()(evp_kdf_ctx_st* p) const noexcept {
    EVP_KDF_CTX_free(p);
}

KdfCtxPtr new_kdf_ctx(const char* name) noexcept {
    EVP_KDF* kdf = EVP_KDF_fetch(nullptr, name, nullptr);
    if (kdf == nullptr) return nullptr;
    // The context holds its own reference to the algorithm.
    KdfCtxPtr ctx(EVP_KDF_CTX_new(kdf));
    EVP_KDF_free(kdf);
    return ctx;
}

}  // namespace ottscope::tls
