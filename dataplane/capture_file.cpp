#include "capture_file.h"

#include <fcntl.h>
#include <pcap/pcap.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>

namespace ottscope {
namespace {

// libpcap's own ceiling for a record of the common link types: longer ones are an error.
constexpr uint32_t kMaxRecordLength = 262144;
constexpr size_t kFileHeaderLength = 24;
constexpr size_t kRecordHeaderLength = 16;
// A count asked to stop looks at the request this often (records).
constexpr uint64_t kStopCheckMask = (1u << 16) - 1;

struct Count {
    uint64_t packets = 0;
    uint64_t bytes = 0;
};

uint32_t read_u32(const uint8_t* at, bool swapped) noexcept {
    uint32_t value = 0;
    std::memcpy(&value, at, sizeof(value));
    return swapped ? __builtin_bswap32(value) : value;
}

// A window of the file mapped read-only: headers are read through it, and it moves forward
// so at most this much of the file is mapped (and counted as resident) at once. The count
// runs while DPDK starts and the first packets flow, so the window adds to the run's peak
// resident memory: 32 MiB made that peak vary by as much from run to run; 4 MiB costs
// about 220 mappings for the 874 MB benchmark capture (measured: see README, Performance).
class FileWindow {
public:
    static constexpr size_t kLength = size_t{4} << 20;

    FileWindow(int fd, size_t file_size) : fd_(fd), file_size_(file_size) {}
    ~FileWindow() { unmap(); }
    FileWindow(const FileWindow&) = delete;
    FileWindow& operator=(const FileWindow&) = delete;

    // The `length` bytes at `offset`, or nullptr when they cannot be mapped.
    const uint8_t* at(size_t offset, size_t length) {
        if (base_ == nullptr || offset < start_ || offset + length > start_ + mapped_) {
            unmap();
            start_ = offset & ~(kPage - 1);
            mapped_ = std::min(kLength, file_size_ - start_);
            void* mapped =
                ::mmap(nullptr, mapped_, PROT_READ, MAP_PRIVATE, fd_, static_cast<off_t>(start_));
            if (mapped == MAP_FAILED) return nullptr;
            base_ = static_cast<const uint8_t*>(mapped);
            ::madvise(mapped, mapped_, MADV_SEQUENTIAL);
            prefetched_ = offset;
            if (offset + length > start_ + mapped_) return nullptr;
        }
        return base_ + (offset - start_);
    }

    // Asks for every cache line of the mapping up to `kPrefetchAhead` bytes past `offset`.
    // Each record header's place depends on the one before it, so the walk stalls on memory
    // at every record unless its line is already on the way: with this the benchmark
    // capture (1M records, 874 MB) is walked in about 125 ms of CPU instead of 190.
    void prefetch_past(size_t offset) noexcept {
        const size_t until = std::min(offset + kPrefetchAhead, start_ + mapped_);
        for (; prefetched_ < until; prefetched_ += kCacheLine)
            __builtin_prefetch(base_ + (prefetched_ - start_));
    }

private:
    static constexpr size_t kPage = 4096;
    static constexpr size_t kCacheLine = 64;
    static constexpr size_t kPrefetchAhead = 4096;

    void unmap() noexcept {
        if (base_ != nullptr) ::munmap(const_cast<uint8_t*>(base_), mapped_);
        base_ = nullptr;
    }

