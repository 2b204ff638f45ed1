#include "keylog_store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ottscope {
namespace {

struct FileBytes {
    std::string text;
    std::string error;  // empty when read
};

// Reads [offset, size) of an open regular file.
FileBytes read_range(int fd, uint64_t offset, uint64_t size) {
    FileBytes out;
    out.text.resize(size - offset);
    size_t done = 0;
    while (done < out.text.size()) {
        const ssize_t n = ::pread(fd, out.text.data() + done, out.text.size() - done,
                                  static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            out.error = std::strerror(errno);
            return out;
        }
        if (n == 0) break;  // cut shorter meanwhile: what was there is read
        done += static_cast<size_t>(n);
    }
    out.text.resize(done);
    return out;
}

}  // namespace

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
    auto unreadable = [&](const std::string& why) {
        // Clients may create the file later: decrypt nothing until then, and say so once.
        if (path != path_ || current_ == nullptr || size_ != -1)
            fmt::print(stderr,
                       "ottscope: warning: cannot read TLS key log {}: {}; no flow is decrypted "
                       "until it can be read\n",
                       path, why);
        path_ = path;
        mtime_ns_ = -1;
        size_ = -1;
        inode_ = 0;
        consumed_ = 0;
        lines_ = 0;
        current_ = tls::parse_keylog({}, path).keylog;
        sessions_.store(0);
        malformed_.store(0);
        return current_;
    };
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return unreadable(std::strerror(errno));
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat info {};
    if (::fstat(fd, &info) != 0) return unreadable(std::strerror(errno));
    if (!S_ISREG(info.st_mode)) return unreadable("not a regular file");
    const auto size = static_cast<uint64_t>(info.st_size);
    if (size > kMaxBytes)
        return unreadable(
            fmt::format("{} bytes, more than the {} a key log may have", size, kMaxBytes));
    const int64_t mtime_ns =
        static_cast<int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec;
    const bool same_file = current_ && path == path_ && info.st_ino == inode_ && size_ >= 0;
    if (same_file && mtime_ns == mtime_ns_ && static_cast<int64_t>(size) == size_) return current_;

    const bool appended = same_file && size >= consumed_;
    const uint64_t from = appended ? consumed_ : 0;
    FileBytes bytes = read_range(fd, from, size);
    if (!bytes.error.empty()) return unreadable(bytes.error);
    tls::KeyLogParse parsed = tls::parse_keylog(bytes.text, path, appended ? current_ : nullptr,
                                                appended ? lines_ + 1 : 1);
    for (const std::string& error : parsed.errors)
        fmt::print(stderr, "ottscope: {}: key log line skipped\n", error);
    if (parsed.malformed > parsed.errors.size())
        fmt::print(stderr, "ottscope: {}: {} more malformed key log lines skipped\n", path,
                   parsed.malformed - parsed.errors.size());
    // A whole read is announced; appends (every second while clients log) are not.
    if (!appended)
        fmt::print(stderr, "ottscope: TLS key log {}: secrets of {} sessions, {} malformed lines\n",
                   path, parsed.keylog->size(), parsed.malformed);
    path_ = path;
    mtime_ns_ = mtime_ns;
    size_ = static_cast<int64_t>(size);
    inode_ = info.st_ino;
    consumed_ = from + parsed.consumed;
    lines_ = (appended ? lines_ : 0) + parsed.line_count;
    current_ = parsed.keylog;
    sessions_.store(current_->size());
    malformed_.store((appended ? malformed_.load() : 0) + parsed.malformed);
    return current_;
}

}  // namespace ottscope
