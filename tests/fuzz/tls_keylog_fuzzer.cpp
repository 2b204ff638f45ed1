// libFuzzer target for looking inside TLS with a key log: the input is read as key log text
// (parse_keylog), and as a flow's two protected streams walked by the InnerExaminer with
// secrets that exist for it (byte 0: segment size, byte 1: suite and version choice, bytes
// 2-3: length of the client stream, then both streams). Records with hostile lengths, types
// and versions, and authentication failures at every point, must end in a result, never a
// crash; every per-flow block is released.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "classifiers/sip_over_tls/tls_inner.h"

namespace {

void check(bool holds) {
    if (!holds) __builtin_trap();
}

std::shared_ptr<const ottscope::tls::KeyLog> secrets() {
    const std::string random(64, 'a');
    const std::string text = "CLIENT_RANDOM " + random + " " + std::string(96, '1') +
                             "\nCLIENT_TRAFFIC_SECRET_0 " + random + " " + std::string(64, '2') +
                             "\nSERVER_TRAFFIC_SECRET_0 " + random + " " + std::string(64, '3') +
                             "\n";
    return ottscope::tls::parse_keylog(text, "fuzz").keylog;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ottscope::tls;
    {
        const KeyLogParse parsed =
            parse_keylog({reinterpret_cast<const char*>(data), size}, "fuzz");
        check(parsed.keylog != nullptr && parsed.errors.size() <= parsed.malformed);
    }
    if (size < 4) return 0;
    static InnerExaminer examiner;
    static bool ready = false;
    if (!ready) {
        (void)examiner.exchange_keylog(secrets());
        ready = true;
    }
    static constexpr std::array<uint16_t, 4> kSuites = {0x1301, 0x1303, 0xC02F, 0xCCA8};
    SessionParams session;
    session.client_random.fill(0xaa);
    session.cipher_suite = kSuites[data[1] & 3];
    session.tls13 = (data[1] & 3) < 2;
    session.client_direction = (data[1] >> 2) & 1;
    bool retry = false;
    InnerFlow* flow = examiner.start(session, retry);
    check(flow != nullptr);
    const size_t segment = size_t{data[0]} + 1;
    const size_t client_length = std::min<size_t>(size - 4, size_t{data[2]} << 8 | data[3]);
    const std::span<const uint8_t> streams[2] = {
        {data + 4, client_length}, {data + 4 + client_length, size - 4 - client_length}};
    size_t delivered[2] = {0, 0};
    InnerResult result = InnerResult::pending;
    while (result == InnerResult::pending &&
           (delivered[0] < streams[0].size() || delivered[1] < streams[1].size())) {
        for (uint8_t d = 0; d < 2 && result == InnerResult::pending; ++d) {
            if (delivered[d] >= streams[d].size()) continue;
            delivered[d] = std::min(streams[d].size(), delivered[d] + segment);
            const bool ended = delivered[d] == streams[d].size();
            result = examiner.examine(*flow, d, streams[d].first(delivered[d]), ended);
        }
    }
    (void)InnerExaminer::settle(*flow);
    examiner.release(flow);
    check(examiner.bytes_in_use() == 0);
    return 0;
}
