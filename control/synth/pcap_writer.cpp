#include "pcap_writer.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

#include "synth_error.h"

namespace ottscope::synth {

namespace {

constexpr uint32_t kMagicMicroseconds = 0xa1b2c3d4;
constexpr uint32_t kSnapLen = 65535;
constexpr uint32_t kLinkTypeEthernet = 1;

}  // namespace

PcapWriter::PcapWriter(std::string path) : path_(std::move(path)) {
    file_ = std::fopen(path_.c_str(), "wb");
    if (file_ == nullptr) throw SynthError(std::strerror(errno));
    Bytes header;
    ByteWriter w(header);
    w.u32le(kMagicMicroseconds);
    w.u16le(2);  // version 2.4
    w.u16le(4);
    w.u32le(0);  // thiszone
    w.u32le(0);  // sigfigs
    w.u32le(kSnapLen);
    w.u32le(kLinkTypeEthernet);
    put(header);
}

PcapWriter::~PcapWriter() {
    if (file_ == nullptr) return;
    std::fclose(file_);
    std::error_code ec;
    if (std::filesystem::is_regular_file(path_, ec)) std::filesystem::remove(path_, ec);
}

void PcapWriter::put(const Bytes& bytes) {
    if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) {
        throw SynthError(std::strerror(errno));
    }
}

void PcapWriter::write(std::span<const Packet> packets) {
    for (const Packet& packet : packets) {
        if (packet.frame.size() > kSnapLen) throw SynthError("frame larger than the snap length");
        Bytes record;
        record.reserve(16 + packet.frame.size());
        ByteWriter w(record);
        w.u32le(static_cast<uint32_t>(packet.time_us / 1'000'000));
        w.u32le(static_cast<uint32_t>(packet.time_us % 1'000'000));
        w.u32le(static_cast<uint32_t>(packet.frame.size()));
        w.u32le(static_cast<uint32_t>(packet.frame.size()));
        w.bytes(packet.frame);
        put(record);
    }
}

void PcapWriter::finish() {
    std::FILE* file = std::exchange(file_, nullptr);
    const bool flushed = std::fflush(file) == 0;
    const int saved_errno = errno;
    if (std::fclose(file) != 0 || !flushed) {
        const std::string reason = std::strerror(flushed ? errno : saved_errno);
        std::error_code ec;
        if (std::filesystem::is_regular_file(path_, ec)) std::filesystem::remove(path_, ec);
        throw SynthError(reason);
    }
}

}  // namespace ottscope::synth
