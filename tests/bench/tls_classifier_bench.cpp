// Cost of the TLS classifier: per TLS flow classified (a real OpenSSL handshake from the
// synthesizer's TlsPair, delivered in 1460-byte segments: ClientHello, ServerHello,
// Certificate, ... until the classifier decides, then the record annotation), and per packet
// of a flow that is not TLS (the classifier looks at the first bytes once and leaves).
//
//     build/tests/bench/tls_classifier_bench

#include <benchmark/benchmark.h>
#include <openssl/ssl.h>

#include <string>
#include <vector>

#include "classifiers/rule_set.h"
#include "classifiers/tls/tls_classifier.h"
#include "classifiers/tls/tls_handshake.h"
#include "tests/classifiers/rule_test_support.h"

namespace ottscope {
namespace {

using Bytes = std::vector<uint8_t>;

using test::Transcript;

RuleSet jajah_rules() {
    AppRule rule;
    rule.app = 600;
    RuleCondition condition;
    RuleTest test = test::fact_test("tls", "cert_san", {"*.jajah.com"});
    condition.tests.push_back(test);
    rule.conditions.push_back(condition);
    rule.evidence = {1};
    rule.confidence = {Confidence::high};
    return RuleSet({rule}, 1, "bench");
}

// One flow: client segments, then server segments, until the classifier is done.
size_t classify_flow(TlsClassifier& classifier, const Transcript& t, const RuleSet* rules) {
    constexpr size_t kSegment = 1460;
    void* state = nullptr;
    Verdict verdict;
    uint32_t packets = 0;
    bool done = false;
    const Bytes* streams[2] = {&t.client, &t.server};
    size_t delivered[2] = {0, 0};
    static const uint8_t server[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 10};
    for (size_t d = 0; d < 2 && !done; ++d) {
        while (!done && delivered[d] < streams[d]->size()) {
            const size_t from = delivered[d];
            delivered[d] = std::min(streams[d]->size(), from + kSegment);
            PacketView view;
            view.ip_protocol = 6;
            view.direction = static_cast<Direction>(d);
            view.stream = {streams[d]->data(), delivered[d]};
            view.payload = view.stream.subspan(from);
            view.stream_new_offset = static_cast<uint32_t>(from);
            view.flow_packets = ++packets;
            view.server_address = server;
            view.server_port = 443;
            view.rules = rules;
            done = classifier.inspect(state, view, verdict) == Progress::done;
        }
    }
    FlowAnnotations annotations;
    classifier.annotate(state, annotations);
    benchmark::DoNotOptimize(annotations);
    return packets;
}

void BM_TlsFlowClassified(benchmark::State& state) {
    const Transcript t = test::real_handshake(
        "sip.jajah.com", state.range(0) == 12 ? TLS1_2_VERSION : TLS1_3_VERSION, "h2");
    const RuleSet rules = jajah_rules();
    TlsClassifier classifier(1);
    size_t packets = 0;
    for (auto _ : state) packets += classify_flow(classifier, t, &rules);
    state.counters["packets_per_flow"] =
        static_cast<double>(packets) / static_cast<double>(state.iterations());
    state.SetItemsProcessed(state.iterations());
    state.SetLabel(state.range(0) == 12 ? "TLS 1.2, leaf certificate parsed"
                                        : "TLS 1.3, ends at ServerHello");
}
BENCHMARK(BM_TlsFlowClassified)->Arg(12)->Arg(13);

// A flow that is not TLS: a SYN (no payload yet), then the first payload packet, at which
// the classifier leaves the flow (the worker then stops calling it).
void BM_NonTlsFlowPackets(benchmark::State& state) {
    const std::string request = "GET /index.html HTTP/1.1\r\nHost: www.example.org\r\n\r\n";
    const Bytes bytes(request.begin(), request.end());
    TlsClassifier classifier(1);
    for (auto _ : state) {
        void* flow_state = nullptr;
        Verdict verdict;
        PacketView syn;
        syn.ip_protocol = 6;
        syn.flow_packets = 1;
        benchmark::DoNotOptimize(classifier.inspect(flow_state, syn, verdict));
        PacketView data;
        data.ip_protocol = 6;
        data.flow_packets = 3;
        data.stream = bytes;
        data.payload = bytes;
        benchmark::DoNotOptimize(classifier.inspect(flow_state, data, verdict));
    }
    state.SetItemsProcessed(state.iterations() * 2);  // packets
}
BENCHMARK(BM_NonTlsFlowPackets);

}  // namespace
}  // namespace ottscope

BENCHMARK_MAIN();
