// HTTP classifier cost per flow: a TU Me history upload (headers and a JSON body) and its
// answer, fed as a reassembled stream in 1448-byte segments, and a TLS stream given up on
// at its first bytes. No rules: the cost of parsing and JSON inspection alone.

#include <benchmark/benchmark.h>

#include <string>

#include "classifiers/http/http_classifier.h"
#include "classifiers/http/json_shape.h"

namespace ottscope {
namespace {

std::string history_request(size_t calls) {
    std::string body = R"({"msisdn":"+34600000001","since":"2025-12-31T00:00:00Z","calls":[)";
    for (size_t i = 0; i < calls; ++i)
        body += std::string(i ? "," : "") +
                R"({"peer":"+34600000101","direction":"incoming","durationSeconds":12})";
    body += "]}";
    return "POST /v1/history HTTP/1.1\r\nHost: api.tumeapp.com\r\nUser-Agent: TuMe/3.2.1\r\n"
           "Content-Type: application/json\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
}

const std::string kResponse =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n"
    "{\"status\":\"ok\"}";

void feed(HttpClassifier& classifier, const std::string& client, const std::string& server) {
    void* state = nullptr;
    Verdict verdict;
    uint32_t packets = 0;
    Progress progress = Progress::need_more;
    const std::string* sides[2] = {&client, &server};
    for (size_t d = 0; d < 2 && progress == Progress::need_more; ++d) {
        const std::string& bytes = *sides[d];
        for (size_t at = 0; at < bytes.size() && progress == Progress::need_more; at += 1448) {
            PacketView view;
            view.direction = static_cast<Direction>(d);
            view.ip_protocol = 6;
            view.flow_packets = ++packets;
            view.stream = {reinterpret_cast<const uint8_t*>(bytes.data()),
                           std::min(bytes.size(), at + 1448)};
            view.stream_new_offset = static_cast<uint32_t>(at);
            progress = classifier.inspect(state, view, verdict);
        }
    }
    if (progress == Progress::need_more) classifier.conclude(state, PacketView{}, verdict);
}

void BM_HistoryUpload(benchmark::State& state) {
    HttpClassifier classifier(1, nullptr);
    const std::string request = history_request(static_cast<size_t>(state.range(0)));
    for (auto _ : state) feed(classifier, request, kResponse);
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                            static_cast<int64_t>(request.size() + kResponse.size()));
}
BENCHMARK(BM_HistoryUpload)->Arg(2)->Arg(40)->Arg(400);

void BM_TlsGivenUp(benchmark::State& state) {
    HttpClassifier classifier(1, nullptr);
    const std::string hello("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);
    for (auto _ : state) feed(classifier, hello, "");
}
BENCHMARK(BM_TlsGivenUp);

void BM_JsonScanner(benchmark::State& state) {
    const std::string request = history_request(40);
    const std::string body = request.substr(request.find("\r\n\r\n") + 4);
    for (auto _ : state) {
        JsonScanner scanner;
        JsonShape shape;
        scanner.feed(body, shape);
        benchmark::DoNotOptimize(shape);
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_JsonScanner);

}  // namespace
}  // namespace ottscope

BENCHMARK_MAIN();
