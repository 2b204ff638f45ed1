#include "tls_certificate.h"

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/provider.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>
#include <new>

namespace ottscope::tls {
namespace {

struct X509Free {
    void operator()(X509* cert) const noexcept { X509_free(cert); }
};
struct NamesFree {
    void operator()(GENERAL_NAMES* names) const noexcept { GENERAL_NAMES_free(names); }
};

// Certificate text is attacker-chosen: anything outside printable ASCII becomes '?', so the
// values are safe to put in JSON and rules see plain text.
template <size_t N>
void append_printable(FixedText<N>& out, const unsigned char* data, int length) {
    for (int i = 0; i < length; ++i) {
        const char c = data[i] >= 0x20 && data[i] < 0x7f ? static_cast<char>(data[i]) : '?';
        out.append({&c, 1});
    }
}

template <size_t N>
void name_text(const X509_NAME* name, FixedText<N>& out) {
    out.clear();
    const int count = X509_NAME_entry_count(name);
    for (int i = 0; i < count; ++i) {
        const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
        const int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry));
        const char* key = nid == NID_undef ? "?" : OBJ_nid2sn(nid);
        if (i != 0) out.append(", ");
        out.append(key);
        out.append("=");
        unsigned char* utf8 = nullptr;
        const int length = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
        if (length > 0) append_printable(out, utf8, length);
        OPENSSL_free(utf8);
    }
}

int64_t unix_time(const ASN1_TIME* when) {
    std::tm parts{};
    if (when == nullptr || ASN1_TIME_to_tm(when, &parts) != 1) return 0;
    return static_cast<int64_t>(timegm(&parts));
}

// What both decoders read from a certificate, digests apart.
void read_fields(X509* cert, CertificateInfo& out) {
    name_text(X509_get_subject_name(cert), out.subject);
    name_text(X509_get_issuer_name(cert), out.issuer);
    out.not_before = unix_time(X509_get0_notBefore(cert));
    out.not_after = unix_time(X509_get0_notAfter(cert));

    out.san_dns.clear();
    std::unique_ptr<GENERAL_NAMES, NamesFree> names(static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
    if (names) {
        for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
            const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
            if (name->type != GEN_DNS) continue;
            const ASN1_IA5STRING* dns = name->d.dNSName;
            if (!out.san_dns.empty()) out.san_dns.append(",");
            append_printable(out.san_dns, ASN1_STRING_get0_data(dns), ASN1_STRING_length(dns));
        }
    }
}

}  // namespace

bool parse_certificate(std::span<const uint8_t> der, CertificateInfo& out) noexcept {
    const unsigned char* at = der.data();
    std::unique_ptr<X509, X509Free> cert(d2i_X509(nullptr, &at, static_cast<long>(der.size())));
    if (!cert) return false;
    read_fields(cert.get(), out);
    unsigned int length = 0;
    X509_digest(cert.get(), EVP_sha1(), out.sha1.data(), &length);
    X509_digest(cert.get(), EVP_sha256(), out.sha256.data(), &length);
    return true;
}

CertificateDecoder::CertificateDecoder()
    : keyless_(OSSL_LIB_CTX_new()),
      null_provider_(keyless_ != nullptr ? OSSL_PROVIDER_load(keyless_, "null") : nullptr) {
    if (null_provider_ == nullptr) {
        release();
        throw std::bad_alloc();  // startup only: built with the classifier, before any packet
    }
}

CertificateDecoder::~CertificateDecoder() {
    release();
}

void CertificateDecoder::release() noexcept {
    if (null_provider_ != nullptr) OSSL_PROVIDER_unload(null_provider_);
    OSSL_LIB_CTX_free(keyless_);
}

bool CertificateDecoder::sha256(std::span<const uint8_t> bytes,
                                std::array<uint8_t, 32>& out) noexcept {
    return digests_.digest(Digester::Algorithm::sha256, bytes, out.data()) == out.size();
}

// d2i_X509 decodes the subject's public key on the way, through OpenSSL 3's decoder
// machinery, which costs some eight times the rest of the certificate; nothing here reads
// the key. In a library context whose only provider is "null" that step finds no decoder
// and gives up early. OpenSSL makes it opportunistic (a key it cannot decode leaves the
// certificate readable), so the same DER is accepted or rejected as by d2i_X509.
bool CertificateDecoder::decode(std::span<const uint8_t> der, CertificateInfo& out) noexcept {
    const unsigned char* at = der.data();
    // The key's failed decoding leaves errors behind, which concern no one.
    ERR_set_mark();
    std::unique_ptr<X509, X509Free> cert(reinterpret_cast<X509*>(ASN1_item_d2i_ex(
        nullptr, &at, static_cast<long>(der.size()), ASN1_ITEM_rptr(X509), keyless_, nullptr)));
    ERR_pop_to_mark();
    if (!cert) return false;
    read_fields(cert.get(), out);
    // The fingerprints are over the certificate's encoding as read (X509_digest would take
    // the digests in the keyless context, which has none).
    const std::span<const uint8_t> read = der.first(static_cast<size_t>(at - der.data()));
    return digests_.digest(Digester::Algorithm::sha1, read, out.sha1.data()) == out.sha1.size() &&
           sha256(read, out.sha256);
}

}  // namespace ottscope::tls
