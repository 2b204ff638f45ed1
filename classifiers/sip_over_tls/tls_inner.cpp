#include "tls_inner.h"

#include <openssl/crypto.h>

#include <new>

#include "classifiers/sip/sip_parser.h"
#include "classifiers/tls/tls_records.h"

namespace ottscope::tls {

namespace {

struct InnerDirection {
    DirectionKeys keys;
    uint32_t record_at = 0;  // stream offset of the next record to look at
    uint8_t app_records = 0;
    uint8_t skipped = 0;
    bool protected_ = false;  // TLS 1.2: its ChangeCipherSpec was seen
    bool keyed = false;       // TLS 1.3: a record opened under the application keys
    bool done = false;
    bool sip_start = false;  // a record began like SIP but ended before its headers did
};

}  // namespace

struct InnerFlow {
    InnerDirection directions[2];
    SuiteInfo suite;
    bool tls13 = false;
    bool opened_any = false;  // some record authenticated
    bool failed = false;      // a record expected to open did not
    bool tried = false;       // some protected record was tried
    uint32_t opened = 0;      // application data records decrypted
    InnerResult result = InnerResult::pending;
};

InnerExaminer::InnerExaminer() : pool_(sizeof(InnerFlow), 256) {}
InnerExaminer::~InnerExaminer() = default;

std::shared_ptr<const KeyLog> InnerExaminer::exchange_keylog(
    std::shared_ptr<const KeyLog> keylog) noexcept {
    keylog_.swap(keylog);
    ++generation_;
    return keylog;
}

InnerFlow* InnerExaminer::start(const SessionParams& session, bool& retry) noexcept {
    retry = false;
    if (keylog_ == nullptr || !decryptor_.ready()) return nullptr;
    const SuiteInfo suite = suite_info(session.cipher_suite);
    if (suite.aead == Aead::none) return nullptr;
    const KeyLogEntry* entry = keylog_->find(session.client_random);
    if (entry == nullptr) {
        retry = true;
        return nullptr;
    }
    DirectionKeys client;
    DirectionKeys server;
    bool derived = false;
    if (session.tls13) {
        derived = decryptor_.derive_tls13(suite, entry->client_traffic.view(), client) &&
                  decryptor_.derive_tls13(suite, entry->server_traffic.view(), server);
    } else {
        derived = decryptor_.derive_tls12(suite, entry->master.view(), session.client_random,
                                          session.server_random, client, server);
    }
    if (!derived) return nullptr;
    InnerFlow* flow = nullptr;
    try {
        flow = new (pool_.acquire()) InnerFlow{};
    } catch (const std::bad_alloc&) {
        return nullptr;
    }
    flow->suite = suite;
    flow->tls13 = session.tls13;
    const uint8_t c = session.client_direction & 1;
    flow->directions[c].keys = client;
    flow->directions[c ^ 1].keys = server;
    return flow;
}

void InnerExaminer::release(InnerFlow* flow) noexcept {
    if (flow == nullptr) return;
    OPENSSL_cleanse(flow, sizeof(InnerFlow));  // keys do not linger in free blocks
    pool_.release(flow);
}

uint32_t InnerExaminer::records_opened(const InnerFlow& flow) noexcept {
    return flow.opened;
}

InnerResult InnerExaminer::settle(const InnerFlow& flow) noexcept {
    if (flow.result != InnerResult::pending) return flow.result;
    // Nothing opened although records were tried: the secrets are not this session's.
    if ((flow.failed || flow.tried) && !flow.opened_any) return InnerResult::failed;
    return InnerResult::not_sip;
}

void InnerExaminer::look_at(InnerFlow& flow, uint8_t direction,
                            std::span<const uint8_t> plaintext) noexcept {
    InnerDirection& dir = flow.directions[direction];
    ++flow.opened;
    if (sip::only_keepalive(plaintext)) return;  // CRLF keep-alives (or empty): not a verdict
    ++dir.app_records;
    sip::Message message;
    switch (sip::parse_message(plaintext, false, message)) {
        case sip::ParseStatus::complete:
            flow.result = InnerResult::sip;
            return;
        case sip::ParseStatus::invalid:
            // A SIP stream starts with a SIP message; after a plausible start, this may be
            // the rest of a message cut across records.
            if (!dir.sip_start) dir.done = true;
            break;
        case sip::ParseStatus::incomplete:
            // A message cut across records: its start is plausible, but a record alone is
            // all we judge (no plaintext is kept); later records may hold a complete one.
            dir.sip_start = true;
            break;
    }
    if (dir.app_records >= kMaxAppRecords) dir.done = true;
}

InnerResult InnerExaminer::examine(InnerFlow& flow, uint8_t direction,
                                   std::span<const uint8_t> stream, bool ended) noexcept {
    InnerDirection& dir = flow.directions[direction & 1];
    while (!dir.done && flow.result == InnerResult::pending) {
        const size_t at = dir.record_at;
        if (stream.size() < at + 5) break;
        const uint8_t type = stream[at];
        const uint32_t length = uint32_t{stream[at + 3]} << 8 | stream[at + 4];
        if (type < content::change_cipher_spec || type > 24 || stream[at + 1] != 3 ||
            length > kMaxRecordLength) {
            dir.done = true;  // not a TLS record: the stream is not what we thought
            break;
        }
        if (stream.size() < at + 5 + length) break;  // the record is not all there yet
        const std::span<const uint8_t, 5> header = stream.subspan(at).first<5>();
        const std::span<const uint8_t> fragment = stream.subspan(at + 5, length);
        dir.record_at = static_cast<uint32_t>(at + 5 + length);

        if (!flow.tls13) {
            if (!dir.protected_) {
                dir.protected_ = type == content::change_cipher_spec;
                continue;
            }
            if (type != content::application_data) {
                ++dir.keys.seq;  // Finished, encrypted alerts: counted, not opened
                continue;
            }
            flow.tried = true;
            const int n =
                decryptor_.open(flow.suite, false, dir.keys, header, fragment, plaintext_);
            ++dir.keys.seq;
            if (n < 0) {
                flow.failed = true;
                dir.done = true;
                break;
            }
            flow.opened_any = true;
            look_at(flow, direction & 1, {plaintext_.data(), static_cast<size_t>(n)});
            continue;
        }

        // TLS 1.3: cleartext hellos, compatibility ChangeCipherSpec, cleartext alerts.
        if (type != content::application_data) continue;
        flow.tried = true;
        const int n = decryptor_.open(flow.suite, true, dir.keys, header, fragment, plaintext_);
        if (n < 0) {
            if (dir.keyed) {
                flow.failed = true;
                dir.done = true;
                break;
            }
            // Still under handshake keys (or the secrets do not belong to this session).
            if (++dir.skipped >= kMaxSkippedRecords) {
                flow.failed = true;
                dir.done = true;
            }
            continue;
        }
        dir.keyed = true;
        flow.opened_any = true;
        ++dir.keys.seq;
        uint8_t inner = 0;
        size_t inner_length = 0;
        if (!tls13_inner({plaintext_.data(), static_cast<size_t>(n)}, inner, inner_length))
            continue;
        if (inner == content::application_data) {
            look_at(flow, direction & 1, {plaintext_.data(), inner_length});
        } else if (inner == content::handshake) {
            // NewSessionTicket is harmless; a KeyUpdate (type 24) moves to keys we lack.
            if (inner_length > 0 && plaintext_[0] == 24) dir.done = true;
        } else {
            dir.done = true;  // an alert: the direction is closing
        }
    }
    if (ended) dir.done = true;
    if (flow.result == InnerResult::pending && flow.directions[0].done && flow.directions[1].done)
        flow.result = settle(flow);
    return flow.result;
}

}  // namespace ottscope::tls
