#pragma once
// Reads a capture file's header and counts its packets for the pcap vdev that replays it:
// the vdev tells neither the link type nor where the file ends, and both decide how we
// decode and when a capture run is complete. The link type is needed before the port is
// made; the count only before the run can end, so it may be taken while the dataplane
// starts (see CaptureCounter).

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "link_type.h"

namespace ottscope {

struct CaptureFileInfo {
    std::string path;
    LinkType link = LinkType::ethernet;
    int dlt = 0;
    uint64_t packets = 0;  // readable packets
    uint64_t bytes = 0;
    std::string damage;  // why reading stopped early ("truncated ..."), empty when whole
};

// Fails with a one-line reason when the file cannot be used at all.
struct CaptureFileError {
    std::string message;
};

// The header only: path, link type and DLT; packets, bytes and damage are left for
// count_capture_file.
std::optional<CaptureFileInfo> open_capture_file(const std::string& path, CaptureFileError& error);

// Fills packets, bytes and damage. Returns false when `stop` was set before the end (the
// figures are then partial), or when the file can no longer be opened. `walk_headers`
// false reads every packet through libpcap even where the record headers would do.
bool count_capture_file(CaptureFileInfo& info, const std::atomic<bool>& stop,
                        bool walk_headers = true);

// Both, one after the other.
std::optional<CaptureFileInfo> inspect_capture_file(const std::string& path,
                                                    CaptureFileError& error);

}  // namespace ottscope
