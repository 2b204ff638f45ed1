#pragma once
// SIP over TLS, this folder: SIP signalling carried inside TLS, typically on port 443 where it
// passes for web traffic. It is recognised in two ways. By behaviour, when the handshake names
// no app: the record sizes, directions and timing after it (this model, fed by
// tls_behaviour_watch.h) give the unattributed app `sip-tls` at low or medium confidence. By
// decryption, when the flow's secrets are in the configured TLS key log: its first application
// data records are decrypted and handed to the SIP parser (tls_inner.h), and SIP found there
// confirms the flow at high confidence. The TLS classifier (classifiers/tls/tls_classifier.h)
// drives both and makes the claims.
//
// Is this encrypted TLS flow SIP signalling? A behavioural model for flows whose handshake
// names nothing (TLS 1.3 without SNI, resumed sessions, an unknown certificate): it sees only
// the record headers (direction, content type, length) and their times, never the payload,
// and answers none, low or medium, never high: sizes and timing suggest SIP, they do not
// prove it, and they never say whose SIP it is (naming a service takes rule evidence).
//
// What it looks at: the first kMaxRecords application-data records after the handshake, as
// the TLS record layer of the stream gives them (tls_segment_records.h), each at the time of
// the packet that completes it: segment sizes, IP fragments and packet counts play no part.
// TLS 1.3 hides its handshake in application-data records too: a direction whose first such
// record follows its ChangeCipherSpec directly (or a hello without one) speaks TLS 1.3; the
// client's first one is its Finished and is skipped, and so are the server's until the
// client's first request (the server's encrypted flight and its NewSessionTickets).
//
// Why these features (record lengths include the TLS overhead, 17 to about 40 bytes):
// - SIP is a request/response protocol of mid-size text messages: a UA speaks first with a
//   REGISTER, INVITE or OPTIONS of several hundred bytes (a minimal OPTIONS is over 200
//   bytes), and every answer (100 Trying, 401, 180, 200 OK) is itself a mid-size message,
//   roughly the size of the request (an INVITE's answers with their SDP add up to about
//   twice it). One message rarely needs more than 4 KB.
// - Web traffic answers a small request with a large body: records of up to 16 KB, or many
//   MSS-filling ones. HTTP/1.1 clients such as curl send requests under 200 bytes; HTTP/2
//   opens with a 24-byte preface and SETTINGS frames of a few dozen bytes, and the server's
//   first answer is its own SETTINGS, far smaller than any SIP response. Streaming and file
//   transfer are one-sided; server-first protocols (IMAP, SMTP banners) are not SIP, where
//   the UA always opens.
// - SIP-only signs: an INVITE's provisional and final answers come as several server
//   messages for one request and are followed by an ACK that gets no answer; a registered UA
//   idles with small keepalives (RFC 5626 CRLF pings, re-REGISTER/OPTIONS) at a steady
//   interval. HTTP answers every request and does not ping in tiny records at a cadence.
//
// Rules, in order (thresholds are the constants below):
// 1. Not SIP (decided as soon as seen): any record over kMaxMessageRecord; the server
//    speaks first; the client's first request is under kMinRequestRecord; the first answer
//    is under kMinAnswerRecord; the server has sent more than kMaxAnswerRatio times the
//    client's bytes plus kAnswerSlack; the client authenticates with a certificate (mutual
//    TLS is device and service-to-service traffic; the apps that hide SIP in TLS register
//    with digest authentication): in TLS 1.2 two handshake records or more than
//    kMaxKeyExchangeRecord bytes between its hello and its ChangeCipherSpec (a key exchange
//    alone is one record), in TLS 1.3 a first encrypted record after the ChangeCipherSpec
//    whose length is not that of a Finished (a Certificate before it; counting it as a request once
//    made TLS 1.3 client-authenticated sessions look like SIP).
// 2. An exchange is a client record of at least kMinRequestRecord followed by server records
//    (up to the next client record) that start, within kMaxAnswerDelayMs, with one of at
//    least kMinAnswerRecord and total at most kMaxAnswerRatio times the request plus
//    kAnswerSlack. SIP answers at once (100 Trying, 401, 200 to REGISTER or OPTIONS);
//    HTTP long-polling, whose mid-size requests and small JSON answers look alike, holds
//    its answers for seconds.
// 3. low: at least two exchanges, no rule 1 veto, and fewer than kMaxChatter client records
//    under kMinRequestRecord that are not keepalives (below): a SIP UA sends nothing that
//    small but pings, while RPC and backup protocols (a Code42 client in the corpus) trade
//    small acknowledgements. The window's last record is spared (a TLS 1.3 close_notify).
// 4. medium: low, no lost records (TCP holes), and either an ACK pattern (a request right
//    after a multi-record answer, itself unanswered, followed by another request) or a
//    keepalive cadence (two or more client records of at most kMaxPingRecord after at least
//    kPingIdleMs of silence, their idle gaps within a factor of two).
//
// State: kMaxRecords entries of 8 bytes and a few flags; no allocation.

