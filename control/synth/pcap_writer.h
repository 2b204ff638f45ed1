#pragma once

#include <cstdio>
#include <span>
#include <string>

#include "capture.h"

namespace ottscope::synth {

// Classic pcap (not pcapng), little-endian, microsecond resolution, LINKTYPE_ETHERNET. Written by
// hand rather than through pcap_dump so the bytes do not depend on the libpcap version and the
// error reason is errno's own.
class PcapWriter {
public:
    // Opens (truncates) `path` at once so an unwritable destination fails before any synthesis.
    explicit PcapWriter(std::string path);
    ~PcapWriter();  // without finish(): closes and removes the partial regular file
    PcapWriter(const PcapWriter&) = delete;
    PcapWriter& operator=(const PcapWriter&) = delete;

    void write(std::span<const Packet> packets);
    void finish();

private:
    void put(const Bytes& bytes);

    std::string path_;
    std::FILE* file_ = nullptr;
};

}  // namespace ottscope::synth
