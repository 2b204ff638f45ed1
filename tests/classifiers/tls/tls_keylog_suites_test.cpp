// The key log path for every suite it opens, without the shared corpus: a real OpenSSL
// client and server (test CA from the synthesizer) talk SIP through memory BIOs, the
// client's key log callback writes the SSLKEYLOGFILE lines, and the classifier gets the bytes
// as reassembled streams. TLS 1.2 and 1.3, AES-128/256-GCM and ChaCha20-Poly1305; a SIP
// message cut across two records; HTTP inside is not SIP.

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <string>
#include <vector>

#include "classifiers/tls/tls_classifier.h"
#include "control/synth/test_pki.h"
#include "dataplane/counters.h"
#include "pcap_session.h"
#include "tests/classifiers/rule_test_support.h"

namespace ottscope {
namespace {

std::string* g_keylog = nullptr;  // the callback has no user pointer; tests run one at a time

void log_key(const SSL* /*ssl*/, const char* line) {
    if (g_keylog != nullptr) *g_keylog += std::string(line) + "\n";
}

struct Suite {
    const char* name;
    int version;
    const char* cipher;  // TLS 1.2 cipher list or TLS 1.3 ciphersuites
};

class Conversation {
public:
    explicit Conversation(const Suite& suite) {
        static const synth::TestPki pki;
        static const synth::ServerIdentity identity =
            pki.issue_server("sip.example.net", {"sip.example.net"}, 11);
        client_ctx_ = SSL_CTX_new(TLS_client_method());
        server_ctx_ = SSL_CTX_new(TLS_server_method());
        for (SSL_CTX* ctx : {client_ctx_, server_ctx_}) {
            SSL_CTX_set_min_proto_version(ctx, suite.version);
            SSL_CTX_set_max_proto_version(ctx, suite.version);
            if (suite.version == TLS1_3_VERSION)
                SSL_CTX_set_ciphersuites(ctx, suite.cipher);
            else
                SSL_CTX_set_cipher_list(ctx, suite.cipher);
        }
        SSL_CTX_use_certificate(server_ctx_, identity.cert.get());
        SSL_CTX_use_PrivateKey(server_ctx_, identity.key.get());
        SSL_CTX_set_keylog_callback(client_ctx_, log_key);
        client_ = make(client_ctx_);
        server_ = make(server_ctx_);
        SSL_set_connect_state(client_);
        SSL_set_accept_state(server_);
        g_keylog = &keylog_;
        for (int round = 0; round < 10; ++round) {
            const bool client_done = SSL_do_handshake(client_) == 1;
            pump();
            const bool server_done = SSL_do_handshake(server_) == 1;
            pump();
            if (client_done && server_done) break;
        }
        g_keylog = nullptr;
    }
    ~Conversation() {
        SSL_free(client_);
        SSL_free(server_);
        SSL_CTX_free(client_ctx_);
        SSL_CTX_free(server_ctx_);
    }
    Conversation(const Conversation&) = delete;
    Conversation& operator=(const Conversation&) = delete;

    // One SSL_write per piece: one record each.
    void send(bool from_client, const std::vector<std::string>& pieces) {
        SSL* ssl = from_client ? client_ : server_;
        for (const std::string& piece : pieces)
            EXPECT_EQ(SSL_write(ssl, piece.data(), static_cast<int>(piece.size())),
                      static_cast<int>(piece.size()));
        pump();
        char sink[4096];
        while (SSL_read(from_client ? server_ : client_, sink, sizeof(sink)) > 0) {
        }
        pump();
    }

