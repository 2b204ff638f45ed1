#include "test_pki.h"

#include <openssl/ec.h>
#include <openssl/x509v3.h>

#include "synth_error.h"

namespace ottscope::synth {

namespace {

EvpPkeyPtr generate_p256_key() {
    EvpPkeyPtr key(EVP_EC_gen("P-256"));
    if (!key) throw SynthError(openssl_error("cannot generate a P-256 key"));
    return key;
}

void check(int rc, const char* what) {
    if (rc != 1) throw SynthError(openssl_error(what));
}

X509_NAME* make_name(const std::string& common_name) {
    X509_NAME* name = X509_NAME_new();
    const auto add = [&](const char* field, const std::string& value) {
        check(X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                         reinterpret_cast<const unsigned char*>(value.c_str()), -1,
                                         -1, 0),
              "cannot build a certificate name");
    };
    add("O", "ottscope");
    add("CN", common_name);
    return name;
}

void add_extension(X509* cert, X509V3_CTX& ctx, int nid, const std::string& value) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (ext == nullptr) throw SynthError(openssl_error("cannot build extension " + value));
    const int rc = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    check(rc, "cannot add a certificate extension");
}

// Everything except the extensions, which need the issuer certificate in their context.
X509Ptr make_cert_skeleton(const std::string& subject_cn, X509_NAME* issuer, EVP_PKEY* key,
                           long serial, std::time_t not_before, std::time_t not_after) {
    X509Ptr cert(X509_new());
    if (!cert) throw SynthError(openssl_error("cannot allocate a certificate"));
    check(X509_set_version(cert.get(), X509_VERSION_3), "cannot set the certificate version");
    check(ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial), "cannot set the serial");
    if (ASN1_TIME_set(X509_getm_notBefore(cert.get()), not_before) == nullptr ||
        ASN1_TIME_set(X509_getm_notAfter(cert.get()), not_after) == nullptr) {
        throw SynthError(openssl_error("cannot set the certificate validity"));
    }
    X509_NAME* subject = make_name(subject_cn);
    const int rc = X509_set_subject_name(cert.get(), subject);
    X509_NAME_free(subject);
    check(rc, "cannot set the certificate subject");
    check(X509_set_issuer_name(cert.get(),
                               issuer != nullptr ? issuer : X509_get_subject_name(cert.get())),
          "cannot set the certificate issuer");
    check(X509_set_pubkey(cert.get(), key), "cannot set the certificate key");
    return cert;
}

void sign(X509* cert, EVP_PKEY* issuer_key) {
    if (X509_sign(cert, issuer_key, EVP_sha256()) <= 0) {
        throw SynthError(openssl_error("cannot sign a certificate"));
    }
}

}  // namespace

TestPki::TestPki() : ca_key_(generate_p256_key()) {
    ca_cert_ = make_cert_skeleton("ottscope test CA", nullptr, ca_key_.get(), 1, kCaNotBefore,
                                  kCaNotAfter);
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, ca_cert_.get(), ca_cert_.get(), nullptr, nullptr, 0);
    add_extension(ca_cert_.get(), ctx, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(ca_cert_.get(), ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
    add_extension(ca_cert_.get(), ctx, NID_subject_key_identifier, "hash");
    sign(ca_cert_.get(), ca_key_.get());
}

ServerIdentity TestPki::issue_server(const std::string& common_name,
                                     const std::vector<std::string>& dns_names, long serial) const {
    ServerIdentity identity{generate_p256_key(), nullptr};
    identity.cert = make_cert_skeleton(common_name, X509_get_subject_name(ca_cert_.get()),
                                       identity.key.get(), serial, kLeafNotBefore, kLeafNotAfter);
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, ca_cert_.get(), identity.cert.get(), nullptr, nullptr, 0);
    std::string san;
    for (const std::string& dns : dns_names) {
        san += (san.empty() ? "DNS:" : ",DNS:") + dns;
    }
    add_extension(identity.cert.get(), ctx, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(identity.cert.get(), ctx, NID_key_usage, "critical,digitalSignature");
    add_extension(identity.cert.get(), ctx, NID_ext_key_usage, "serverAuth");
    add_extension(identity.cert.get(), ctx, NID_subject_alt_name, san);
    add_extension(identity.cert.get(), ctx, NID_subject_key_identifier, "hash");
    add_extension(identity.cert.get(), ctx, NID_authority_key_identifier, "keyid:always");
    sign(identity.cert.get(), ca_key_.get());
    return identity;
}

}  // namespace ottscope::synth
