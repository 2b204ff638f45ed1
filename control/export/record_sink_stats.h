#pragma once
// What a flow-record sink did with the records offered to it, read by /metrics and the exit
// summary from any thread. Every record offered ends up written or dropped under one reason,
// so offered = written + dropped is checkable from outside.

#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>

namespace ottscope {

enum class SinkDrop : uint8_t {
    backlog_full,  // the sink's bounded backlog was full: its consumer is slow, away or stuck
    write_error,   // lost to a failed write (disk full, reader gone, I/O error)
    shutdown,      // still waiting when the grace period at exit ran out
    count
};
inline constexpr std::array<std::string_view, 3> kSinkDropNames = {"backlog_full", "write_error",
                                                                   "shutdown"};
static_assert(kSinkDropNames.size() == static_cast<size_t>(SinkDrop::count));

enum class SinkError : uint8_t {
    disk_full,    // ENOSPC, EDQUOT, EFBIG
    broken_pipe,  // EPIPE: the reader of a FIFO or pipe went away
    io_error,     // EIO and anything else a write or open can say
    count
};
inline constexpr std::array<std::string_view, 3> kSinkErrorNames = {"disk_full", "broken_pipe",
                                                                    "io_error"};
static_assert(kSinkErrorNames.size() == static_cast<size_t>(SinkError::count));

struct RecordSinkStats {
    std::atomic<uint64_t> offered{0};
    std::atomic<uint64_t> written{0};
    std::array<std::atomic<uint64_t>, kSinkDropNames.size()> dropped{};
    std::array<std::atomic<uint64_t>, kSinkErrorNames.size()> errors{};  // failed writes/opens
    std::atomic<bool> open{false};  // the output is open (a FIFO has a reader)
    std::atomic<uint64_t> backlog_bytes{0};

    void drop(SinkDrop reason, uint64_t records) noexcept {
        dropped[static_cast<size_t>(reason)].fetch_add(records, std::memory_order_relaxed);
    }
    [[nodiscard]] uint64_t dropped_total() const noexcept {
        uint64_t sum = 0;
        for (const auto& value : dropped) sum += value.load(std::memory_order_relaxed);
        return sum;
    }
};

}  // namespace ottscope
