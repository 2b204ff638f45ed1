// The per-worker cache of decoded leaf certificates: what comes back from memory must be
// what decoding gives, whatever was evicted in between, and a DER OpenSSL rejects is
// remembered as rejected.

#include "classifiers/tls/certificate_cache.h"

#include <gtest/gtest.h>
#include <openssl/x509.h>

#include <string>
#include <vector>

#include "control/synth/test_pki.h"

namespace ottscope {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes der_of(const synth::ServerIdentity& identity) {
    unsigned char* out = nullptr;
    const int length = i2d_X509(identity.cert.get(), &out);
    EXPECT_GT(length, 0);
    Bytes der(out, out + length);
    OPENSSL_free(out);
    return der;
}

// Distinct leaves of the test CA, host0.example ... host<n-1>.example.
const std::vector<Bytes>& leaves() {
    static const std::vector<Bytes> all = [] {
        const synth::TestPki pki;
        std::vector<Bytes> out;
        for (int i = 0; i < 6; ++i) {
            const std::string host = "host" + std::to_string(i) + ".example";
            out.push_back(der_of(pki.issue_server(host, {host, "*." + host}, 100 + i)));
        }
        return out;
    }();
    return all;
}

void expect_same(const tls::CertificateInfo& a, const tls::CertificateInfo& b) {
    EXPECT_EQ(a.subject.view(), b.subject.view());
    EXPECT_EQ(a.issuer.view(), b.issuer.view());
    EXPECT_EQ(a.san_dns.view(), b.san_dns.view());
    EXPECT_EQ(a.not_before, b.not_before);
    EXPECT_EQ(a.not_after, b.not_after);
    EXPECT_EQ(a.sha1, b.sha1);
    EXPECT_EQ(a.sha256, b.sha256);
}

tls::CertificateInfo decoded(const Bytes& der) {
    tls::CertificateInfo info;
    EXPECT_TRUE(tls::parse_certificate(der, info));
    return info;
}

TEST(CertificateCache, SameCertificateTwiceIsAHitWithIdenticalFields) {
    tls::CertificateCache cache;
    const Bytes& der = leaves()[0];
    const tls::CertificateInfo* first = cache.decode(der);
    ASSERT_NE(first, nullptr);
    const tls::CertificateInfo copy = *first;
    EXPECT_EQ(cache.misses(), 1u);
    EXPECT_EQ(cache.hits(), 0u);
    // Another buffer with the same bytes, as from another flow.
    const Bytes again = der;
    const tls::CertificateInfo* second = cache.decode(again);
    ASSERT_NE(second, nullptr);
    EXPECT_EQ(cache.misses(), 1u);
    EXPECT_EQ(cache.hits(), 1u);
    expect_same(*second, copy);
    expect_same(*second, decoded(der));
    EXPECT_EQ(second->san_dns.view(), "host0.example,*.host0.example");
}

TEST(CertificateCache, DifferentCertificatesGiveTheirOwnFields) {
    tls::CertificateCache cache;
    for (const Bytes& der : leaves()) {
        const tls::CertificateInfo* info = cache.decode(der);
        ASSERT_NE(info, nullptr);
        expect_same(*info, decoded(der));
    }
    EXPECT_EQ(cache.misses(), leaves().size());
    for (const Bytes& der : leaves()) {
        const tls::CertificateInfo* info = cache.decode(der);
        ASSERT_NE(info, nullptr);
        expect_same(*info, decoded(der));
    }
    EXPECT_EQ(cache.hits(), leaves().size());
    EXPECT_NE(cache.decode(leaves()[0])->subject.view(), cache.decode(leaves()[1])->subject.view());
}

TEST(CertificateCache, EvictionWhenFullKeepsResultsCorrect) {
    // One set of four: six certificates cannot all stay.
    tls::CertificateCache cache(tls::CertificateCache::kWays);
    ASSERT_EQ(cache.capacity(), tls::CertificateCache::kWays);
    for (int round = 0; round < 3; ++round) {
        for (const Bytes& der : leaves()) {
            const tls::CertificateInfo* info = cache.decode(der);
            ASSERT_NE(info, nullptr);
            expect_same(*info, decoded(der));
        }
    }
    // Cycling through more than fit, least recently used first out: never a hit.
    EXPECT_EQ(cache.hits(), 0u);
    EXPECT_EQ(cache.misses(), 3 * leaves().size());
    // The most recently used stay.
    const uint64_t misses = cache.misses();
    for (size_t i = leaves().size() - tls::CertificateCache::kWays; i < leaves().size(); ++i) {
        const tls::CertificateInfo* info = cache.decode(leaves()[i]);
        ASSERT_NE(info, nullptr);
        expect_same(*info, decoded(leaves()[i]));
    }
    EXPECT_EQ(cache.misses(), misses);
}

TEST(CertificateCache, BrokenDerIsCachedAsAFailure) {
    tls::CertificateCache cache;
    Bytes broken(leaves()[0].begin(), leaves()[0].begin() + 40);
    EXPECT_EQ(cache.decode(broken), nullptr);
    EXPECT_EQ(cache.decode(broken), nullptr);
    EXPECT_EQ(cache.misses(), 1u);
    EXPECT_EQ(cache.hits(), 1u);
    // The whole certificate is not taken for its broken prefix.
    ASSERT_NE(cache.decode(leaves()[0]), nullptr);
    EXPECT_EQ(cache.misses(), 2u);
    // Junk, and nothing at all.
    const Bytes junk(300, 0xff);
    EXPECT_EQ(cache.decode(junk), nullptr);
    EXPECT_EQ(cache.decode({}), nullptr);
}

// The decoder skips the public key: it must accept, reject and read exactly as d2i_X509.
TEST(CertificateDecoder, AgreesWithD2iX509OnTruncatedAndCorruptedLeaves) {
    tls::CertificateDecoder decoder;
    const Bytes& leaf = leaves()[2];
    size_t accepted = 0;
    auto check = [&](const Bytes& der) {
        tls::CertificateInfo reference;
        tls::CertificateInfo fast;
        const bool ok = tls::parse_certificate(der, reference);
        ASSERT_EQ(decoder.decode(der, fast), ok);
        if (!ok) return;
        ++accepted;
        expect_same(fast, reference);
    };
    for (size_t length = 0; length <= leaf.size(); length += 7) {
        check(Bytes(leaf.begin(), leaf.begin() + static_cast<ptrdiff_t>(length)));
    }
    check(leaf);
    Bytes trailing = leaf;
    trailing.insert(trailing.end(), {0x30, 0x00, 0xff});
    check(trailing);
    for (size_t at = 0; at < leaf.size(); at += 5) {
        Bytes flipped = leaf;
        flipped[at] ^= 0x41;
        check(flipped);
    }
    EXPECT_GE(accepted, 2u);
}

// Entries keep their DER to compare with; a leaf too long to keep is keyed by its SHA-256.
TEST(CertificateCache, LeafLongerThanWhatEntriesKeepIsStillAHit) {
    const synth::TestPki pki;
    std::vector<std::string> names;
    for (int i = 0; i < 200; ++i) names.push_back("name" + std::to_string(i) + ".long.example");
    const Bytes long_leaf = der_of(pki.issue_server("long.example", names, 300));
    ASSERT_GT(long_leaf.size(), tls::CertificateCache::kMaxKeptDer);
    tls::CertificateCache cache;
    for (int round = 0; round < 2; ++round) {
        for (const Bytes* der : {&long_leaf, &leaves()[0]}) {
            const tls::CertificateInfo* info = cache.decode(*der);
            ASSERT_NE(info, nullptr);
            expect_same(*info, decoded(*der));
        }
    }
    EXPECT_EQ(cache.misses(), 2u);
    EXPECT_EQ(cache.hits(), 2u);
}

// Same length, one byte apart: the whole DER is compared, not only its hash.
TEST(CertificateCache, LeavesOfTheSameLengthAreToldApart) {
    tls::CertificateCache cache;
    const Bytes& a = leaves()[3];
    Bytes b = a;
    b[b.size() - 1] ^= 0x01;  // in the signature: decodes, other fingerprints
    ASSERT_NE(cache.decode(a), nullptr);
    const tls::CertificateInfo* info = cache.decode(b);
    ASSERT_NE(info, nullptr);
    EXPECT_EQ(cache.misses(), 2u);
    expect_same(*info, decoded(b));
    EXPECT_NE(info->sha256, decoded(a).sha256);
}

TEST(CertificateCache, MemoryIsTakenOnceAndStated) {
    const tls::CertificateCache cache;
    EXPECT_EQ(cache.capacity(), tls::CertificateCache::kDefaultCapacity);
    EXPECT_GT(cache.bytes(), cache.capacity() * (sizeof(tls::CertificateInfo) +
                                                 tls::CertificateCache::kMaxKeptDer));
    // The kept DERs' pages are only taken from the kernel as entries are first used.
    EXPECT_LT(cache.bytes(), size_t{6} << 20);
}

}  // namespace
}  // namespace ottscope
