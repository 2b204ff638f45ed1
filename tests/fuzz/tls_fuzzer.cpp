// libFuzzer target for the TLS classifier: the input is a flow's two reassembled streams
// (byte 0: segment size, bytes 1-2: length of the client stream, then the client stream and
// the server stream), delivered a segment at a time, alternating, as the worker would. Also
// runs the hello parsers on the raw input. Besides "no crash, no sanitizer report", checks
// that every flow's state is freed once it is concluded and annotated.

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "classifiers/tls/tls_classifier.h"
#include "tests/classifiers/rule_test_support.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ottscope;
    using fuzz::check;
    static TlsClassifier classifier(1);
    if (size < 3) return 0;
    {
        tls::ClientHello hello;
        (void)tls::parse_client_hello({data, size}, hello);
        tls::ServerHello server;
        (void)tls::parse_server_hello({data, size}, server);
    }
    const size_t segment = size_t{data[0]} + 1;
    const size_t client_length = std::min<size_t>(size - 3, size_t{data[1]} << 8 | data[2]);
    const std::span<const uint8_t> streams[2] = {
        {data + 3, client_length}, {data + 3 + client_length, size - 3 - client_length}};
    size_t delivered[2] = {0, 0};
    void* state = nullptr;
    Verdict verdict;
    uint32_t packets = 0;
    bool done = false;
    while (!done && (delivered[0] < streams[0].size() || delivered[1] < streams[1].size())) {
        for (size_t d = 0; d < 2 && !done; ++d) {
            if (delivered[d] >= streams[d].size()) continue;
            const size_t from = delivered[d];
            delivered[d] = std::min(streams[d].size(), from + segment);
            PacketView view;
            view.ip_protocol = 6;
            view.direction = static_cast<Direction>(d);
            view.stream = streams[d].first(delivered[d]);
            view.payload = view.stream.subspan(from);
            view.stream_new_offset = static_cast<uint32_t>(from);
            view.flow_packets = ++packets;
            done = classifier.inspect(state, view, verdict) == Progress::done;
        }
    }
    const FlowAnnotations annotations = fuzz::end_flow(classifier, state, verdict, done, 6);
    check(test::record_field(annotations, "tls", "sni").size() < 128);
    return 0;
}
