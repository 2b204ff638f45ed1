#include "tls_pair.h"

#include <openssl/bio.h>
#include <openssl/x509_vfy.h>

#include <array>

#include "synth_error.h"

namespace ottscope::synth {

namespace {

void check(int rc, const std::string& what) {
    if (rc != 1) throw SynthError(openssl_error(what));
}

constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:"
    "ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384:ECDHE-ECDSA-AES128-SHA256:"
    "ECDHE-RSA-AES128-SHA256";
constexpr const char* kTls13Suites =
    "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256";
constexpr const char* kGroups = "X25519:P-256:X448:P-521:P-384";
constexpr const char* kSignatureAlgorithms =
    "ECDSA+SHA256:ECDSA+SHA384:ECDSA+SHA512:ed25519:ed448:rsa_pss_pss_sha256:rsa_pss_pss_sha384:"
    "rsa_pss_rsae_sha256:rsa_pss_rsae_sha384:RSA+SHA256:RSA+SHA384:RSA+SHA512";

int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void* arg) {
    const auto* ours = static_cast<const Bytes*>(arg);
    unsigned char* selected = nullptr;
    if (SSL_select_next_proto(&selected, outlen, ours->data(),
                              static_cast<unsigned int>(ours->size()), in,
                              inlen) != OPENSSL_NPN_NEGOTIATED) {
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
}

SslCtxPtr make_ctx(const SSL_METHOD* method, int max_version) {
    SslCtxPtr ctx(SSL_CTX_new(method));
    if (!ctx) throw SynthError(openssl_error("cannot create an SSL_CTX"));
    check(SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION), "cannot set TLS versions");
    check(SSL_CTX_set_max_proto_version(ctx.get(), max_version), "cannot set TLS versions");
    // Pinned rather than inherited from the host's openssl.cnf, so that a seed gives the same
    // ClientHello and ServerHello on every machine.
    check(SSL_CTX_set_cipher_list(ctx.get(), kTls12Ciphers), "cannot set TLS 1.2 ciphers");
    check(SSL_CTX_set_ciphersuites(ctx.get(), kTls13Suites), "cannot set TLS 1.3 suites");
    check(SSL_CTX_set1_groups_list(ctx.get(), kGroups), "cannot set key-exchange groups");
    check(SSL_CTX_set1_sigalgs_list(ctx.get(), kSignatureAlgorithms),
          "cannot set signature algorithms");
    SSL_CTX_set_security_level(ctx.get(), 2);
    // Tickets carry the issue time; the session cache stamps sessions with it.
    SSL_CTX_set_options(ctx.get(), SSL_OP_NO_TICKET);
    SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
    return ctx;
}

SslPtr make_ssl(SSL_CTX* ctx) {
    SslPtr ssl(SSL_new(ctx));
    if (!ssl) throw SynthError(openssl_error("cannot create an SSL"));
    BIO* rbio = BIO_new(BIO_s_mem());
    BIO* wbio = BIO_new(BIO_s_mem());
    if (rbio == nullptr || wbio == nullptr) {
        BIO_free(rbio);
        BIO_free(wbio);
        throw SynthError(openssl_error("cannot create memory BIOs"));
    }
    SSL_set_bio(ssl.get(), rbio, wbio);  // the SSL owns both from here
    return ssl;
}

}  // namespace

