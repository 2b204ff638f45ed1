#include "tls_certificate.h"

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>

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

}  // namespace

bool parse_certificate(std::span<const uint8_t> der, CertificateInfo& out) noexcept {
    const unsigned char* at = der.data();
    std::unique_ptr<X509, X509Free> cert(d2i_X509(nullptr, &at, static_cast<long>(der.size())));
    if (!cert) return false;
    name_text(X509_get_subject_name(cert.get()), out.subject);
    name_text(X509_get_issuer_name(cert.get()), out.issuer);
    out.not_before = unix_time(X509_get0_notBefore(cert.get()));
    out.not_after = unix_time(X509_get0_notAfter(cert.get()));
    unsigned int length = 0;
    X509_digest(cert.get(), EVP_sha1(), out.sha1.data(), &length);
    X509_digest(cert.get(), EVP_sha256(), out.sha256.data(), &length);

    out.san_dns.clear();
    std::unique_ptr<GENERAL_NAMES, NamesFree> names(static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr)));
    if (names) {
        for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
            const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
            if (name->type != GEN_DNS) continue;
            const ASN1_IA5STRING* dns = name->d.dNSName;
            if (!out.san_dns.empty()) out.san_dns.append(",");
            append_printable(out.san_dns, ASN1_STRING_get0_data(dns), ASN1_STRING_length(dns));
        }
    }
    return true;
}

}  // namespace ottscope::tls
