#pragma once
// The JSON Lines output of flow records (--flows-out FILE, or - for standard output), written
// by a thread of its own. Whoever drains the workers' record rings hands it finished lines and
// never waits: lines wait in a bounded backlog, and a line that finds it full is dropped and
// counted. Whatever the output does (a FIFO nobody reads, a reader that stops, a full disk, a
// hung network file system) only this thread waits for it.
//
// - A FIFO is opened by the writer thread once a reader is there (checked every
//   kReopenInterval); start-up never waits for it. A reader that goes away (EPIPE) is waited
//   for again the same way.
// - A failed write is counted by cause, logged at once and then at most every 10 s, and the
//   lines it took are counted as dropped; a regular file is cut back to its last whole line,
//   so that a file that filled up and got space again carries no half record.
// - At exit, finish() gives the writer until a deadline; what it has not written then is
//   counted as dropped at shutdown.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "control/export/record_sink_stats.h"
#include "control/rate_limited_log.h"

namespace ottscope {

class JsonLinesSink {
public:
    using Clock = std::chrono::steady_clock;
    static constexpr size_t kDefaultBacklogBytes = size_t{64} << 20;
    static constexpr auto kReopenInterval = std::chrono::milliseconds(200);

    // Opens `path` for writing ("-": standard output), or, for a FIFO, leaves that to the
    // writer thread. Throws std::runtime_error for an output that can never be written (a
    // directory, a missing folder, no permission).
    explicit JsonLinesSink(std::string path, size_t backlog_bytes = kDefaultBacklogBytes);
    ~JsonLinesSink();
    JsonLinesSink(const JsonLinesSink&) = delete;
    JsonLinesSink& operator=(const JsonLinesSink&) = delete;

    // One whole line, newline included, from a single producer thread. Never blocks for the
    // output; false when the line was dropped (counted as backlog_full).
    bool offer(std::string_view line);

    // Stops taking lines and waits until the backlog is written, `deadline` passes or
    // `cut_short()` turns true (then a short grace remains). Counts what is left as dropped at
    // shutdown. Returns true when the writer thread ended; false when it is stuck inside a
    // system call, and then this object must be left to the process exit.
    bool finish(Clock::time_point deadline, bool (*cut_short)() = nullptr);

    [[nodiscard]] const RecordSinkStats& stats() const noexcept { return *stats_; }
    [[nodiscard]] const std::string& path() const noexcept { return path_; }

private:
    void writer_loop();
    bool ensure_open();
    void write_chunk(const std::string& chunk);
    void fail(int error, std::string_view doing, std::string_view unwritten);
    void close_output();

    std::string path_;
    size_t backlog_limit_;
    bool fifo_ = false;
    bool pipe_like_ = false;  // FIFO or standard output that is not a regular file
    bool owns_fd_ = true;
    int fd_ = -1;
    bool gave_up_ = false;     // standard output broke: nothing can reopen it
    off_t line_boundary_ = 0;  // regular files: the end of the last whole line written
    Clock::time_point next_open_attempt_{};
    RateLimitedLog error_log_;    // writer thread
    RateLimitedLog backlog_log_;  // producer thread
    // Shared with the producer, guarded by mutex_.
    std::mutex mutex_;
    std::condition_variable wake_;
    std::string pending_;
    size_t pending_lines_ = 0;
    bool closing_ = false;
    bool abandon_ = false;  // the deadline passed: drop the rest and leave
    bool writer_done_ = false;
    std::condition_variable done_;
    std::atomic<uint64_t> in_writer_lines_{0};  // taken by the writer, not yet written or dropped
    std::shared_ptr<RecordSinkStats> stats_ = std::make_shared<RecordSinkStats>();
    std::thread writer_;
};

}  // namespace ottscope
