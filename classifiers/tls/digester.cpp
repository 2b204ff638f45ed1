#include "digester.h"

#include <openssl/evp.h>

#include <new>

namespace ottscope::tls {

Digester::Digester()
    : algorithms_{EVP_MD_fetch(nullptr, "MD5", nullptr), EVP_MD_fetch(nullptr, "SHA1", nullptr),
                  EVP_MD_fetch(nullptr, "SHA256", nullptr)},
      context_(EVP_MD_CTX_new()) {
    for (const evp_md_st* algorithm : algorithms_) {
        if (algorithm == nullptr || context_ == nullptr) {
            release();
            throw std::bad_alloc();  // startup only: built with its classifier, before any packet
        }
    }
}

Digester::~Digester() {
    release();
}

void Digester::release() noexcept {
    EVP_MD_CTX_free(context_);
    context_ = nullptr;
    for (evp_md_st*& algorithm : algorithms_) {
        EVP_MD_free(algorithm);
        algorithm = nullptr;
    }
}

unsigned Digester::digest(Algorithm algorithm, std::span<const uint8_t> bytes,
                          uint8_t* out) noexcept {
    unsigned int length = 0;
    if (EVP_DigestInit_ex2(context_, algorithms_[static_cast<size_t>(algorithm)], nullptr) != 1 ||
        EVP_DigestUpdate(context_, bytes.data(), bytes.size()) != 1 ||
        EVP_DigestFinal_ex(context_, out, &length) != 1)
        return 0;
    return length;
}

}  // namespace ottscope::tls
