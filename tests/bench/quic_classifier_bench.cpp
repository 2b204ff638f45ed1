// Cost of the TLS classifier's QUIC path, one core: per QUIC flow classified (the client
// Initial of RFC 9001 A.2 and of RFC 9369 A.2, 1200 bytes: Initial key derivation from the
// DCID, header protection, AES-128-GCM opening, frames, ClientHello, JA3/JA4, a `tls: sni`
// rule, the record annotation), and per packet of a UDP flow that is not QUIC.
//
//     build/tests/bench/quic_classifier_bench

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "classifiers/rule_set.h"
#include "classifiers/tls/quic_initial.h"
#include "classifiers/tls/tls_classifier.h"
#include "tests/classifiers/rule_test_support.h"
#include "tests/classifiers/tls/quic_rfc_vectors.h"

namespace ottscope {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes hex(std::string_view text) {
    Bytes out;
    for (size_t i = 0; i + 1 < text.size(); i += 2)
        out.push_back(static_cast<uint8_t>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16)));
    return out;
}

RuleSet sni_rules() {
    AppRule rule;
    rule.app = 600;
    RuleCondition condition;
    condition.tests.push_back(test::fact_test("tls", "sni", {"*.example.com", "example.com"}));
    rule.conditions.push_back(condition);
    rule.evidence = {1};
    rule.confidence = {Confidence::high};
    return RuleSet({rule}, 1, "bench");
}

const uint8_t kServer[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 10};

Progress offer(TlsClassifier& classifier, void*& state, Verdict& verdict, const Bytes& datagram,
               uint32_t packet, const RuleSet* rules) {
    PacketView view;
    view.ip_protocol = 17;
    view.payload = datagram;
    view.stream_flags = stream_flag::unavailable;
    view.flow_packets = packet;
    view.server_address = kServer;
    view.server_port = 443;
    view.rules = rules;
    return classifier.inspect(state, view, verdict);
}

void BM_QuicFlowClassified(benchmark::State& state) {
    const Bytes datagram = hex(state.range(0) == 2 ? test::quic_vectors::kV2ClientPacket
                                                   : test::quic_vectors::kV1ClientPacket);
    const RuleSet rules = sni_rules();
    TlsClassifier classifier(1);
    for (auto _ : state) {
        void* flow = nullptr;
        Verdict verdict;
        if (offer(classifier, flow, verdict, datagram, 1, &rules) != Progress::done ||
            verdict.app != 600)
            state.SkipWithError("the sample Initial was not classified");
        FlowAnnotations annotations;
        classifier.annotate(flow, annotations);
        benchmark::DoNotOptimize(annotations);
    }
    state.SetItemsProcessed(state.iterations());
    state.SetLabel(state.range(0) == 2 ? "QUIC v2" : "QUIC v1");
}
BENCHMARK(BM_QuicFlowClassified)->Arg(1)->Arg(2);

// The parts of a flow's cost: the Initial keys from the DCID, then opening the packet.
void BM_QuicInitialKeys(benchmark::State& state) {
    const Bytes dcid = hex(test::quic_vectors::kDcid);
    tls::quic::InitialOpener opener;
    tls::quic::InitialKeys keys;
    for (auto _ : state) {
        benchmark::DoNotOptimize(opener.derive_client(tls::quic::kVersion1, dcid, keys));
        benchmark::DoNotOptimize(keys);
    }
}
BENCHMARK(BM_QuicInitialKeys);

void BM_QuicInitialOpen(benchmark::State& state) {
    const Bytes packet = hex(test::quic_vectors::kV1ClientPacket);
    tls::quic::InitialOpener opener;
    tls::quic::InitialKeys keys;
    tls::quic::LongHeader header;
    (void)tls::quic::parse_long_header(packet, header);
    (void)opener.derive_client(tls::quic::kVersion1, header.dcid, keys);
    Bytes plaintext(2048);
    uint64_t pn = 0;
    for (auto _ : state)
        benchmark::DoNotOptimize(opener.open(keys, header, packet, -1, plaintext, pn));
}
BENCHMARK(BM_QuicInitialOpen);

// A UDP flow that is not QUIC (DNS): the classifier looks at each of its first packets and
// leaves without state after kMaxQuicProbePackets.
void BM_NonQuicUdpPacket(benchmark::State& state) {
    const Bytes dns = hex("123401000001000000000000076578616d706c6503636f6d0000010001");
    TlsClassifier classifier(1);
    size_t packets = 0;
    for (auto _ : state) {
        void* flow = nullptr;
        Verdict verdict;
        uint32_t packet = 0;
        while (offer(classifier, flow, verdict, dns, ++packet, nullptr) != Progress::done) {
        }
        packets += packet;
    }
    state.SetItemsProcessed(static_cast<int64_t>(packets));
}
BENCHMARK(BM_NonQuicUdpPacket);

}  // namespace
}  // namespace ottscope

BENCHMARK_MAIN();
