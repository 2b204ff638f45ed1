#pragma once
// What the first byte of a frame is. A NIC always hands us Ethernet; a capture file can hold
// other link layers, and the pcap vdev passes its bytes through without saying which.

#include <cstdint>
#include <optional>
#include <string_view>

#include "classifiers/enum_names.h"

namespace ottscope {

enum class LinkType : uint8_t {
    ethernet,
    raw_ip,
    null_loopback,
    linux_sll,
    ppp,
    cisco_hdlc,
    linux_sll2,
    nflog
};
inline constexpr auto kLinkTypeNames = enum_names<LinkType>({
    {LinkType::ethernet, "ethernet"},
    {LinkType::raw_ip, "raw-ip"},
    {LinkType::null_loopback, "null"},
    {LinkType::linux_sll, "linux-sll"},
    {LinkType::ppp, "ppp"},
    {LinkType::cisco_hdlc, "cisco-hdlc"},
    {LinkType::linux_sll2, "linux-sll2"},
    {LinkType::nflog, "nflog"},
});

// Maps a libpcap DLT_* / LINKTYPE_* number; nullopt for link layers we cannot decode.
std::optional<LinkType> link_type_from_dlt(int dlt) noexcept;
std::string_view link_type_name(LinkType type) noexcept;

}  // namespace ottscope
