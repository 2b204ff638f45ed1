#include "sip_messages.h"

#include <cstdio>

namespace ottscope::synth {

namespace {

std::string hex_token(Drbg& rng, int bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    for (int i = 0; i < bytes; ++i) {
        const auto b = static_cast<uint8_t>(rng.next_u64());
        out += kDigits[b >> 4];
        out += kDigits[b & 0xf];
    }
    return out;
}

std::string dotted(uint32_t addr) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 0xff,
                  (addr >> 8) & 0xff, addr & 0xff);
    return buf;
}

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    return s;
}

// Headers end with an empty line; Content-Length always present so stream transports can frame.
std::string finish(std::string head, const std::string& body = {},
                   const std::string& content_type = {}) {
    if (!content_type.empty()) head += "Content-Type: " + content_type + "\r\n";
    head += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    return head + body;
}

std::string sdp(uint64_t session_id, uint32_t addr, uint16_t port) {
    const std::string ip = dotted(addr);
    const std::string id = std::to_string(session_id);
    std::string body = "v=0\r\n";
    body += "o=- " + id + " " + id + " IN IP4 " + ip + "\r\n";
    body += "s=-\r\n";
    body += "c=IN IP4 " + ip + "\r\n";
    body += "t=0 0\r\n";
    body += "m=audio " + std::to_string(port) + " RTP/AVP 0 8 101\r\n";
    body += "a=rtpmap:0 PCMU/8000\r\n";
    body += "a=rtpmap:8 PCMA/8000\r\n";
    body += "a=rtpmap:101 telephone-event/8000\r\n";
    body += "a=fmtp:101 0-16\r\n";
    body += "a=ptime:20\r\n";
    body += "a=sendrecv\r\n";
    return body;
}

constexpr const char* kUserAgent = "TumeApp/3.2.1 (Android 14; synthetic)";
constexpr const char* kServer = "ottscope-synth-proxy/1.0";
constexpr const char* kAllow = "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, NOTIFY, UPDATE";

}  // namespace

SipCallScript::SipCallScript(const SipCallParams& params, Drbg& rng)
    : p_(params),
      register_branch_("z9hG4bK" + hex_token(rng, 8)),
      invite_branch_("z9hG4bK" + hex_token(rng, 8)),
      ack_branch_("z9hG4bK" + hex_token(rng, 8)),
      bye_branch_("z9hG4bK" + hex_token(rng, 8)),
      register_call_id_(hex_token(rng, 12) + "@" + dotted(params.subscriber.addr)),
      call_id_(hex_token(rng, 12) + "@" + dotted(params.subscriber.addr)),
      local_tag_(hex_token(rng, 4)),
      register_tag_(hex_token(rng, 4)),
      remote_tag_(hex_token(rng, 4)),
      registrar_tag_(hex_token(rng, 4)),
      local_media_port_(static_cast<uint16_t>(rng.uniform(10000, 19999) * 2)),
      remote_media_port_(static_cast<uint16_t>(rng.uniform(10000, 19999) * 2)),
      sdp_session_id_(rng.uniform(1'000'000'000, 4'000'000'000)) {}

std::string SipCallScript::via(const std::string& branch) const {
    return "Via: SIP/2.0/" + p_.transport + " " + dotted(p_.subscriber.addr) + ":" +
           std::to_string(p_.subscriber.port) + ";rport;branch=" + branch + "\r\n";
}

std::string SipCallScript::via_received(const std::string& branch) const {
    return "Via: SIP/2.0/" + p_.transport + " " + dotted(p_.subscriber.addr) + ":" +
           std::to_string(p_.subscriber.port) + ";rport=" + std::to_string(p_.subscriber.port) +
           ";received=" + dotted(p_.subscriber.addr) + ";branch=" + branch + "\r\n";
}

std::string SipCallScript::aor(const std::string& user) const {
    return "<sip:" + user + "@" + p_.domain + ">";
}

std::string SipCallScript::contact() const {
    return "<sip:" + p_.caller + "@" + dotted(p_.subscriber.addr) + ":" +
           std::to_string(p_.subscriber.port) + ";transport=" + lower(p_.transport) + ">";
}

std::string SipCallScript::remote_contact() const {
    return "<sip:" + p_.callee + "@" + dotted(p_.proxy.addr) + ":" + std::to_string(p_.proxy.port) +
           ";transport=" + lower(p_.transport) + ">";
}

