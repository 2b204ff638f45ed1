#pragma once
// SIP in clear on any port and transport: UDP datagrams, and TCP through the reassembled
// stream (so cleartext SIP on TCP 443 is recognised as SIP, not guessed from the port). A
// flow is claimed at the protocol tier from its first SIP message: the rules see the method,
// the User-Agent product and the Via transport first; without a rule it is nDPI's "SIP" app
// with evidence "sip.method=...". Non-SIP flows are let go within their first bytes.
//
// The classifier keeps no per-flow state: the worker's reassembler holds the stream, and the
// verdict is taken from the first complete message header. Subscriber values (From, To,
// Contact, Call-ID) are checked for syntax by the parser and go nowhere else.

#include <array>
#include <cstdint>

#include "classifier.h"
#include "descriptor.h"
#include "rule_set.h"
#include "sip_parser.h"

namespace ottscope {

class AppCatalog;

// Packets a flow may show before SIP must have started (handshake, keep-alives): 12.
extern const ClassifierDescriptor kSipClassifier;
// Its facts, in the order of its descriptor's declarations.
enum class SipFact : uint8_t { method, user_agent, transport, count };

class SipClassifier final : public Classifier {
public:
    // Evidence texts are interned here, on the control side, from the fixed method list.
    SipClassifier(uint8_t registry_index, AppCatalog* catalog);

    Progress inspect(void*& state, const PacketView& packet, Verdict& verdict) noexcept override;
    void conclude(void*& state, const PacketView& context, Verdict& verdict) noexcept override;
    [[nodiscard]] bool wants_stream() const noexcept override { return true; }

private:
    void claim(const sip::Message& message, const PacketView& packet,
               Verdict& verdict) const noexcept;

    uint8_t registry_index_;
    mutable FactSheet facts_;  // scratch for the facts of the flow being claimed
    uint16_t first_fact_;
    uint16_t sip_app_ = 0;
    std::array<uint16_t, static_cast<size_t>(sip::Method::count)> evidence_{};
};

}  // namespace ottscope
