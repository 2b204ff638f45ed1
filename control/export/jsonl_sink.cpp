#include "jsonl_sink.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace ottscope {
namespace {

constexpr auto kPollSlice = std::chrono::milliseconds(100);
// After the deadline, how long a writer busy in a non-blocking step gets to notice.
constexpr auto kAbandonGrace = std::chrono::milliseconds(300);
// What finish() still allows once a stop signal cuts the wait short.
constexpr auto kCutShortGrace = std::chrono::milliseconds(300);

size_t count_lines(std::string_view text) {
    return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

SinkError classify(int error) {
    switch (error) {
        case ENOSPC:
        case EDQUOT:
        case EFBIG:
            return SinkError::disk_full;
        case EPIPE:
            return SinkError::broken_pipe;
        default:
            return SinkError::io_error;
    }
}

}  // namespace

JsonLinesSink::JsonLinesSink(std::string path, size_t backlog_bytes)
    : path_(std::move(path)), backlog_limit_(backlog_bytes) {
    if (path_ == "-") {
        fd_ = STDOUT_FILENO;
        owns_fd_ = false;
        struct stat info {};
        pipe_like_ = ::fstat(fd_, &info) == 0 && !S_ISREG(info.st_mode);
    } else {
        struct stat info {};
        if (::stat(path_.c_str(), &info) == 0 && S_ISDIR(info.st_mode))
            throw std::runtime_error("cannot write flow records to " + path_ + ": a directory");
        fifo_ = ::stat(path_.c_str(), &info) == 0 && S_ISFIFO(info.st_mode);
        pipe_like_ = fifo_;
        if (!fifo_) {
            // Non-blocking: a FIFO put in place since the stat must not hold up start-up.
            fd_ =
                ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NONBLOCK, 0644);
            if (fd_ < 0)
                throw std::runtime_error("cannot write flow records to " + path_ + ": " +
                                         std::strerror(errno));
        }
    }
    stats_->open.store(fd_ >= 0, std::memory_order_relaxed);
    writer_ = std::thread([this] { writer_loop(); });
}

JsonLinesSink::~JsonLinesSink() {
    if (writer_.joinable()) finish(Clock::now());
    close_output();
}

bool JsonLinesSink::offer(std::string_view line) {
    stats_->offered.fetch_add(1, std::memory_order_relaxed);
    bool first = false;
    bool full = false;
    {
        std::lock_guard lock(mutex_);
        if (closing_) {
            stats_->drop(SinkDrop::shutdown, 1);
            return false;
        }
        full = pending_.size() + line.size() > backlog_limit_;
        if (full) stats_->drop(SinkDrop::backlog_full, 1);
        if (!full) {
            first = pending_.empty();
            pending_.append(line);
            ++pending_lines_;
            stats_->backlog_bytes.store(pending_.size(), std::memory_order_relaxed);
        }
    }
    if (full) {
        // Outside the lock: stderr may block, and the writer must still take the backlog.
        backlog_log_.print(fmt::format(
            "flow records to {}: the output does not keep up ({}); records are dropped while "
            "the {} MiB backlog is full",
            path_, stats_->open.load() ? "stuck or slow" : "no reader", backlog_limit_ >> 20));
        return false;
    }
    if (first) wake_.notify_one();
    return true;
}

// A FIFO without a reader refuses a non-blocking open (ENXIO): try again later, never wait.
bool JsonLinesSink::ensure_open() {
    if (fd_ >= 0) return true;
    if (!fifo_ || gave_up_) return false;
    const auto now = Clock::now();
    if (now < next_open_attempt_) return false;
    next_open_attempt_ = now + kReopenInterval;
    fd_ = ::open(path_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd_ < 0 && errno != ENXIO) fail(errno, "open", {});
    stats_->open.store(fd_ >= 0, std::memory_order_relaxed);
    return fd_ >= 0;
}

void JsonLinesSink::close_output() {
    if (fd_ >= 0 && owns_fd_) ::close(fd_);
    if (fd_ >= 0 && !owns_fd_) gave_up_ = true;  // standard output cannot be opened again
    fd_ = -1;
    stats_->open.store(false, std::memory_order_relaxed);
}

void JsonLinesSink::fail(int error, std::string_view doing, std::string_view unwritten) {
    const SinkError cause = classify(error);
    stats_->errors[static_cast<size_t>(cause)].fetch_add(1, std::memory_order_relaxed);
    const size_t lost = count_lines(unwritten);
    error_log_.print(fmt::format("flow records to {}: {} failed ({}): {} record{} dropped", path_,
                                 doing, std::strerror(error), lost, lost == 1 ? "" : "s"));
}