std::string SipCallScript::response_head(const std::string& status, const std::string& branch,
                                         const std::string& to_tag, const std::string& cseq,
                                         const std::string& call_id,
                                         const std::string& to_user) const {
    const bool in_call = call_id == call_id_;
    std::string head = "SIP/2.0 " + status + "\r\n" + via_received(branch);
    head += "From: " + std::string(in_call ? "\"Test User\" " : "") + aor(p_.caller) +
            ";tag=" + (in_call ? local_tag_ : register_tag_) + "\r\n";
    head += "To: " + aor(to_user) + (to_tag.empty() ? "" : ";tag=" + to_tag) + "\r\n";
    head += "Call-ID: " + call_id + "\r\n";
    head += "CSeq: " + cseq + "\r\n";
    head += std::string("Server: ") + kServer + "\r\n";
    return head;
}

std::string SipCallScript::register_request() const {
    std::string head = "REGISTER sip:" + p_.domain + " SIP/2.0\r\n" + via(register_branch_);
    head += "Max-Forwards: 70\r\n";
    head += "From: " + aor(p_.caller) + ";tag=" + register_tag_ + "\r\n";
    head += "To: " + aor(p_.caller) + "\r\n";
    head += "Call-ID: " + register_call_id_ + "\r\n";
    head += "CSeq: 1 REGISTER\r\n";
    head += "Contact: " + contact() + ";expires=3600\r\n";
    head += "Expires: 3600\r\n";
    head += std::string("Allow: ") + kAllow + "\r\n";
    head += std::string("User-Agent: ") + kUserAgent + "\r\n";
    return finish(head);
}

std::string SipCallScript::register_ok() const {
    std::string head = response_head("200 OK", register_branch_, registrar_tag_, "1 REGISTER",
                                     register_call_id_, p_.caller);
    head += "Contact: " + contact() + ";expires=3600\r\n";
    return finish(head);
}

std::string SipCallScript::invite() const {
    std::string head =
        "INVITE sip:" + p_.callee + "@" + p_.domain + " SIP/2.0\r\n" + via(invite_branch_);
    head += "Max-Forwards: 70\r\n";
    head += "From: \"Test User\" " + aor(p_.caller) + ";tag=" + local_tag_ + "\r\n";
    head += "To: " + aor(p_.callee) + "\r\n";
    head += "Call-ID: " + call_id_ + "\r\n";
    head += "CSeq: 1 INVITE\r\n";
    head += "Contact: " + contact() + "\r\n";
    head += std::string("Allow: ") + kAllow + "\r\n";
    head += std::string("User-Agent: ") + kUserAgent + "\r\n";
    return finish(head, sdp(sdp_session_id_, p_.subscriber.addr, local_media_port_),
                  "application/sdp");
}

std::string SipCallScript::invite_trying() const {
    return finish(response_head("100 Trying", invite_branch_, "", "1 INVITE", call_id_, p_.callee));
}

std::string SipCallScript::invite_ringing() const {
    std::string head =
        response_head("180 Ringing", invite_branch_, remote_tag_, "1 INVITE", call_id_, p_.callee);
    head += "Contact: " + remote_contact() + "\r\n";
    return finish(head);
}

std::string SipCallScript::invite_ok() const {
    std::string head =
        response_head("200 OK", invite_branch_, remote_tag_, "1 INVITE", call_id_, p_.callee);
    head += "Contact: " + remote_contact() + "\r\n";
    head += std::string("Allow: ") + kAllow + "\r\n";
    return finish(head, sdp(sdp_session_id_ + 1, p_.callee_media_addr, remote_media_port_),
                  "application/sdp");
}

// ACK and BYE go inside the established dialog: same request shape, own method, CSeq, branch.
std::string SipCallScript::in_dialog_request(const char* method, int cseq,
                                             const std::string& branch) const {
    std::string head = std::string(method) + " sip:" + p_.callee + "@" + dotted(p_.proxy.addr) +
                       ":" + std::to_string(p_.proxy.port) + ";transport=" + lower(p_.transport) +
                       " SIP/2.0\r\n" + via(branch);
    head += "Max-Forwards: 70\r\n";
    head += "From: \"Test User\" " + aor(p_.caller) + ";tag=" + local_tag_ + "\r\n";
    head += "To: " + aor(p_.callee) + ";tag=" + remote_tag_ + "\r\n";
    head += "Call-ID: " + call_id_ + "\r\n";
    head += "CSeq: " + std::to_string(cseq) + " " + method + "\r\n";
    head += std::string("User-Agent: ") + kUserAgent + "\r\n";
    return finish(head);
}

std::string SipCallScript::ack() const {
    return in_dialog_request("ACK", 1, ack_branch_);
}

std::string SipCallScript::bye() const {
    return in_dialog_request("BYE", 2, bye_branch_);
}

std::string SipCallScript::bye_ok() const {
    return finish(response_head("200 OK", bye_branch_, remote_tag_, "2 BYE", call_id_, p_.callee));
}

}  // namespace ottscope::synth
