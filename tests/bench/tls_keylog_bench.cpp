// Cost of looking inside TLS with a key log, per examined flow: the TLS classifier run over
// a real session's reassembled streams (../shared/pcaps/keylog, read in place) with its
// secrets, against the same flow without a key log (handshake only); the difference is what
// decryption adds per flow (key derivation, the records opened, the SIP parse). Also the
// primitives alone: key derivation per flow, and opening one record.
//
//     build/tests/bench/tls_keylog_bench [--benchmark_filter=...]
//
// Needs ../shared (or OTTSCOPE_SHARED); without it every benchmark reports an error.

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <map>
#include <string>

#include "classifiers/tls/pcap_session.h"
#include "classifiers/tls/tls_classifier.h"
#include "classifiers/tls/tls_decrypt.h"
#include "dataplane/counters.h"
#include "tests/classifiers/rule_test_support.h"

namespace ottscope {
namespace {

std::string keylog_dir() {
    const char* env = std::getenv("OTTSCOPE_SHARED");
    return std::string(env != nullptr ? env : OTTSCOPE_SOURCE_ROOT "/../shared") + "/pcaps/keylog";
}

struct Capture {
    test::Session session;
    std::shared_ptr<const tls::KeyLog> keys;
    bool ok = false;
};

const Capture& capture(const std::string& name) {
    static std::map<std::string, Capture> loaded;
    auto [at, fresh] = loaded.try_emplace(name);
    if (fresh) {
        const auto session = test::read_session(keylog_dir() + "/" + name + ".pcap");
        const tls::KeyLogParse keys = tls::load_keylog_file(keylog_dir() + "/" + name + ".keys");
        at->second.ok = session.has_value() && keys.read_error.empty() && keys.keylog->size() == 1;
        if (session) at->second.session = *session;
        at->second.keys = keys.keylog;
    }
    return at->second;
}

// One flow through the classifier, as the worker would feed it; true when decrypted as SIP.
bool classify(TlsClassifier& classifier, const test::Session& session) {
    return test::record_field(replay(classifier, session), "tls", "decrypted") == "sip";
}

void flow(benchmark::State& state, const char* name, bool with_keys) {
    const Capture& c = capture(name);
    if (!c.ok) {
        state.SkipWithError("../shared/pcaps/keylog is absent");
        return;
    }
    ClassifierCounters block{kTlsMetrics, kMaxApps};
    TlsDecryptCounters counters{block};
    TlsClassifier classifier(1, nullptr, with_keys ? c.keys : nullptr, &block);
    for (auto _ : state) benchmark::DoNotOptimize(classify(classifier, c.session));
    const bool sip = std::string(name).rfind("sip", 0) == 0;
    const uint64_t expected = with_keys ? static_cast<uint64_t>(state.iterations()) : 0;
    if (counters.flows(sip ? DecryptedAs::sip : DecryptedAs::not_sip).read() != expected)
        state.SkipWithError("a flow was not decided as its capture says");
    state.counters["records_per_flow"] = state.iterations() == 0
                                             ? 0
                                             : static_cast<double>(counters.records().read()) /
                                                   static_cast<double>(state.iterations());
    state.SetItemsProcessed(state.iterations());
}

void BM_Tls12SipFlowWithKeys(benchmark::State& s) {
    flow(s, "sip_call_tls12", true);
}
void BM_Tls12SipFlowHandshakeOnly(benchmark::State& s) {
    flow(s, "sip_call_tls12", false);
}
void BM_Tls13SipFlowWithKeys(benchmark::State& s) {
    flow(s, "sip_call_tls13", true);
}
void BM_Tls13SipFlowHandshakeOnly(benchmark::State& s) {
    flow(s, "sip_call_tls13", false);
}
void BM_Tls13WebFlowWithKeys(benchmark::State& s) {
    flow(s, "web_tls13", true);
}
void BM_Tls13WebFlowHandshakeOnly(benchmark::State& s) {
    flow(s, "web_tls13", false);
}
BENCHMARK(BM_Tls12SipFlowWithKeys);
BENCHMARK(BM_Tls12SipFlowHandshakeOnly);
BENCHMARK(BM_Tls13SipFlowWithKeys);
BENCHMARK(BM_Tls13SipFlowHandshakeOnly);
BENCHMARK(BM_Tls13WebFlowWithKeys);
BENCHMARK(BM_Tls13WebFlowHandshakeOnly);

// Primitives: the key schedule per flow, and one 400-byte record (a SIP INVITE's size).
void BM_DeriveTls12(benchmark::State& state) {
    tls::Decryptor decryptor;
    const std::array<uint8_t, 48> master{1};
    const std::array<uint8_t, 32> random{2};
    tls::DirectionKeys client, server;
    for (auto _ : state)
        benchmark::DoNotOptimize(decryptor.derive_tls12(tls::suite_info(0xC030), master, random,
                                                        random, client, server));
}
BENCHMARK(BM_DeriveTls12);

void BM_DeriveTls13BothDirections(benchmark::State& state) {
    tls::Decryptor decryptor;
    const std::array<uint8_t, 48> secret{3};
    tls::DirectionKeys keys;
    for (auto _ : state) {
        benchmark::DoNotOptimize(decryptor.derive_tls13(tls::suite_info(0x1302), secret, keys));
        benchmark::DoNotOptimize(decryptor.derive_tls13(tls::suite_info(0x1302), secret, keys));
    }
}
BENCHMARK(BM_DeriveTls13BothDirections);

void BM_OpenRecord400(benchmark::State& state) {
    // A record that fails authentication costs the same work as one that passes.
    tls::Decryptor decryptor;
    tls::DirectionKeys keys;
    std::array<uint8_t, 5> header{23, 3, 3, 1, 160};
    std::vector<uint8_t> fragment(416, 0x5a);
    std::vector<uint8_t> plaintext(fragment.size());
    const tls::SuiteInfo suite = tls::suite_info(0x1302);
    for (auto _ : state)
        benchmark::DoNotOptimize(decryptor.open(suite, true, keys, header, fragment, plaintext));
    state.SetBytesProcessed(state.iterations() * 400);
}
BENCHMARK(BM_OpenRecord400);

}  // namespace
}  // namespace ottscope

BENCHMARK_MAIN();
