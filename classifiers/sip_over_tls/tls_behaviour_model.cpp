#include "tls_behaviour_model.h"

#include "classifiers/tls/tls_records.h"

namespace ottscope::tls {

void BehaviourModel::on_record(Direction direction, uint8_t content_type, uint32_t length,
                               uint64_t at_ms) noexcept {
    if (settled()) return;
    const auto d = static_cast<size_t>(direction);
    switch (content_type) {
        case content::change_cipher_spec:
            if (direction == Direction::client_to_server && !ccs_seen_[d] &&
                (client_flight_records_ >= 2 || client_flight_bytes_ > kMaxKeyExchangeRecord)) {
                veto_ = Veto::client_certificate;
                return;
            }
            ccs_seen_[d] = true;
            last_type_[d] = content_type;
            return;
        case content::handshake:
            // The client's flight between its hello and its ChangeCipherSpec: a key exchange
            // alone, or a certificate and its verification beside it (TLS 1.2).
            if (direction == Direction::client_to_server && !ccs_seen_[d]) {
                if (last_type_[d] == content::handshake) {
                    ++client_flight_records_;
                    client_flight_bytes_ += length;
                }
            }
            last_type_[d] = content_type;
            return;
        case content::alert:
            // After the ChangeCipherSpec an alert is encrypted: the session ends (close_notify
            // or an error); before it, a warning such as unrecognised_name is stepped over.
            if (ccs_seen_[d]) closed_ = true;
            return;
        case content::application_data:
            break;
        default:
            return;  // heartbeat
    }
    const bool first = !app_seen_[d];
    const bool after_ccs = last_type_[d] == content::change_cipher_spec;
    app_seen_[d] = true;
    const bool tls13_start = first && (last_type_[d] == content::change_cipher_spec ||
                                       (last_type_[d] == content::handshake && !ccs_seen_[d]));
    last_type_[d] = content_type;
    if (direction == Direction::client_to_server) {
        if (tls13_start) {
            // The client's encrypted flight: its Finished alone, or first a Certificate
            // (client authentication), whose length is not a Finished's. Judged after the
            // ChangeCipherSpec of middlebox compatibility mode, which real clients send.
            if (after_ccs && !finished_length(length)) veto_ = Veto::client_certificate;
            return;
        }
        count(false, length, at_ms);
        return;
    }
    if (tls13_start) server_tls13_ = true;
    // TLS 1.3: the encrypted server flight and the session tickets that follow it.
    if (server_tls13_ && !client_counted_) return;
    count(true, length, at_ms);
}

void BehaviourModel::count(bool from_server, uint32_t length, uint64_t at_ms) noexcept {
    if (count_ == 0) {
        if (from_server) {
            veto_ = Veto::server_first;
            return;
        }
        first_ms_ = at_ms;
    }
    if (length > kMaxMessageRecord) {
        veto_ = Veto::bulk;
        return;
    }
    if (!from_server && !client_counted_) {
        if (length < kMinRequestRecord) {
            veto_ = Veto::small_request;
            return;
        }
        client_counted_ = true;
    }
    if (from_server && bytes_[1] == 0 && length < kMinAnswerRecord) {
        veto_ = Veto::tiny_answer;
        return;
    }
    bytes_[from_server ? 1 : 0] += length;
    if (bytes_[1] > kMaxAnswerRatio * bytes_[0] + kAnswerSlack) {
        veto_ = Veto::asymmetric;
        return;
    }
    const uint64_t since = at_ms > first_ms_ ? at_ms - first_ms_ : 0;
    entries_[count_++] = Entry{since > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(since),
                               static_cast<uint16_t>(length), from_server};
}

bool BehaviourModel::finished_length(uint32_t length) noexcept {
    // Handshake header, verify_data of SHA-256 or SHA-384, inner content type, AEAD tag.
    constexpr uint32_t kOverhead = 4 + 1 + 16;
    return length == kOverhead + 32 || length == kOverhead + 48;
}

Confidence BehaviourModel::assess() const noexcept {
    if (veto_ != Veto::none) return Confidence::none;
    unsigned exchanges = 0;
    bool ack_pattern = false;
    unsigned pings = 0;
    unsigned chatter = 0;  // small client messages that are neither requests nor keepalives
    uint32_t shortest_idle = UINT32_MAX;
    uint32_t longest_idle = 0;
    for (size_t i = 0; i < count_; ++i) {
        const Entry& e = entries_[i];
        if (e.from_server) continue;
        if (e.length < kMinRequestRecord) {
            const uint32_t idle = i > 0 ? e.at_ms - entries_[i - 1].at_ms : 0;
            if (e.length <= kMaxPingRecord && idle >= kPingIdleMs) {
                ++pings;
                shortest_idle = idle < shortest_idle ? idle : shortest_idle;
                longest_idle = idle > longest_idle ? idle : longest_idle;
            } else if (i + 1 < count_) {
                ++chatter;  // the last one may be a TLS 1.3 close_notify
            }
            continue;
        }
        size_t next = i + 1;
        uint32_t answer = 0;
        while (next < count_ && entries_[next].from_server) answer += entries_[next++].length;
        if (next > i + 1) {
            if (entries_[i + 1].length >= kMinAnswerRecord &&
                entries_[i + 1].at_ms - e.at_ms <= kMaxAnswerDelayMs &&
                answer <= kMaxAnswerRatio * e.length + kAnswerSlack)
                ++exchanges;
        } else if (next < count_ && i >= 2 && entries_[i - 1].from_server &&
                   entries_[i - 2].from_server && entries_[next].length >= kMinRequestRecord) {
            ack_pattern = true;  // after a multi-part answer, a request nobody answers
        }
    }
    if (exchanges < 2 || chatter >= kMaxChatter) return Confidence::none;
    const bool cadence = pings >= 2 && longest_idle <= 2 * shortest_idle;
    return !holes_ && (ack_pattern || cadence) ? Confidence::medium : Confidence::low;
}

}  // namespace ottscope::tls
