#pragma once

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

namespace ottscope::synth {

template <auto Free>
struct OpensslDeleter {
    template <typename T>
    void operator()(T* p) const {
        Free(p);
    }
};

using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OpensslDeleter<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, OpensslDeleter<X509_free>>;
using SslCtxPtr = std::unique_ptr<SSL_CTX, OpensslDeleter<SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, OpensslDeleter<SSL_free>>;

// Drains OpenSSL's thread-local error queue into one readable reason, so a failure names the
// library's own explanation rather than just the step that failed.
inline std::string openssl_error(const std::string& what) {
    std::string reason = what;
    while (unsigned long code = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(code, buf, sizeof(buf));
        reason += ": ";
        reason += buf;
    }
    return reason;
}

}  // namespace ottscope::synth
