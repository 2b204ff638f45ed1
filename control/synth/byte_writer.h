#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace ottscope::synth {

using Bytes = std::vector<uint8_t>;

// Appends fixed-width integers in an explicit byte order: wire formats are big-endian, the pcap
// file is little-endian, and neither may depend on the host.
class ByteWriter {
public:
    explicit ByteWriter(Bytes& out) : out_(out) {}

    void u8(uint8_t v) { out_.push_back(v); }
    void u16be(uint16_t v) {
        u8(static_cast<uint8_t>(v >> 8));
        u8(static_cast<uint8_t>(v));
    }
    void u32be(uint32_t v) {
        u16be(static_cast<uint16_t>(v >> 16));
        u16be(static_cast<uint16_t>(v));
    }
    void u16le(uint16_t v) {
        u8(static_cast<uint8_t>(v));
        u8(static_cast<uint8_t>(v >> 8));
    }
    void u32le(uint32_t v) {
        u16le(static_cast<uint16_t>(v));
        u16le(static_cast<uint16_t>(v >> 16));
    }
    void bytes(std::span<const uint8_t> v) { out_.insert(out_.end(), v.begin(), v.end()); }
    void text(std::string_view v) { out_.insert(out_.end(), v.begin(), v.end()); }
    size_t size() const { return out_.size(); }

private:
    Bytes& out_;
};

inline Bytes to_bytes(std::string_view text) {
    return Bytes(text.begin(), text.end());
}

}  // namespace ottscope::synth
