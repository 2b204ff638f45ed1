#pragma once
// The control side of the TLS key log: reads the file into an immutable snapshot for the
// workers (classifiers/tls/tls_keylog.h), and again only when the file changed (it grows
// while clients log their secrets). Problems are reported by FILE:LINE on stderr, never with
// the line's text (every line holds a secret). Thread-safe: startup and the reloader use it.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "classifiers/tls/tls_keylog.h"

namespace ottscope {

class KeyLogStore {
public:
    // The snapshot of `path` ("" for none: null). A file that cannot be read gives an empty
    // snapshot (clients may create it later) and a warning.
    std::shared_ptr<const tls::KeyLog> snapshot(const std::string& path);

    // For /metrics, from any thread: of the snapshot last read.
    [[nodiscard]] uint64_t sessions() const noexcept { return sessions_.load(); }
    [[nodiscard]] uint64_t malformed_lines() const noexcept { return malformed_.load(); }
    [[nodiscard]] bool configured() const noexcept { return configured_.load(); }

private:
    std::mutex mutex_;
    std::string path_;
    int64_t mtime_ns_ = -1;
    int64_t size_ = -1;
    std::shared_ptr<const tls::KeyLog> current_;
    std::atomic<uint64_t> sessions_{0};
    std::atomic<uint64_t> malformed_{0};
    std::atomic<bool> configured_{false};
};

}  // namespace ottscope
