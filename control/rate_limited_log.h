#pragma once
// A log line that may repeat thousands of times a second (a full disk, a reader gone) is
// printed at once the first time, then at most once per interval with how many were folded
// into it: the operator sees the problem immediately and the log does not fill the disk too.

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace ottscope {

class RateLimitedLog {
public:
    using Clock = std::chrono::steady_clock;
    explicit RateLimitedLog(Clock::duration interval = std::chrono::seconds(10))
        : interval_(interval) {}

    // Prints `line` now, or counts it to be mentioned with the next line printed.
    void print(const std::string& line, Clock::time_point now = Clock::now()) {
        if (printed_once_ && now - last_ < interval_) {
            ++suppressed_;
            return;
        }
        if (suppressed_ != 0)
            fmt::print(stderr, "ottscope: {} ({} similar lines in the last {} s)\n", line,
                       suppressed_,
                       std::chrono::duration_cast<std::chrono::seconds>(now - last_).count());
        else
            fmt::print(stderr, "ottscope: {}\n", line);
        printed_once_ = true;
        last_ = now;
        suppressed_ = 0;
    }

private:
    Clock::duration interval_;
    Clock::time_point last_{};
    bool printed_once_ = false;
    uint64_t suppressed_ = 0;
};

}  // namespace ottscope
