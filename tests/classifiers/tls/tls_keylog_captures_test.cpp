// The TLS classifier with a key log, fed the reassembled streams of real sessions from the
// shared corpus (../shared/pcaps/keylog, read in place): SIP calls inside TLS 1.2
// (AES-256-GCM) and TLS 1.3, and an HTTPS page that must not pass for SIP. Skipped when the
// corpus is absent.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "classifiers/generation.h"
#include "classifiers/registry.h"
#include "classifiers/tls/tls_classifier.h"
#include "dataplane/counters.h"
#include "pcap_session.h"
#include "tests/classifiers/rule_test_support.h"

namespace ottscope {
namespace {

using test::read_session;
using test::Session;

std::string keylog_dir() {
    const char* env = std::getenv("OTTSCOPE_SHARED");
    const char* root = std::getenv("OTTSCOPE_SOURCE_ROOT");
    const std::string shared =
        env != nullptr ? env
                       : std::string(root != nullptr ? root : OTTSCOPE_SOURCE_ROOT) + "/../shared";
    const std::string dir = shared + "/pcaps/keylog";
    struct stat info {};
    return stat((dir + "/sip_call_tls12.pcap").c_str(), &info) == 0 ? dir : std::string();
}

struct Outcome {
    Verdict verdict;
    std::string decrypted;
    ClassifierCounters block{kTlsMetrics, kMaxApps};
    TlsDecryptCounters counters{block};
};

// `late`: a key log put in force (as a reload does) after `late_after` segments.
void run(const Session& session, std::shared_ptr<const tls::KeyLog> keylog, Outcome& outcome,
         std::shared_ptr<const tls::KeyLog> late = nullptr, size_t late_after = 0) {
    TlsClassifier classifier(1, nullptr, std::move(keylog), &outcome.block);
    const FlowAnnotations annotations =
        test::replay(classifier, session, outcome.verdict, [&](size_t fed) {
            if (late == nullptr || fed != late_after) return;
            Generation generation;
            generation.tls_keylog = late;
            classifier.adopt(generation, 0);
        });
    outcome.decrypted = std::string(test::record_field(annotations, "tls", "decrypted"));
    EXPECT_EQ(classifier.state_bytes_in_use(), 0u);
}

class KeyLogCapture : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = keylog_dir();
        if (dir_.empty()) GTEST_SKIP() << "../shared/pcaps/keylog is absent";
    }
    Session session(const std::string& name) {
        auto read = read_session(dir_ + "/" + name + ".pcap");
        EXPECT_TRUE(read.has_value()) << name;
        return read.value_or(Session{});
    }
    std::shared_ptr<const tls::KeyLog> keys(const std::string& name) {
        const tls::KeyLogParse parsed = tls::load_keylog_file(dir_ + "/" + name + ".keys");
        EXPECT_TRUE(parsed.read_error.empty()) << parsed.read_error;
        EXPECT_EQ(parsed.malformed, 0u);
        EXPECT_EQ(parsed.keylog->size(), 1u);
        return parsed.keylog;
    }
    std::string dir_;
};

TEST_F(KeyLogCapture, SipCallInsideTls12IsConfirmed) {
    Outcome outcome;
    run(session("sip_call_tls12"), keys("sip_call_tls12"), outcome);
    EXPECT_EQ(outcome.decrypted, "sip");
    EXPECT_EQ(outcome.counters.flows(DecryptedAs::sip).read(), 1u);
    EXPECT_GE(outcome.counters.records().read(), 1u);
}

TEST_F(KeyLogCapture, SipCallInsideTls13IsConfirmed) {
    Outcome outcome;
    run(session("sip_call_tls13"), keys("sip_call_tls13"), outcome);
    EXPECT_EQ(outcome.decrypted, "sip");
    EXPECT_EQ(outcome.counters.flows(DecryptedAs::sip).read(), 1u);
}

TEST_F(KeyLogCapture, WebPageInsideTls13IsNotSip) {
    Outcome outcome;
    run(session("web_tls13"), keys("web_tls13"), outcome);
    EXPECT_EQ(outcome.decrypted, "not_sip");
    EXPECT_EQ(outcome.counters.flows(DecryptedAs::not_sip).read(), 1u);
    EXPECT_EQ(outcome.counters.flows(DecryptedAs::sip).read(), 0u);
    EXPECT_EQ(outcome.verdict.confidence, Confidence::none);
}

TEST_F(KeyLogCapture, WithoutKeysNothingIsDecrypted) {
    for (const char* name : {"sip_call_tls12", "sip_call_tls13"}) {
        Outcome outcome;
        run(session(name), nullptr, outcome);
        EXPECT_EQ(outcome.decrypted, "") << name;
        EXPECT_EQ(outcome.counters.flows(DecryptedAs::sip).read() +
                      outcome.counters.flows(DecryptedAs::not_sip).read() +
                      outcome.counters.flows(DecryptedAs::failed).read(),
                  0u);
    }
}

TEST_F(KeyLogCapture, AnotherSessionsKeysAreNotThisOnes) {
    // The key log holds only the web session: the SIP flow is not looked inside at all.
    Outcome outcome;
    run(session("sip_call_tls13"), keys("web_tls13"), outcome);
    EXPECT_EQ(outcome.decrypted, "");
}

TEST_F(KeyLogCapture, SecretsLoggedAfterTheHandshakeStillOpenTheFlow) {
    // Clients log while they connect and the file is re-read once a second: the flow waits
    // (bounded) for a newer key log and decrypts the records kept since the start.
    const auto empty = tls::parse_keylog("", "empty.keys").keylog;
    for (const char* name : {"sip_call_tls12", "sip_call_tls13"}) {
        const Session sip = session(name);
        Outcome outcome;
        run(sip, empty, outcome, keys(name), sip.segments.size() - 4);
        EXPECT_EQ(outcome.decrypted, "sip") << name;
    }
}

TEST_F(KeyLogCapture, WrongSecretsForTheRightSessionFail) {
    // The SIP session's client random with secrets that do not belong to it.
    const Session sip = session("sip_call_tls13");
    ASSERT_GE(sip.streams[0].size(), 43u);
    std::string text = "CLIENT_TRAFFIC_SECRET_0 ";
    static constexpr char kHex[] = "0123456789abcdef";
    for (size_t i = 11; i < 43; ++i) {  // record header 5, handshake header 4, version 2
        text += kHex[sip.streams[0][i] >> 4];
        text += kHex[sip.streams[0][i] & 15];
    }
    const std::string random_hex = text.substr(24);
    text += " " + std::string(96, '7') + "\nSERVER_TRAFFIC_SECRET_0 " + random_hex + " " +
            std::string(96, '7') + "\n";
    const tls::KeyLogParse wrong = tls::parse_keylog(text, "wrong.keys");
    ASSERT_EQ(wrong.malformed, 0u);
    Outcome outcome;
    run(sip, wrong.keylog, outcome);
    EXPECT_EQ(outcome.decrypted, "failed");
    EXPECT_EQ(outcome.counters.flows(DecryptedAs::failed).read(), 1u);
}

}  // namespace
}  // namespace ottscope
