#include "file_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ottscope {
namespace {

// Closes the descriptor on every path out, errors included.
class Descriptor {
public:
    explicit Descriptor(int fd) noexcept : fd_(fd) {}
    Descriptor(const Descriptor&) = delete;
    Descriptor& operator=(const Descriptor&) = delete;
    ~Descriptor() {
        if (fd_ >= 0) ::close(fd_);
    }
    [[nodiscard]] int get() const noexcept { return fd_; }

private:
    int fd_;
};

std::string kind_of(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISSOCK(mode)) return "a socket";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    return "not a regular file";
}

std::string open_error(int error_number) {
    switch (error_number) {
        case ENOENT:
            return "does not exist (or is a symbolic link to nothing)";
        case ENXIO:
            return "is a socket or a device without a reader, not a regular file";
        case EACCES:
            return "cannot be read: permission denied";
        case ELOOP:
            return "is a loop of symbolic links";
        default:
            return std::string("cannot be opened: ") + std::strerror(error_number);
    }
}

// Opens and checks; -1 with `error` set on refusal.
int open_checked(const std::string& path, uint64_t max_bytes, std::string& error, uint64_t& size) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        error = open_error(errno);
        return -1;
    }
    struct stat info {};
    if (::fstat(fd, &info) != 0) {
        error = std::string("cannot be examined: ") + std::strerror(errno);
        ::close(fd);
        return -1;
    }
    if (!S_ISREG(info.st_mode)) {
        error = "is " + kind_of(info.st_mode) + ", not a regular file";
        ::close(fd);
        return -1;
    }
    size = static_cast<uint64_t>(info.st_size);
    if (size > max_bytes) {
        error = "is " + std::to_string(size) + " bytes, more than the limit of " +
                std::to_string(max_bytes);
        ::close(fd);
        return -1;
    }
    return fd;
}

}  // namespace

std::optional<std::string> read_regular_file(const std::string& path, uint64_t max_bytes,
                                             std::string& error) {
    uint64_t size = 0;
    const Descriptor fd(open_checked(path, max_bytes, error, size));
    if (fd.get() < 0) return std::nullopt;
    std::string contents;
    contents.reserve(size);
    char buffer[65536];
    for (;;) {
        const ssize_t got = ::read(fd.get(), buffer, sizeof(buffer));
        if (got == 0) break;
        if (got < 0) {
            if (errno == EINTR) continue;
            error = std::string("cannot be read: ") + std::strerror(errno);
            return std::nullopt;
        }
        // The file may be growing while we read it: the bound holds for what we keep.
        if (contents.size() + static_cast<size_t>(got) > max_bytes) {
            error = "grew past the limit of " + std::to_string(max_bytes) + " bytes while read";
            return std::nullopt;
        }
        contents.append(buffer, static_cast<size_t>(got));
    }
    return contents;
}

bool is_readable_regular_file(const std::string& path, uint64_t max_bytes, std::string& error) {
    uint64_t size = 0;
    const Descriptor fd(open_checked(path, max_bytes, error, size));
    return fd.get() >= 0;
}

}  // namespace ottscope
