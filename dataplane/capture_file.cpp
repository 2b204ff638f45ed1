#include "capture_file.h"

#include <pcap/pcap.h>

#include <memory>

namespace ottscope {

std::optional<CaptureFileInfo> inspect_capture_file(const std::string& path,
                                                    CaptureFileError& error) {
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
    pcap_pkthdr* header = nullptr;
    const u_char* data = nullptr;
    int status = 0;
    while ((status = pcap_next_ex(pcap.get(), &header, &data)) == 1) {
        ++info.packets;
        info.bytes += header->caplen;
    }
    if (status == PCAP_ERROR) {
        info.damage =
            "damaged after packet " + std::to_string(info.packets) + ": " + pcap_geterr(pcap.get());
    }
    return info;
}

}  // namespace ottscope
