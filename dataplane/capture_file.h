#pragma once
// Reads a capture file's header and counts its packets before the pcap vdev replays it: the
// vdev tells neither the link type nor where the file ends, and both decide how we decode
// and when a capture run is complete.

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

std::optional<CaptureFileInfo> inspect_capture_file(const std::string& path,
                                                    CaptureFileError& error);

}  // namespace ottscope
