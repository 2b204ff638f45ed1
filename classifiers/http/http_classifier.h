#pragma once
// HTTP/1.x requests and their JSON bodies, from the reassembled TCP stream. The first
// request's method, path, Host, Content-Type, User-Agent and the shape of its JSON body
// (key names, depth, array sizes; never values) are offered to the rules; requests and body
// bytes are counted per app and method. Streams that do not start as HTTP are given up on
// at their first bytes, so other TCP flows stop paying for reassembly at once.

#include <cstddef>
#include <cstdint>
#include <optional>

#include "classifier.h"
#include "classifier_counters.h"
#include "descriptor.h"
#include "http/http_counters.h"
#include "json_dom.h"
#include "rule_set.h"
#include "state_pool.h"

namespace ottscope {

// Its budget bounds the work of a stream sent in tiny segments (bytes are bounded by the
// stream depth already): 512 packets.
extern const ClassifierDescriptor kHttpClassifier;
// Its facts, in the order of its descriptor's declarations: the first request's, and the key
// names of its JSON body.
enum class HttpFact : uint8_t { host, path, method, content_type, json_keys, count };

struct HttpLimits {
    // Body bytes of the first request inspected as JSON; also simdjson's capacity.
    static constexpr uint32_t kJsonBytes = 4096;
};

class HttpClassifier final : public Classifier {
public:
    // `counters` (laid out from kHttpMetrics) may be null (tests): then nothing is counted.
    HttpClassifier(uint8_t registry_index, ClassifierCounters* counters);
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
    std::optional<HttpCounters> counters_;
    FactSheet facts_;  // scratch for the facts of the flow being decided
    uint16_t first_fact_;
    StatePool pool_;
    JsonDom dom_;
};

}  // namespace ottscope
