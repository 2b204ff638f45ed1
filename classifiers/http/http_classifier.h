#pragma once
// HTTP/1.x requests and their JSON bodies, from the reassembled TCP stream. The first
// request's method, path, Host, Content-Type, User-Agent and the shape of its JSON body
// (key names, depth, array sizes; never values) are offered to the rules; requests and body
// bytes are counted per app and method. Streams that do not start as HTTP are given up on
// at their first bytes, so other TCP flows stop paying for reassembly at once.

#include <cstddef>
#include <cstdint>

#include "classifier.h"
#include "json_dom.h"
#include "state_pool.h"

namespace ottscope {

struct HttpCounters;
struct ClassifierSettings;

struct HttpLimits {
    // Body bytes of the first request inspected as JSON; also simdjson's capacity.
    static constexpr uint32_t kJsonBytes = 4096;
    // Packets after which an undecided flow is given up on. Bytes are bounded by the stream
    // depth already; this bounds the work of a stream sent in tiny segments.
    static constexpr uint32_t kMaxPackets = 512;
};

class HttpClassifier final : public Classifier {
public:
    // `counters` may be null (tests): then nothing is counted.
    HttpClassifier(uint8_t registry_index, HttpCounters* counters);
    ~HttpClassifier() override;

    Progress inspect(void*& state, const PacketView& packet, Verdict& verdict) noexcept override;
    void conclude(void*& state, const PacketView& context, Verdict& verdict) noexcept override;
    [[nodiscard]] bool wants_stream() const noexcept override { return true; }
    [[nodiscard]] size_t state_bytes_in_use() const noexcept override;

    struct Flow;

private:
    void decide(Flow& flow, const PacketView& packet, Verdict& verdict) noexcept;
    void finish(void*& state, const PacketView& packet, Verdict& verdict) noexcept;

    uint8_t registry_index_;
    HttpCounters* counters_;
    StatePool pool_;
    JsonDom dom_;
};

}  // namespace ottscope
