#pragma once
// The control side of the TLS key log: reads the file into an immutable snapshot for the
// workers (classifiers/tls/tls_keylog.h). The file grows while clients log their secrets:
// when it only grew, just the lines appended since the last read are read and layered over
// the last snapshot; a file replaced or cut shorter is read again whole. Only regular files
// up to kMaxBytes are read, opened so that a FIFO in their place cannot block the reader. Problems
// are reported by FILE:LINE on stderr, never with the line's text (every line holds a secret).
// Thread-safe: startup and the reloader use it.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "classifiers/tls/tls_keylog.h"

namespace ottscope {

class KeyLogStore {
public:
    static constexpr uint64_t kMaxBytes = uint64_t{1} << 30;

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
    uint64_t inode_ = 0;
    uint64_t consumed_ = 0;  // bytes read up to the end of the last complete line
    size_t lines_ = 0;       // complete lines in them
    std::shared_ptr<const tls::KeyLog> current_;
    std::atomic<uint64_t> sessions_{0};
    std::atomic<uint64_t> malformed_{0};
    std::atomic<bool> configured_{false};
};

}  // namespace ottscope
