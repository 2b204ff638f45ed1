#pragma once
// What a flow-record sink did with the records offered to it, read by /metrics and the exit
// summary from any thread. Every record offered ends up written or dropped under one reason,
// so offered = written + dropped is checkable from outside.

#include <array>
#include <atomic>
#include <cstdint>

#include "classifiers/enum_names.h"

namespace ottscope {

enum class SinkDrop : uint8_t {
    backlog_full,  // the sink's bounded backlog was full: its consumer is slow, away or stuck
    write_error,   // lost to a failed write (disk full, reader gone, I/O error)
    shutdown,      // still waiting when the grace period at exit ran out
    count
};
inline constexpr auto kSinkDropNames = enum_names<SinkDrop>({
    {SinkDrop::backlog_full, "backlog_full"},
    {SinkDrop::write_error, "write_error"},
    {SinkDrop::shutdown, "shutdown"},
});

enum class SinkError : uint8_t {
    disk_full,    // ENOSPC, EDQUOT, EFBIG
    broken_pipe,  // EPIPE: the reader of a FIFO or pipe went away
    io_error,     // EIO and anything else a write or open can say
    count
};
inline constexpr auto kSinkErrorNames = enum_names<SinkError>({
    {SinkError::disk_full, "disk_full"},
    {SinkError::broken_pipe, "broken_pipe"},
    {SinkError::io_error, "io_error"},
});

struct RecordSinkStats {
    std::atomic<uint64_t> offered{0};
    std::atomic<uint64_t> written{0};
    std::array<std::atomic<uint64_t>, index_of(SinkDrop::count)> dropped{};
    std::array<std::atomic<uint64_t>, index_of(SinkError::count)> errors{};  // failed writes/opens
    std::atomic<bool> open{false};  // the output is open (a FIFO has a reader)
    std::atomic<uint64_t> backlog_bytes{0};

    void drop(SinkDrop reason, uint64_t records) noexcept {
        dropped[index_of(reason)].fetch_add(records, std::memory_order_relaxed);
    }
    [[nodiscard]] uint64_t dropped_total() const noexcept {
        uint64_t sum = 0;
        for (const auto& value : dropped) sum += value.load(std::memory_order_relaxed);
        return sum;
    }
};

}  // namespace ottscope
