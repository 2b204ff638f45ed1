// libFuzzer target for QUIC client Initials. Byte 0 picks what the rest is:
//   even: UDP datagrams of one flow, fed through the TLS classifier's UDP path (header walk,
//         key derivation, header protection, AEAD opening) as the worker would;
//   odd:  decrypted Initial payloads, fed to the frames walk and one CRYPTO stream, as if
//         each had authenticated (mutated packets almost never do), then the ClientHello.
// Each record: 1 byte (direction, bit 0), 2 bytes of length, the bytes. Besides "no crash,
// no sanitizer report", checks that the flow's state is freed once concluded and annotated.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "classifiers/tls/quic_crypto_stream.h"
#include "classifiers/tls/quic_frames.h"
#include "classifiers/tls/tls_classifier.h"
#include "classifiers/tls/tls_fingerprint.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

template <typename Visit>
void for_each_record(std::span<const uint8_t> input, Visit visit) {
    size_t at = 0;
    while (input.size() - at >= 3) {
        const uint8_t direction = input[at] & 1;
        const size_t length =
            std::min<size_t>(input.size() - at - 3, size_t{input[at + 1]} << 8 | input[at + 2]);
        visit(direction, input.subspan(at + 3, length));
        at += 3 + length;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ottscope;
    using fuzz::check;
    // Datagrams under 1,200 bytes are opened too, so that short inputs reach the crypto.
    static TlsClassifier classifier(1, nullptr, nullptr, nullptr,
                                    tls::CertificateCache::kDefaultCapacity,
                                    tls::DigestMemo::kDefaultEntries,
                                    /*quic_open_undersized=*/true);
    if (size < 1) return 0;
    const std::span<const uint8_t> records(data + 1, size - 1);
    if ((data[0] & 1) != 0) {
        static tls::quic::CryptoStream crypto;
        static tls::ClientHello hello;
        static tls::FingerprintScratch scratch;
        crypto.reset();
        for_each_record(records, [&](uint8_t direction, std::span<const uint8_t> payload) {
            (void)tls::quic::read_frames(payload, crypto, direction != 0 ? 0x08 : 0x06);
        });
        check(crypto.contiguous() <= tls::quic::CryptoStream::kCapacity);
        if (crypto.hello() == tls::quic::CryptoStream::Hello::complete) {
            check(crypto.body().size() + 4 <= crypto.contiguous());
            hello = tls::ClientHello{};
            (void)tls::parse_client_hello(crypto.body(), hello);
            tls::Ja4Text ja4{};
            tls::ja4(hello, scratch, ja4, true);
            check(ja4[0] == 'q');
        }
        return 0;
    }
    void* state = nullptr;
    Verdict verdict;
    uint32_t packets = 0;
    bool done = false;
    for_each_record(records, [&](uint8_t direction, std::span<const uint8_t> datagram) {
        if (done) return;
        PacketView view;
        view.ip_protocol = 17;
        view.direction = static_cast<Direction>(direction);
        view.payload = datagram;
        view.stream_flags = stream_flag::unavailable;
        view.flow_packets = ++packets;
        done = classifier.inspect(state, view, verdict) == Progress::done;
    });
    fuzz::end_flow(classifier, state, verdict, done, 17);
    return 0;
}
