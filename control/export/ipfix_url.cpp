#include "ipfix_url.h"

#include <charconv>

namespace ottscope {

std::optional<IpfixCollector> parse_ipfix_url(const std::string& text, std::string& error) {
    IpfixCollector collector;
    collector.url = text;
    std::string_view rest = text;
    if (rest.starts_with("udp://")) {
        collector.transport = IpfixTransport::udp;
    } else if (rest.starts_with("tcp://")) {
        collector.transport = IpfixTransport::tcp;
    } else {
        error =
            "'" + text + "' is not an IPFIX collector: expected udp://HOST:PORT or tcp://HOST:PORT";
        return std::nullopt;
    }
    rest.remove_prefix(6);
    std::string_view host;
    std::string_view port;
    if (rest.starts_with('[')) {
        const size_t close = rest.find(']');
        if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':') {
            error = "'" + text + "': an IPv6 collector is written [ADDRESS]:PORT";
            return std::nullopt;
        }
        host = rest.substr(1, close - 1);
        port = rest.substr(close + 2);
    } else {
        const size_t colon = rest.rfind(':');
        if (colon == std::string_view::npos || rest.find(':') != colon) {
            error = "'" + text + "': expected HOST:PORT after the scheme (IPv6 in brackets)";
            return std::nullopt;
        }
        host = rest.substr(0, colon);
        port = rest.substr(colon + 1);
    }
    if (host.empty() || host.find_first_of("/ ") != std::string_view::npos) {
        error = "'" + text + "': the collector host is missing or malformed";
        return std::nullopt;
    }
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value == 0 ||
        value > 65535) {
        error = "'" + text + "': the port must be a number from 1 to 65535";
        return std::nullopt;
    }
    collector.host = std::string(host);
    collector.port = static_cast<uint16_t>(value);
    return collector;
}

ConfigChecks export_config_checks() {
    ConfigChecks checks;
    checks.ipfix_collector = [](const std::string& url) {
        std::string error;
        return parse_ipfix_url(url, error) ? std::string() : error;
    };
    return checks;
}

}  // namespace ottscope
