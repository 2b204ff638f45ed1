#pragma once
// A TLS key log in the NSS SSLKEYLOGFILE format (what OpenSSL, browsers and curl write when
// SSLKEYLOGFILE is set): one "LABEL CLIENT_RANDOM SECRET" line per secret, both in hex. Only
// the secrets that decrypt application data are kept: CLIENT_RANDOM (the TLS 1.2 master
// secret) and CLIENT_/SERVER_TRAFFIC_SECRET_0 (TLS 1.3); other labels are skipped.
//
// A KeyLog is an immutable snapshot built by the control side and shared read-only with the
// workers; lookups do not allocate. The text is never echoed back: errors name the line, not
// its content, because every line holds a secret.

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ottscope::tls {

struct KeyLogSecret {
    std::array<uint8_t, 48> bytes{};
    uint8_t length = 0;  // 0: absent; 48 for a master secret; 32 or 48 for traffic secrets
    [[nodiscard]] std::span<const uint8_t> view() const noexcept { return {bytes.data(), length}; }
    [[nodiscard]] bool present() const noexcept { return length != 0; }
};

struct KeyLogEntry {
    std::array<uint8_t, 32> client_random{};
    KeyLogSecret master;          // TLS 1.2 and older
    KeyLogSecret client_traffic;  // TLS 1.3 CLIENT_TRAFFIC_SECRET_0
    KeyLogSecret server_traffic;  // TLS 1.3 SERVER_TRAFFIC_SECRET_0
};

// A key log grows while clients run, so a new snapshot is the previous one plus the lines
// appended since: a layer over its base, whose entries it completes. Lookups try the newest
// layer first; past kMaxLayers the layers are flattened into one, so a lookup stays a few
// binary searches and an append costs its own lines, not the whole file.
class KeyLog {
public:
    static constexpr unsigned kMaxLayers = 16;

    // Sorted and merged here; `base` (may be null) holds what earlier lines logged.
    explicit KeyLog(std::vector<KeyLogEntry> entries, std::shared_ptr<const KeyLog> base = nullptr);

    // The secrets logged for a session, by its ClientHello random; null when none.
    [[nodiscard]] const KeyLogEntry* find(
        std::span<const uint8_t, 32> client_random) const noexcept;
    // Sessions with secrets, over every layer.
    [[nodiscard]] size_t size() const noexcept { return sessions_; }
    [[nodiscard]] unsigned layers() const noexcept { return layers_; }

private:
    [[nodiscard]] const KeyLogEntry* find_here(
        std::span<const uint8_t, 32> client_random) const noexcept;

    std::vector<KeyLogEntry> entries_;  // sorted by client_random, one per session
    std::shared_ptr<const KeyLog> base_;
    size_t sessions_ = 0;
    unsigned layers_ = 1;
};

struct KeyLogParse {
    std::shared_ptr<const KeyLog> keylog;  // never null, possibly empty
    size_t lines = 0;
    // Bytes up to the end of the last complete line: where the next incremental read starts.
    size_t consumed = 0;
    size_t line_count = 0;  // newline-terminated lines in those bytes
    size_t malformed = 0;   // lines that are neither comments, blank, nor LABEL HEX HEX
    // "FILE:LINE: what is wrong", for the first few malformed lines (never their text).
    std::vector<std::string> errors;
    std::string read_error;  // the file could not be read (the key log is then empty)
};

// Parses key log text. A last line without a newline is still being written by its client:
// it is taken when it parses and otherwise ignored (not counted as malformed).
// `base`: the snapshot the text was appended to; `first_line`: the text's first line number.
KeyLogParse parse_keylog(std::string_view text, std::string_view file_name,
                         std::shared_ptr<const KeyLog> base = nullptr, size_t first_line = 1);
KeyLogParse load_keylog_file(const std::string& path);

}  // namespace ottscope::tls