#include <cstdint>

#include "classifiers/classifier.h"

namespace ottscope::tls {

class BehaviourModel {
public:
    static constexpr uint8_t kMaxRecords = 12;
    static constexpr uint32_t kMaxMessageRecord = 4096;
    static constexpr uint32_t kMinRequestRecord = 200;
    static constexpr uint32_t kMinAnswerRecord = 96;
    static constexpr uint32_t kMaxAnswerRatio = 4;
    static constexpr uint32_t kAnswerSlack = 512;
    static constexpr uint32_t kMaxPingRecord = 64;
    static constexpr uint32_t kPingIdleMs = 2000;
    static constexpr unsigned kMaxChatter = 2;
    static constexpr uint32_t kMaxAnswerDelayMs = 1000;
    static constexpr uint32_t kMaxKeyExchangeRecord = 1100;

    enum class Veto : uint8_t {
        none,
        bulk,                // a record too large for one SIP message
        server_first,        // the server spoke first
        small_request,       // the client's first request is smaller than any SIP request
        tiny_answer,         // the first answer is smaller than any SIP response
        asymmetric,          // the server sends far more than the client
        client_certificate,  // the client authenticates with a certificate (mutual TLS)
    };

    // One record header of the flow, handshake included, in the order seen.
    void on_record(Direction direction, uint8_t content_type, uint32_t length,
                   uint64_t at_ms) noexcept;
    // Records may have been lost (a TCP hole the record walker could not cross).
    void on_hole() noexcept { holes_ = true; }

    // Nothing more will change the answer: a veto, the records are all in, or the flow
    // closed (an alert).
    [[nodiscard]] bool settled() const noexcept {
        return veto_ != Veto::none || count_ == kMaxRecords || closed_;
    }
    [[nodiscard]] Veto veto() const noexcept { return veto_; }
    [[nodiscard]] uint8_t records() const noexcept { return count_; }
    // The answer on what was seen so far: none, low or medium.
    [[nodiscard]] Confidence assess() const noexcept;

private:
    struct Entry {
        uint32_t at_ms;  // since the first counted record
        uint16_t length;
        bool from_server;
    };
    void count(bool from_server, uint32_t length, uint64_t at_ms) noexcept;
    // A TLS 1.3 client Finished record (SHA-256 or SHA-384 suites, unpadded).
    [[nodiscard]] static bool finished_length(uint32_t length) noexcept;

    Entry entries_[kMaxRecords] = {};
    uint64_t first_ms_ = 0;
    uint32_t bytes_[2] = {0, 0};
    uint32_t client_flight_bytes_ = 0;  // client handshake records after its hello, before CCS
    uint8_t client_flight_records_ = 0;
    uint8_t count_ = 0;
    uint8_t last_type_[2] = {0, 0};
    bool ccs_seen_[2] = {false, false};
    bool app_seen_[2] = {false, false};  // the direction sent an application-data record
    bool server_tls13_ = false;
    bool client_counted_ = false;  // the client's first request is in
    bool closed_ = false;
    bool holes_ = false;
    Veto veto_ = Veto::none;
};

}  // namespace ottscope::tls
