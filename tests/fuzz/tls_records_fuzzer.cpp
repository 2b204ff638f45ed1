// libFuzzer target for the record layer the behavioural SIP-over-TLS model reads without a
// stream buffer (classifiers/tls/tls_segment_records.h) and the model it feeds: the input is
// a byte stream per direction and a schedule of segments cut from them, sent in any order,
// repeated, overlapping or beyond holes (each step: direction, start offset, length, time).
// Besides "no crash, no sanitizer report": every record reported has a length the TLS
// record layer allows, and the model never answers high.

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "classifiers/sip_over_tls/tls_behaviour_model.h"
#include "classifiers/tls/tls_records.h"
#include "classifiers/tls/tls_segment_records.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ottscope;
    using fuzz::check;
    using namespace ottscope::tls;
    if (size < 8) return 0;
    // Header: the client stream's length (2 bytes), the number of schedule steps (1 byte).
    const size_t client = std::min<size_t>(size - 3, size_t{data[0]} << 8 | data[1]);
    const size_t steps = data[2];
    const size_t schedule_bytes = std::min(size - 3 - client, steps * 4);
    const uint8_t* schedule = data + 3;
    const std::span<const uint8_t> streams[2] = {
        {schedule + schedule_bytes, client},
        {schedule + schedule_bytes + client, size - 3 - schedule_bytes - client}};
    SegmentRecordWalker walker[2];
    const uint32_t isn[2] = {0xFFFFFF00u, 12345u};  // one direction wraps
    walker[0].start(isn[0]);
    walker[1].start(isn[1]);
    BehaviourModel model;
    uint64_t now = 0;
    for (size_t i = 0; i + 4 <= schedule_bytes; i += 4) {
        const size_t d = schedule[i] & 1;
        const std::span<const uint8_t> stream = streams[d];
        if (stream.empty()) continue;
        const size_t at = (size_t{schedule[i + 1]} << 4 | (schedule[i] >> 4)) % stream.size();
        const size_t length = std::min<size_t>(stream.size() - at, size_t{schedule[i + 2]} + 1);
        now += schedule[i + 3];
        const auto direction = static_cast<Direction>(d);
        const uint32_t fresh =
            walker[d].feed(isn[d] + static_cast<uint32_t>(at), stream.subspan(at, length),
                           [&](uint8_t type, uint32_t record) {
                               check(record <= kMaxRecordLength);
                               model.on_record(direction, type, record, now);
                           });
        check(fresh <= length);
        if (walker[d].holes() != 0) model.on_hole();
    }
    for (size_t d = 0; d < 2; ++d) {
        walker[d].flush([&](uint8_t type, uint32_t record) {
            check(record <= kMaxRecordLength);
            model.on_record(static_cast<Direction>(d), type, record, now);
        });
    }
    check(model.assess() != Confidence::high);
    return 0;
}