    [[nodiscard]] const test::Session& session() const { return session_; }
    [[nodiscard]] const std::string& keylog() const { return keylog_; }

private:
    static SSL* make(SSL_CTX* ctx) {
        SSL* ssl = SSL_new(ctx);
        SSL_set_bio(ssl, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
        return ssl;
    }
    // Moves what each end wrote to the other, recording it as a segment of its stream.
    void pump() {
        for (int direction = 0; direction < 2; ++direction) {
            SSL* from = direction == 0 ? client_ : server_;
            SSL* to = direction == 0 ? server_ : client_;
            char buffer[16384];
            int n = 0;
            while ((n = BIO_read(SSL_get_wbio(from), buffer, sizeof(buffer))) > 0) {
                std::vector<uint8_t>& stream = session_.streams[direction];
                stream.insert(stream.end(), buffer, buffer + n);
                session_.segments.push_back({static_cast<uint8_t>(direction), stream.size(), 0});
                BIO_write(SSL_get_rbio(to), buffer, n);
            }
        }
    }

    SSL_CTX* client_ctx_ = nullptr;
    SSL_CTX* server_ctx_ = nullptr;
    SSL* client_ = nullptr;
    SSL* server_ = nullptr;
    std::string keylog_;
    test::Session session_;
};

const std::string kInvite =
    "INVITE sip:bob@example.net SIP/2.0\r\n"
    "Via: SIP/2.0/TLS 192.0.2.1:5061;branch=z9hG4bK776asdhds\r\n"
    "Max-Forwards: 70\r\n"
    "To: Bob <sip:bob@example.net>\r\n"
    "From: Alice <sip:alice@example.net>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.example.net\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sips:alice@192.0.2.1:5061>\r\n"
    "Content-Length: 0\r\n\r\n";
const std::string kTrying =
    "SIP/2.0 100 Trying\r\n"
    "Via: SIP/2.0/TLS 192.0.2.1:5061;branch=z9hG4bK776asdhds\r\n"
    "To: Bob <sip:bob@example.net>\r\n"
    "From: Alice <sip:alice@example.net>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.example.net\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Content-Length: 0\r\n\r\n";

std::string decrypted(const Conversation& talk, bool with_keys = true) {
    std::shared_ptr<const tls::KeyLog> keylog;
    if (with_keys) {
        const tls::KeyLogParse parsed = tls::parse_keylog(talk.keylog(), "callback");
        EXPECT_EQ(parsed.malformed, 0u);
        EXPECT_EQ(parsed.keylog->size(), 1u);
        keylog = parsed.keylog;
    }
    ClassifierCounters block{kTlsMetrics, kMaxApps};
    TlsDecryptCounters counters{block};
    TlsClassifier classifier(1, nullptr, keylog, &block);
    const test::Session& session = talk.session();
    return std::string(test::record_field(replay(classifier, session), "tls", "decrypted"));
}

class EverySuite : public ::testing::TestWithParam<Suite> {};

TEST_P(EverySuite, SipInsideIsConfirmed) {
    Conversation talk(GetParam());
    ASSERT_FALSE(talk.keylog().empty()) << ERR_error_string(ERR_get_error(), nullptr);
    talk.send(true, {kInvite});
    talk.send(false, {kTrying});
    EXPECT_EQ(decrypted(talk), "sip");
    EXPECT_EQ(decrypted(talk, false), "");
}

TEST_P(EverySuite, HttpInsideIsNotSip) {
    Conversation talk(GetParam());
    talk.send(true, {"GET / HTTP/1.1\r\nHost: www.example.org\r\n\r\n"});
    talk.send(false, {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"});
    EXPECT_EQ(decrypted(talk), "not_sip");
}

TEST_P(EverySuite, KeepAlivesFirstThenAMessageCutAcrossRecords) {
    // CRLF keep-alives are skipped; a message whose headers span two records is not
    // complete in either: the complete one after it decides.
    Conversation talk(GetParam());
    talk.send(true, {"\r\n\r\n", kInvite.substr(0, 60), kInvite.substr(60), kInvite});
    EXPECT_EQ(decrypted(talk), "sip");
}

INSTANTIATE_TEST_SUITE_P(
    Suites, EverySuite,
    ::testing::Values(Suite{"tls12_aes128gcm", TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256"},
                      Suite{"tls12_aes256gcm", TLS1_2_VERSION, "ECDHE-ECDSA-AES256-GCM-SHA384"},
                      Suite{"tls12_chacha20", TLS1_2_VERSION, "ECDHE-ECDSA-CHACHA20-POLY1305"},
                      Suite{"tls13_aes128gcm", TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256"},
                      Suite{"tls13_aes256gcm", TLS1_3_VERSION, "TLS_AES_256_GCM_SHA384"},
                      Suite{"tls13_chacha20", TLS1_3_VERSION, "TLS_CHACHA20_POLY1305_SHA256"}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace ottscope
