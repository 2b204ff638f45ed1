#include "sip_classifier.h"

#include "classifiers/registry.h"

#include <string>

#include "app_catalog.h"
#include "classifiers/protocol_numbers.h"
#include "rule_set.h"

namespace ottscope {
namespace {
constexpr uint8_t kStreamEnded = stream_flag::truncated | stream_flag::fin | stream_flag::rst;
}  // namespace

SipClassifier::SipClassifier(uint8_t registry_index, AppCatalog* catalog)
    : registry_index_(registry_index),
      facts_(fact_catalog().size()),
      first_fact_(first_fact_of(kSipClassifier)) {
    if (catalog == nullptr) return;  // tests without a catalog: SIP is recognised, not named
    sip_app_ = catalog->find_ndpi_protocol("SIP").value_or(AppCatalog::kUnknown);
    for (size_t i = 0; i < evidence_.size(); ++i) {
        const std::string text =
            "sip.method=" + std::string(sip::method_name(static_cast<sip::Method>(i)));
        evidence_[i] = catalog->intern_classifier_evidence(text);
    }
}

void SipClassifier::claim(const sip::Message& message, const PacketView& packet,
                          Verdict& verdict) const noexcept {
    FlowFacts facts = endpoint_facts(verdict, packet);
    auto fact = [&](SipFact name, std::string_view value) {
        facts_.set(static_cast<uint16_t>(first_fact_ + static_cast<size_t>(name)), value);
    };
    fact(SipFact::method, sip::method_name(message.method));
    fact(SipFact::user_agent, message.product);
    fact(SipFact::transport, message.has_via_transport ? sip::transport_name(message.transport)
                             : packet.ip_protocol == ip_protocol::udp
                                 ? sip::transport_name(sip::Transport::udp)
                                 : sip::transport_name(sip::Transport::tcp));
    facts.values = facts_.values();
    if (packet.rules != nullptr) {
        if (const auto found = packet.rules->match(facts)) {
            packet.rules->apply(facts, registry_index_, verdict, ClaimTier::protocol);
            return;
        }
    }
    if (sip_app_ == AppCatalog::kUnknown) return;
    Verdict candidate;
    candidate.app = sip_app_;
    candidate.evidence = evidence_[static_cast<size_t>(message.method)];
    candidate.confidence = Confidence::high;
    candidate.classifier = registry_index_;
    candidate.tier = ClaimTier::protocol;
    verdict.claim(candidate);
}

Progress SipClassifier::inspect(void*& /*state*/, const PacketView& packet,
                                Verdict& verdict) noexcept {
    const bool over_budget = packet.last_offer;
    sip::Message message;
    if (packet.ip_protocol == ip_protocol::udp) {
        // Keep-alives (CRLF, or STUN-sized blobs) may come first; the first datagram with
        // anything else decides.
        if (packet.payload.empty() || sip::only_keepalive(packet.payload))
            return over_budget ? Progress::done : Progress::need_more;
        if (sip::parse_message(packet.payload, true, message) == sip::ParseStatus::complete)
            claim(message, packet, verdict);
        return Progress::done;
    }
    if (packet.ip_protocol != ip_protocol::tcp) return Progress::done;

    // Without a stream (no reassembly buffer was free) the segment alone is all there is.
    const bool streamed = (packet.stream_flags & stream_flag::unavailable) == 0;
    const std::span<const uint8_t> bytes = streamed ? packet.stream : packet.payload;
    if (bytes.empty() || sip::only_keepalive(bytes))
        return over_budget ? Progress::done : Progress::need_more;
    switch (sip::parse_message(bytes, false, message)) {
        case sip::ParseStatus::complete:
            claim(message, packet, verdict);
            return Progress::done;
        case sip::ParseStatus::invalid:
            return Progress::done;  // TLS, HTTP, anything else: let it go at once
        case sip::ParseStatus::incomplete:
            break;
    }
    const bool can_grow = streamed && (packet.stream_flags & kStreamEnded) == 0;
    return can_grow && !over_budget ? Progress::need_more : Progress::done;
}

void SipClassifier::conclude(void*& /*state*/, const PacketView& /*context*/,
                             Verdict& /*verdict*/) noexcept {
    // Nothing held, and an unfinished first message is not enough to call a flow SIP.
}

}  // namespace ottscope