    int fd_;
    size_t file_size_;
    const uint8_t* base_ = nullptr;
    size_t start_ = 0;
    size_t mapped_ = 0;
    size_t prefetched_ = 0;  // file offset up to which lines were asked for
};

std::optional<Count> walk_records(FileWindow& window, size_t size, const std::atomic<bool>& stop) {
    const uint8_t* header = window.at(0, kFileHeaderLength);
    if (header == nullptr) return std::nullopt;
    uint32_t magic = 0;
    std::memcpy(&magic, header, sizeof(magic));
    const bool native = magic == 0xa1b2c3d4 || magic == 0xa1b23c4d;
    const bool swapped = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
    if (!native && !swapped) return std::nullopt;
    const uint32_t snap_length = read_u32(header + 16, swapped);
    if (snap_length == 0) return std::nullopt;
    const uint32_t longest = std::min(kMaxRecordLength, snap_length);
    Count count;
    size_t offset = kFileHeaderLength;
    while (offset < size) {
        if (size - offset < kRecordHeaderLength) return std::nullopt;
        const uint8_t* record = window.at(offset, kRecordHeaderLength);
        if (record == nullptr) return std::nullopt;
        const uint32_t captured = read_u32(record + 8, swapped);
        offset += kRecordHeaderLength;
        if (captured > longest || size - offset < captured) return std::nullopt;
        offset += captured;
        window.prefetch_past(offset);
        ++count.packets;
        count.bytes += captured;
        if ((count.packets & kStopCheckMask) == 0 && stop.load(std::memory_order_relaxed))
            return count;
    }
    return count;
}

// Counts the records of a classic pcap file by reading their headers through a mapping,
// without copying packet bytes: the 874 MB benchmark capture is counted in about 125 ms
// instead of being read a second time through libpcap before the pcap vdev replays it. Only files
// that are plainly whole are counted here; pcapng, the modified pcap variants and any record
// libpcap could object to give nullopt, and libpcap reads them (and words their damage) itself.
std::optional<Count> count_classic_pcap(const std::string& path, const std::atomic<bool>& stop) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    struct stat info {};
    std::optional<Count> result;
    if (::fstat(fd, &info) == 0 && S_ISREG(info.st_mode) &&
        static_cast<size_t>(info.st_size) >= kFileHeaderLength) {
        const auto size = static_cast<size_t>(info.st_size);
        FileWindow window(fd, size);
        result = walk_records(window, size, stop);
    }
    ::close(fd);
    return result;
}
}  // namespace

std::optional<CaptureFileInfo> open_capture_file(const std::string& path, CaptureFileError& error) {
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    std::unique_ptr<pcap_t, decltype(&pcap_close)> pcap(pcap_open_offline(path.c_str(), errbuf),
                                                        &pcap_close);
    if (!pcap) {
        error.message = path + ": cannot read capture: " + errbuf;
        return std::nullopt;
    }
    CaptureFileInfo info;
    info.path = path;
    info.dlt = pcap_datalink(pcap.get());
    const auto link = link_type_from_dlt(info.dlt);
    if (!link) {
        const char* name = pcap_datalink_val_to_name(info.dlt);
        error.message = path + ": unsupported link type " + std::to_string(info.dlt) + " (" +
                        (name != nullptr ? name : "unknown") + ")";
        return std::nullopt;
    }
    info.link = *link;
    return info;
}

bool count_capture_file(CaptureFileInfo& info, const std::atomic<bool>& stop, bool walk_headers) {
    info.packets = 0;
    info.bytes = 0;
    info.damage.clear();
    if (const std::optional<Count> count =
            walk_headers ? count_classic_pcap(info.path, stop) : std::nullopt) {
        info.packets = count->packets;
        info.bytes = count->bytes;
        return !stop.load(std::memory_order_relaxed);
    }
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    std::unique_ptr<pcap_t, decltype(&pcap_close)> pcap(
        pcap_open_offline(info.path.c_str(), errbuf), &pcap_close);
    if (!pcap) {
        info.damage = std::string("cannot be read again: ") + errbuf;
        return false;
    }
    pcap_pkthdr* header = nullptr;
    const u_char* data = nullptr;
    int status = 0;
    while ((status = pcap_next_ex(pcap.get(), &header, &data)) == 1) {
        ++info.packets;
        info.bytes += header->caplen;
        if ((info.packets & kStopCheckMask) == 0 && stop.load(std::memory_order_relaxed))
            return false;
    }
    if (status == PCAP_ERROR) {
        info.damage =
            "damaged after packet " + std::to_string(info.packets) + ": " + pcap_geterr(pcap.get());
    }
    return true;
}

std::optional<CaptureFileInfo> inspect_capture_file(const std::string& path,
                                                    CaptureFileError& error) {
    std::optional<CaptureFileInfo> info = open_capture_file(path, error);
    const std::atomic<bool> never{false};
    if (info) count_capture_file(*info, never);
    return info;
}

}  // namespace ottscope
