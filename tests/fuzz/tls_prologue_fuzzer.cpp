// libFuzzer target for TLS after a cleartext prologue (classifiers/tls/tls_prologue.h). The
// input is a flow told as turns: byte 0 is the segment size - 1, byte 1 picks the dialogue
// the reader is forced into (0: as the first bytes say, like the classifier), then turns of
// [direction bit 7 | length high 7 bits][length low][bytes]; each turn is delivered in
// segments, the last one with FIN. The same flow goes through a forced PrologueReader (its
// shifted view must stay inside the packet it came from) and through the TLS classifier (its
// state must be freed once the flow is concluded and annotated).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "classifiers/tls/tls_classifier.h"
#include "classifiers/tls/tls_prologue.h"
#include "tests/classifiers/rule_test_support.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

bool inside(std::span<const uint8_t> part, std::span<const uint8_t> whole) {
    return part.empty() || (part.data() >= whole.data() &&
                            part.data() + part.size() <= whole.data() + whole.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ottscope;
    using fuzz::check;
    static TlsClassifier classifier(1);
    if (size < 2) return 0;
    const size_t segment = size_t{data[0]} + 1;
    const auto forced = static_cast<tls::PrologueKind>(data[1] % 8);

    // The packets: direction, the stream length after it.
    struct Packet {
        size_t direction;
        size_t end;
    };
    std::vector<uint8_t> streams[2];
    std::vector<Packet> packets;
    for (size_t at = 2; at + 2 <= size && packets.size() < 512;) {
        const size_t direction = size_t{data[at]} >> 7;
        const size_t length =
            std::min(size - at - 2, (size_t{data[at]} & 0x7f) << 8 | data[at + 1]);
        at += 2;
        for (size_t i = 0; i < length; i += segment) {
            const size_t n = std::min(segment, length - i);
            streams[direction].insert(streams[direction].end(), data + at + i, data + at + i + n);
            packets.push_back(Packet{direction, streams[direction].size()});
        }
        at += length;
    }

    tls::PrologueReader reader;
    if (forced != tls::PrologueKind::none) reader.begin(forced, Direction::client_to_server);
    void* state = nullptr;
    Verdict verdict;
    bool done = false;
    size_t delivered[2] = {0, 0};
    for (size_t i = 0; i < packets.size(); ++i) {
        const Packet& p = packets[i];
        PacketView view;
        view.ip_protocol = 6;
        view.direction = static_cast<Direction>(p.direction);
        view.stream = {streams[p.direction].data(), p.end};
        view.stream_new_offset = static_cast<uint32_t>(delivered[p.direction]);
        view.payload = view.stream.subspan(delivered[p.direction]);
        view.tcp_seq = (p.direction == 0 ? 0xfffff000u : 77u) + view.stream_new_offset;
        view.flow_packets = static_cast<uint32_t>(i + 1);
        if (i + 1 == packets.size()) view.stream_flags = stream_flag::fin;
        delivered[p.direction] = p.end;
        if (reader.present()) {
            PacketView shifted;
            if (reader.shift(view, shifted) == tls::PrologueStep::tls) {
                check(inside(shifted.stream, view.stream));
                check(shifted.stream.empty() || shifted.stream.data() + shifted.stream.size() ==
                                                    view.stream.data() + view.stream.size());
                check(shifted.stream_new_offset <= shifted.stream.size());
                check(inside(shifted.payload, view.payload));
            }
        }
        if (!done) done = classifier.inspect(state, view, verdict) == Progress::done;
    }
    fuzz::end_flow(classifier, state, verdict, done || packets.empty(), 6);
    return 0;
}
