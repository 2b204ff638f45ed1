#include "link_type.h"

#include <pcap/dlt.h>

namespace ottscope {

std::optional<LinkType> link_type_from_dlt(int dlt) noexcept {
    switch (dlt) {
        case DLT_EN10MB:
            return LinkType::ethernet;
        case DLT_RAW:
        case 101:  // LINKTYPE_RAW as stored in files
        case 228:  // LINKTYPE_IPV4
        case 229:  // LINKTYPE_IPV6
            return LinkType::raw_ip;
        case DLT_NULL:
        case DLT_LOOP:
            return LinkType::null_loopback;
        case DLT_LINUX_SLL:
            return LinkType::linux_sll;
        case DLT_PPP:
        case DLT_PPP_SERIAL:
            return LinkType::ppp;
        case DLT_C_HDLC:
            return LinkType::cisco_hdlc;
        case DLT_LINUX_SLL2:  // what `tcpdump -i any` writes since libpcap 1.10
            return LinkType::linux_sll2;
        case DLT_NFLOG:
            return LinkType::nflog;
        default:
            return std::nullopt;
    }
}

std::string_view link_type_name(LinkType type) noexcept {
    return kLinkTypeNames.name(type, "unknown");
}

}  // namespace ottscope
