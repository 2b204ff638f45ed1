#pragma once
// The contract between the worker and a traffic classifier. A classifier sees a flow's
// packets until it says it is done; the worker then stops offering it that flow. Per-flow
// state lives in one pointer-sized slot the worker keeps in the flow for each classifier.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "enum_names.h"
#include "flow_annotations.h"

namespace ottscope {

class RuleSet;
struct ClassifierSettings;
struct Generation;

// App ids: nDPI's protocol ids first (its built-in ones, then the custom protocols of a
// protocols file, up to nDPI's 512), then the apps named by rules.
constexpr size_t kFirstRuleApp = 512;
constexpr size_t kMaxApps = 1024;

enum class Confidence : uint8_t { none, low, medium, high };
inline constexpr auto kConfidenceNames = enum_names<Confidence>({
    {Confidence::none, "none"},
    {Confidence::low, "low"},
    {Confidence::medium, "medium"},
    {Confidence::high, "high"},
});
constexpr std::string_view confidence_name(Confidence confidence) noexcept {
    return kConfidenceNames.name(confidence, "none");
}

// Indexes per-direction arrays (packets[2], bytes[2]); the names are the `direction` label.
enum class Direction : uint8_t { client_to_server = 0, server_to_client = 1 };
inline constexpr auto kDirectionNames = enum_names<Direction>({
    {Direction::client_to_server, "c2s"},
    {Direction::server_to_client, "s2c"},
});

// What a classifier knows about the reassembled TCP stream of the packet's direction.
namespace stream_flag {
constexpr uint8_t midstream = 0x01;    // no SYN seen: byte 0 is the first byte seen, not the start
constexpr uint8_t gap = 0x02;          // later bytes are held beyond a hole: the prefix waits
constexpr uint8_t truncated = 0x04;    // the depth bound is reached: the prefix will not grow
constexpr uint8_t fin = 0x08;          // the sender closed (with no gap: the stream is complete)
constexpr uint8_t rst = 0x10;          // the connection was reset
constexpr uint8_t unavailable = 0x20;  // not reassembled (not TCP, or no buffer was free)
}  // namespace stream_flag

struct PacketView {
    const uint8_t* l3 = nullptr;  // IP header
    uint16_t l3_length = 0;
    std::span<const uint8_t> payload;
    Direction direction = Direction::client_to_server;
    uint8_t ip_protocol = 0;
    uint8_t tcp_flags = 0;
    uint32_t tcp_seq = 0;  // TCP only: the segment's sequence number
    uint64_t timestamp_ms = 0;
    uint32_t flow_packets = 0;  // packets of the flow so far, this one included
    // The flow has reached this classifier's budget (its descriptor, or its YAML section):
    // this is the last packet it is offered. Settle now; after a need_more the worker
    // concludes it.
    bool last_offer = false;
    // The server side of the flow (IPv4 as IPv4-mapped IPv6), for rules on ports and CIDRs.
    const uint8_t* server_address = nullptr;
    uint16_t server_port = 0;
    // The rules in force for this burst; null when none are loaded.
    const RuleSet* rules = nullptr;
    // In conclude() only, `l3` holds the headers of a payload-less packet from the client to
    // the server, rebuilt from the flow key (for guesses from addresses and ports).
    // TCP only, and only for classifiers that want_stream(): this direction's bytes from its
    // start, contiguous and in sequence order, whatever order the segments came in. The
    // bytes this packet made available are stream.subspan(stream_new_offset) (empty for a
    // retransmission or a segment held beyond a gap). Valid during inspect() only.
    std::span<const uint8_t> stream;
    uint32_t stream_new_offset = 0;
    uint8_t stream_flags = 0;  // stream_flag bits
};

// What a flow is. nDPI's own labels are kept beside the app so flow records can say both
// what nDPI saw and what ottscope decided.
// Who may name a flow's app: a rule match beats everything, one matched on our own parsers'
// facts before one matched on nDPI's; then our own protocol classifiers (TLS, SIP, HTTP) beat
// nDPI's generic labels ("TLS" says little about the app); within a tier the higher
// confidence wins. A classifier may always refine its own claim.
enum class ClaimTier : uint8_t { ndpi = 0, protocol = 1, ndpi_rule = 2, protocol_rule = 3 };

struct Verdict {
    uint16_t app = 0;  // AppCatalog id
    uint16_t ndpi_master = 0;
    uint16_t ndpi_app = 0;
    uint16_t ndpi_category = 0;
    uint16_t evidence = 0;   // AppCatalog evidence id of the rule that named the app; 0: none
    uint8_t classifier = 0;  // registry index of the deciding classifier
    Confidence confidence = Confidence::none;
    ClaimTier tier = ClaimTier::ndpi;

    // Takes the app, evidence, confidence and classifier of `candidate` unless the current
    // claim is stronger. nDPI's own fields (ndpi_*) are nDPI's to set and are not touched.
    void claim(const Verdict& candidate) noexcept {
        auto strength = [](const Verdict& v) {
            return (static_cast<int>(v.tier) << 4) | static_cast<int>(v.confidence);
        };
        const bool own = candidate.classifier == classifier;
        if (strength(candidate) > strength(*this) ||
            (own && strength(candidate) >= strength(*this)) || confidence == Confidence::none) {
            app = candidate.app;
            evidence = candidate.evidence;
            confidence = candidate.confidence;
            classifier = candidate.classifier;
            tier = candidate.tier;
        }
    }
};

// need_more_packets: still undecided, but done with the reassembled stream; the worker stops
// reassembling the flow once no classifier that wants the stream says need_more.
enum class Progress : uint8_t { need_more, done, need_more_packets };

class Classifier {
public:
    virtual ~Classifier() = default;
    Classifier() = default;
    Classifier(const Classifier&) = delete;
    Classifier& operator=(const Classifier&) = delete;

    // One packet of a flow the classifier has not finished with. `state` starts null.
    virtual Progress inspect(void*& state, const PacketView& packet, Verdict& verdict) noexcept = 0;
    // The flow ends before the classifier said done: settle on what was seen, free state.
    // `context` carries the flow's server end and the rules, but no packet.
    virtual void conclude(void*& state, const PacketView& context, Verdict& verdict) noexcept = 0;
    // True for classifiers that parse the reassembled stream (PacketView::stream). Flows pay
    // for reassembly only while a classifier that wants it has not said done.
    [[nodiscard]] virtual bool wants_stream() const noexcept { return false; }
    // The flow ends (after conclude() if it was still pending): write what the flow record
    // should say into `annotations` and free whatever `state` still holds. Called for every
    // classifier, decided or not; a classifier that keeps nothing after deciding leaves
    // `state` null and has nothing to do.
    virtual void annotate(void*& /*state*/, FlowAnnotations& /*annotations*/) noexcept {}
    // Per-flow memory currently held, for the flow-memory figures.
    [[nodiscard]] virtual size_t state_bytes_in_use() const noexcept { return 0; }

    // Worker side, between bursts, only when the published generation changed: take what this
    // classifier uses of it (a key log, this worker's nDPI module). Shared references may be
    // kept; nothing may be freed here that the control side would free more cheaply.
    virtual void adopt(const Generation& /*generation*/, unsigned /*worker*/) noexcept {}
};

}  // namespace ottscope
