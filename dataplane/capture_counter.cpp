#include "capture_counter.h"

namespace ottscope {

CaptureCounter::CaptureCounter(std::vector<CaptureFileInfo> captures, bool walk_headers,
                               std::function<void()> first)
    : first_(std::move(first)),
      captures_(std::move(captures)),
      expected_(std::make_unique<std::atomic<uint64_t>[]>(captures_.size())),
      walk_headers_(walk_headers) {
    for (size_t i = 0; i < captures_.size(); ++i)
        expected_[i].store(kUnknown, std::memory_order_relaxed);
    thread_ = std::thread([this] { count_all(); });
}

CaptureCounter::~CaptureCounter() {
    abandon();
}

void CaptureCounter::count_all() noexcept {
    if (first_) {
        try {
            first_();
        } catch (...) {  // what `first` leaves undone is done, and reported, by whoever needs it
        }
    }
    for (size_t i = 0; i < captures_.size(); ++i) {
        // A file that cannot be read again is taken as ending where the count ended (its
        // damage says why), so its port still finishes.
        const bool whole = count_capture_file(captures_[i], stop_, walk_headers_);
        expected_[i].store(captures_[i].packets, std::memory_order_release);
        if (!whole && stop_.load(std::memory_order_relaxed)) return;
    }
}

const std::vector<CaptureFileInfo>& CaptureCounter::wait() {
    if (thread_.joinable()) thread_.join();
    return captures_;
}

void CaptureCounter::abandon() {
    stop_.store(true, std::memory_order_relaxed);
    if (thread_.joinable()) thread_.join();
}

}  // namespace ottscope
