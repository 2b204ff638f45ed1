#pragma once
// Looks inside TLS flows whose secrets are in the configured key log: decrypts the first
// application data records of each direction (from the reassembled streams, which start at
// the ClientHello) and tells whether they carry SIP. Plaintext stays in per-worker scratch
// and is only handed to the SIP parser: it never reaches state, logs or records.
//
// Records are walked per direction. TLS 1.2: everything after the direction's
// ChangeCipherSpec is protected, from sequence number 0 (the Finished message is record 0).
// TLS 1.3: the key log's traffic secret 0 protects application data only; the encrypted
// handshake records before it (EncryptedExtensions..Finished) are under handshake keys we do
// not derive. They are stepped over by trial: the first record that authenticates under the
// application keys at sequence 0 starts the count (at most kMaxSkippedRecords tries).
//
// Bounds: kMaxAppRecords application data records per direction; a direction whose first
// application data is not SIP ends there (SIP peers open every stream with a message, or
// CRLF keep-alives, which are skipped). Each record is judged alone (no plaintext is kept
// between records): a message cut across records does not count, a later whole one does.

#include <array>
#include <cstdint>
#include <memory>
#include <span>

#include "classifiers/state_pool.h"
#include "classifiers/tls/tls_decrypt.h"
#include "classifiers/tls/tls_keylog.h"

namespace ottscope::tls {

// What the cleartext handshake said, as far as decryption needs it.
struct SessionParams {
    std::array<uint8_t, 32> client_random{};
    std::array<uint8_t, 32> server_random{};
    uint16_t cipher_suite = 0;
    bool tls13 = false;
    uint8_t client_direction = 0;  // stream direction (0/1) that sent the ClientHello
};

enum class InnerResult : uint8_t {
    pending,  // looking
    sip,      // a decrypted application record is a SIP message
    not_sip,  // decrypted application data that is not SIP (or nothing more to look at)
    failed,   // the logged secrets do not open this flow's records
};

struct InnerFlow;

class InnerExaminer {
public:
    static constexpr uint8_t kMaxAppRecords = 4;
    static constexpr uint8_t kMaxSkippedRecords = 16;

    InnerExaminer();
    InnerExaminer(const InnerExaminer&) = delete;
    InnerExaminer& operator=(const InnerExaminer&) = delete;
    ~InnerExaminer();

    // Worker side: puts a key log in force (null: none configured), returns the previous.
    std::shared_ptr<const KeyLog> exchange_keylog(std::shared_ptr<const KeyLog> keylog) noexcept;
    [[nodiscard]] bool configured() const noexcept { return keylog_ != nullptr; }

    // Per-flow state when the key log has secrets for this session and its suite is one we
    // open; null otherwise (or when no memory is left). `retry`: null only because the key
    // log does not hold the session yet (clients log while they connect, and the file is
    // re-read once a second): worth asking again once generation() changes.
    InnerFlow* start(const SessionParams& session, bool& retry) noexcept;
    // Changes whenever another key log is put in force.
    [[nodiscard]] uint64_t generation() const noexcept { return generation_; }
    // Walks the records of `direction` not looked at yet. `ended`: the stream will not grow.
    InnerResult examine(InnerFlow& flow, uint8_t direction, std::span<const uint8_t> stream,
                        bool ended) noexcept;
    // The verdict so far once no more bytes will come: not_sip, failed or sip.
    [[nodiscard]] static InnerResult settle(const InnerFlow& flow) noexcept;
    // Application data records opened for this flow so far.
    [[nodiscard]] static uint32_t records_opened(const InnerFlow& flow) noexcept;
    void release(InnerFlow* flow) noexcept;

    [[nodiscard]] size_t bytes_in_use() const noexcept {
        return pool_.in_use() * pool_.block_size();
    }

private:
    // Handles one decrypted application-data plaintext of a direction.
    void look_at(InnerFlow& flow, uint8_t direction, std::span<const uint8_t> plaintext) noexcept;

    std::shared_ptr<const KeyLog> keylog_;
    uint64_t generation_ = 0;
    Decryptor decryptor_;
    StatePool pool_;
    std::array<uint8_t, 16384 + 256> plaintext_{};  // one record, per worker
};

}  // namespace ottscope::tls
