#pragma once
// Builds small frames by hand for decoder and worker tests: each test states the exact
// bytes it feeds, hostile ones included.

#include <cstdint>
#include <initializer_list>
#include <vector>

namespace ottscope::test {

class FrameBuilder {
public:
    FrameBuilder& bytes(std::initializer_list<uint8_t> data) {
        frame_.insert(frame_.end(), data);
        return *this;
    }
    FrameBuilder& be16(uint16_t value) {
        frame_.push_back(static_cast<uint8_t>(value >> 8));
        frame_.push_back(static_cast<uint8_t>(value));
        return *this;
    }
    FrameBuilder& be32(uint32_t value) {
        be16(static_cast<uint16_t>(value >> 16));
        return be16(static_cast<uint16_t>(value));
    }
    FrameBuilder& append(const std::vector<uint8_t>& data) {
        frame_.insert(frame_.end(), data.begin(), data.end());
        return *this;
    }
    FrameBuilder& zeros(size_t n) {
        frame_.insert(frame_.end(), n, 0);
        return *this;
    }
    FrameBuilder& ethernet(uint16_t ether_type) {
        zeros(12);
        return be16(ether_type);
    }
    FrameBuilder& vlan(uint16_t id, uint16_t next_type) { return be16(id).be16(next_type); }
    // IPv4 header without options; total length covers `payload_length` bytes after it.
    FrameBuilder& ipv4(std::initializer_list<uint8_t> source,
                       std::initializer_list<uint8_t> destination, uint8_t protocol,
                       uint16_t payload_length, uint16_t fragment = 0) {
        bytes({0x45, 0});
        be16(static_cast<uint16_t>(20 + payload_length));
        be16(0).be16(fragment);
        bytes({64, protocol, 0, 0});
        bytes(source);
        return bytes(destination);
    }
    FrameBuilder& ipv6(uint8_t next_header, uint16_t payload_length, uint8_t last_source_byte,
                       uint8_t last_destination_byte) {
        bytes({0x60, 0, 0, 0});
        be16(payload_length);
        bytes({next_header, 64});
        bytes({0x20, 0x01, 0x0d, 0xb8});
        zeros(11);
        bytes({last_source_byte, 0x20, 0x01, 0x0d, 0xb8});
        zeros(11);
        return bytes({last_destination_byte});
    }
    FrameBuilder& tcp(uint16_t source_port, uint16_t destination_port, uint8_t flags) {
        be16(source_port).be16(destination_port);
        zeros(8);
        bytes({0x50, flags});
        return zeros(6);
    }
    FrameBuilder& udp(uint16_t source_port, uint16_t destination_port, uint16_t payload_length) {
        be16(source_port).be16(destination_port).be16(static_cast<uint16_t>(8 + payload_length));
        return zeros(2);
    }
    [[nodiscard]] const std::vector<uint8_t>& frame() const { return frame_; }

private:
    std::vector<uint8_t> frame_;
};

}  // namespace ottscope::test