void JsonLinesSink::write_chunk(const std::string& chunk) {
    size_t done = 0;
    size_t line_start = 0;  // just after the last newline written
    auto drop_rest = [&](SinkDrop reason) {
        const size_t lost = count_lines(std::string_view(chunk).substr(line_start));
        stats_->drop(reason, lost);
        in_writer_lines_.fetch_sub(std::min<uint64_t>(lost, in_writer_lines_.load()));
    };
    while (done < chunk.size()) {
        {
            std::lock_guard lock(mutex_);
            if (abandon_) {
                drop_rest(SinkDrop::shutdown);
                return;
            }
        }
        if (!ensure_open()) {
            if (gave_up_) {
                drop_rest(SinkDrop::write_error);
                return;
            }
            std::unique_lock lock(mutex_);
            wake_.wait_for(lock, kPollSlice, [this] { return abandon_; });
            continue;
        }
        const ssize_t n = ::write(fd_, chunk.data() + done, chunk.size() - done);
        if (n > 0) {
            const std::string_view written(chunk.data() + done, static_cast<size_t>(n));
            done += static_cast<size_t>(n);
            const size_t whole = count_lines(written);
            if (whole != 0) {
                line_start = chunk.rfind('\n', done - 1) + 1;
                stats_->written.fetch_add(whole, std::memory_order_relaxed);
                in_writer_lines_.fetch_sub(whole, std::memory_order_relaxed);
                if (!pipe_like_) line_boundary_ = ::lseek(fd_, 0, SEEK_CUR) - (done - line_start);
            }
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) {
            pollfd entry{fd_, POLLOUT, 0};
            ::poll(&entry, 1, static_cast<int>(kPollSlice.count()));
            continue;
        }
        const int error = n < 0 ? errno : EIO;
        if (error == EPIPE && fifo_) {
            // The reader went away: only the line it got a part of is lost; the rest waits
            // for the next reader.
            close_output();
            const bool cut = done > line_start;
            fail(error, "write", cut ? "\n" : "");
            if (cut) {
                stats_->drop(SinkDrop::write_error, 1);
                in_writer_lines_.fetch_sub(1, std::memory_order_relaxed);
                const size_t end = chunk.find('\n', done);
                line_start = end == std::string::npos ? chunk.size() : end + 1;
                done = line_start;
            }
            continue;
        }
        fail(error, "write", std::string_view(chunk).substr(line_start));
        drop_rest(SinkDrop::write_error);
        if (pipe_like_) {
            close_output();  // a FIFO is opened again once a new reader is there
        } else if (::ftruncate(fd_, line_boundary_) != 0 ||
                   ::lseek(fd_, line_boundary_, SEEK_SET) < 0) {
            // The file keeps a part line; the next record starts on a line of its own.
            if (::write(fd_, "\n", 1) == 1) line_boundary_ = ::lseek(fd_, 0, SEEK_CUR);
        }
        return;
    }
}

void JsonLinesSink::writer_loop() {
    std::string chunk;
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            wake_.wait_for(lock, kPollSlice,
                           [this] { return !pending_.empty() || closing_ || abandon_; });
            if (abandon_) {
                stats_->drop(SinkDrop::shutdown, pending_lines_);
                pending_.clear();
                pending_lines_ = 0;
                break;
            }
            if (pending_.empty()) {
                if (closing_) break;
                continue;
            }
            chunk.clear();
            chunk.swap(pending_);  // the producer refills the buffer this chunk had before
            in_writer_lines_.store(pending_lines_, std::memory_order_relaxed);
            pending_lines_ = 0;
            stats_->backlog_bytes.store(0, std::memory_order_relaxed);
        }
        write_chunk(chunk);
    }
    std::lock_guard lock(mutex_);
    writer_done_ = true;
    done_.notify_all();
}

bool JsonLinesSink::finish(Clock::time_point deadline, bool (*cut_short)()) {
    if (!writer_.joinable()) return true;
    {
        std::lock_guard lock(mutex_);
        closing_ = true;
    }
    wake_.notify_all();
    bool shortened = false;
    std::unique_lock lock(mutex_);
    while (!writer_done_) {
        const auto now = Clock::now();
        if (now >= deadline) break;
        if (!shortened && cut_short != nullptr && cut_short()) {
            shortened = true;
            deadline = std::min(deadline, now + kCutShortGrace);
        }
        done_.wait_for(lock, std::chrono::milliseconds(20));
    }
    if (!writer_done_) {
        abandon_ = true;
        wake_.notify_all();
        done_.wait_for(lock, kAbandonGrace, [this] { return writer_done_; });
    }
    if (!writer_done_) {
        // Stuck in a system call (a blocking write to standard output, a hung file system):
        // count what it holds and leave it; the process exit ends it.
        stats_->drop(SinkDrop::shutdown, pending_lines_ + in_writer_lines_.exchange(0));
        pending_lines_ = 0;
        pending_.clear();
        lock.unlock();
        writer_.detach();
        return false;
    }
    lock.unlock();
    writer_.join();
    return true;
}

}  // namespace ottscope
