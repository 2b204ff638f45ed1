#include "keylog_store.h"

#include <fmt/format.h>
#include <sys/stat.h>

namespace ottscope {

std::shared_ptr<const tls::KeyLog> KeyLogStore::snapshot(const std::string& path) {
    std::lock_guard lock(mutex_);
    configured_.store(!path.empty());
    if (path.empty()) {
        path_.clear();
        current_.reset();
        sessions_.store(0);
        malformed_.store(0);
        return nullptr;
    }
    struct stat info {};
    int64_t mtime_ns = -1;
    int64_t size = -1;
    if (::stat(path.c_str(), &info) == 0) {
        mtime_ns = static_cast<int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec;
        size = info.st_size;
    }
    if (current_ && path == path_ && mtime_ns == mtime_ns_ && size == size_) return current_;

    tls::KeyLogParse parsed = tls::load_keylog_file(path);
    if (!parsed.read_error.empty())
        fmt::print(stderr,
                   "ottscope: warning: cannot read TLS key log {}; no flow is decrypted "
                   "until it can be read\n",
                   parsed.read_error);
    for (const std::string& error : parsed.errors)
        fmt::print(stderr, "ottscope: {}: key log line skipped\n", error);
    if (parsed.malformed > parsed.errors.size())
        fmt::print(stderr, "ottscope: {}: {} more malformed key log lines skipped\n", path,
                   parsed.malformed - parsed.errors.size());
    if (parsed.read_error.empty())
        fmt::print(stderr, "ottscope: TLS key log {}: secrets of {} sessions, {} malformed lines\n",
                   path, parsed.keylog->size(), parsed.malformed);
    path_ = path;
    mtime_ns_ = mtime_ns;
    size_ = size;
    current_ = parsed.keylog;
    sessions_.store(current_->size());
    malformed_.store(parsed.malformed);
    return current_;
}

}  // namespace ottscope
