#pragma once
// Collector addresses as given on the command line and in the YAML: udp://HOST:PORT or
// tcp://HOST:PORT (HOST may be a name, an IPv4 address or a bracketed IPv6 address).
// Scripts outside the repository rely on this exact spelling.

#include <cstdint>
#include <optional>
#include <string>

#include "config/config.h"

namespace ottscope {

enum class IpfixTransport : uint8_t { udp, tcp };

struct IpfixCollector {
    IpfixTransport transport = IpfixTransport::udp;
    std::string host;
    uint16_t port = 0;
    std::string url;  // as given, for labels and messages
};

// nullopt with a one-line reason in `error` when the text is not such a URL.
std::optional<IpfixCollector> parse_ipfix_url(const std::string& text, std::string& error);

// What load_config cannot check itself (config/ includes nothing of control/): that each of
// export.ipfix.collectors is such a URL, its message located at the URL. Every load_config of
// control/ (check-config, a start, a reload, ctl -c) passes these.
ConfigChecks export_config_checks();

}  // namespace ottscope