TlsPair::TlsPair(const TestPki& pki, const ServerIdentity& server, const TlsPairConfig& config)
    : client_ctx_(make_ctx(TLS_client_method(), config.max_version)),
      server_ctx_(make_ctx(TLS_server_method(), TLS1_3_VERSION)) {
    if (!config.alpn.empty()) {
        alpn_wire_.push_back(static_cast<uint8_t>(config.alpn.size()));
        alpn_wire_.insert(alpn_wire_.end(), config.alpn.begin(), config.alpn.end());
    }

    check(SSL_CTX_use_certificate(server_ctx_.get(), server.cert.get()),
          "cannot load the server certificate");
    check(SSL_CTX_use_PrivateKey(server_ctx_.get(), server.key.get()),
          "cannot load the server key");
    check(SSL_CTX_set_num_tickets(server_ctx_.get(), 0), "cannot disable TLS 1.3 tickets");
    if (!alpn_wire_.empty()) {
        SSL_CTX_set_alpn_select_cb(server_ctx_.get(), select_alpn, &alpn_wire_);
    }

    check(X509_STORE_add_cert(SSL_CTX_get_cert_store(client_ctx_.get()), pki.ca_cert()),
          "cannot trust the test CA");
    SSL_CTX_set_verify(client_ctx_.get(), SSL_VERIFY_PEER, nullptr);

    client_ = make_ssl(client_ctx_.get());
    server_ = make_ssl(server_ctx_.get());
    SSL_set_connect_state(client_.get());
    SSL_set_accept_state(server_.get());

    check(SSL_set_tlsext_host_name(client_.get(), config.server_name.c_str()),
          "cannot set SNI " + config.server_name);
    check(SSL_set1_host(client_.get(), config.server_name.c_str()),
          "cannot set the verified host name");
    X509_VERIFY_PARAM_set_time(SSL_get0_param(client_.get()), config.verify_time);
    // Unlike everything else in OpenSSL, SSL_set_alpn_protos returns 0 on success.
    if (!alpn_wire_.empty() && SSL_set_alpn_protos(client_.get(), alpn_wire_.data(),
                                                   static_cast<unsigned>(alpn_wire_.size())) != 0) {
        throw SynthError(openssl_error("cannot offer ALPN " + config.alpn));
    }
}

bool TlsPair::step_handshake(Side side) {
    SSL* s = ssl(side);
    if (SSL_is_init_finished(s)) return true;
    const int rc = SSL_do_handshake(s);
    if (rc == 1) return true;
    const int err = SSL_get_error(s, rc);
    if (err == SSL_ERROR_WANT_READ) return false;
    std::string what =
        side == Side::kClient ? "TLS client handshake failed" : "TLS server handshake failed";
    const long verify = SSL_get_verify_result(client_.get());
    if (verify != X509_V_OK)
        what += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
    throw SynthError(openssl_error(what));
}

void TlsPair::write(Side side, std::string_view plaintext) {
    if (plaintext.empty()) return;
    size_t written = 0;
    if (SSL_write_ex(ssl(side), plaintext.data(), plaintext.size(), &written) != 1 ||
        written != plaintext.size()) {
        throw SynthError(openssl_error("SSL_write failed"));
    }
}

std::string TlsPair::read(Side side) {
    std::string plaintext;
    std::array<char, 16384> buf;
    for (;;) {
        size_t got = 0;
        const int rc = SSL_read_ex(ssl(side), buf.data(), buf.size(), &got);
        if (rc == 1) {
            plaintext.append(buf.data(), got);
            continue;
        }
        const int err = SSL_get_error(ssl(side), rc);
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_ZERO_RETURN) return plaintext;
        throw SynthError(openssl_error("SSL_read failed"));
    }
}

void TlsPair::shutdown(Side side) {
    if (SSL_shutdown(ssl(side)) < 0) throw SynthError(openssl_error("SSL_shutdown failed"));
}

Bytes TlsPair::take_output(Side side) {
    BIO* wbio = SSL_get_wbio(ssl(side));
    Bytes out(static_cast<size_t>(BIO_ctrl_pending(wbio)));
    if (!out.empty() &&
        BIO_read(wbio, out.data(), static_cast<int>(out.size())) != static_cast<int>(out.size())) {
        throw SynthError(openssl_error("cannot drain a memory BIO"));
    }
    return out;
}

void TlsPair::deliver(Side side, std::span<const uint8_t> bytes) {
    if (bytes.empty()) return;
    if (BIO_write(SSL_get_rbio(ssl(side)), bytes.data(), static_cast<int>(bytes.size())) !=
        static_cast<int>(bytes.size())) {
        throw SynthError(openssl_error("cannot fill a memory BIO"));
    }
}

}  // namespace ottscope::synth
