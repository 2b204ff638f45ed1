#pragma once

#include <cstdint>
#include <string>

#include "deterministic_random.h"
#include "topology.h"

namespace ottscope::synth {

struct SipCallParams {
    std::string transport;  // "UDP", "TCP" or "TLS", as written in Via
    std::string domain;     // registrar and proxy, e.g. sip.jajah.com
    std::string caller;     // E.164 user part of the subscriber, e.g. +34600000001
    std::string callee;
    Endpoint subscriber;  // where the subscriber's SIP stack listens
    Endpoint proxy;
    uint32_t callee_media_addr;
};

// The messages of one registration and one call of a subscriber, in RFC 3261 shape: responses
// echo Via, From, To, Call-ID and CSeq of their request, the dialog keeps its tags, and bodies
// carry Content-Length (which is also the framing on stream transports).
class SipCallScript {
public:
    SipCallScript(const SipCallParams& params, Drbg& rng);

    std::string register_request() const;
    std::string register_ok() const;
    std::string invite() const;
    std::string invite_trying() const;
    std::string invite_ringing() const;
    std::string invite_ok() const;
    std::string ack() const;
    std::string bye() const;
    std::string bye_ok() const;

private:
    std::string in_dialog_request(const char* method, int cseq, const std::string& branch) const;
    std::string via(const std::string& branch) const;
    std::string via_received(const std::string& branch) const;
    std::string aor(const std::string& user) const;
    std::string contact() const;
    std::string remote_contact() const;
    std::string response_head(const std::string& status, const std::string& branch,
                              const std::string& to_tag, const std::string& cseq,
                              const std::string& call_id, const std::string& to_user) const;

    SipCallParams p_;
    std::string register_branch_, invite_branch_, ack_branch_, bye_branch_;
    std::string register_call_id_, call_id_;
    std::string local_tag_, register_tag_, remote_tag_, registrar_tag_;
    uint16_t local_media_port_;
    uint16_t remote_media_port_;
    uint64_t sdp_session_id_;
};

}  // namespace ottscope::synth
