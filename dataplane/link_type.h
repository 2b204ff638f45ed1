#pragma once
// What the first byte of a frame is. A NIC always hands us Ethernet; a capture file can hold
// other link layers, and the pcap vdev passes its bytes through without saying which.

#include <cstdint>
#include <optional>
#include <string_view>

namespace ottscope {

enum class LinkType : uint8_t { ethernet, raw_ip, null_loopback, linux_sll, ppp, cisco_hdlc };

// Maps a libpcap DLT_* / LINKTYPE_* number; nullopt for link layers we cannot decode.
std::optional<LinkType> link_type_from_dlt(int dlt) noexcept;
std::string_view link_type_name(LinkType type) noexcept;

}  // namespace ottscope
