#include "http_client.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace ottscope {
namespace {

bool split_address(const std::string& address, std::string& host, std::string& port) {
    if (!address.empty() && address.front() == '[') {
        const auto close = address.find("]:");
        if (close == std::string::npos) return false;
        host = address.substr(1, close - 1);
        port = address.substr(close + 2);
    } else {
        const auto colon = address.rfind(':');
        if (colon == std::string::npos) return false;
        host = address.substr(0, colon);
        port = address.substr(colon + 1);
    }
    if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
    if (host == "::") host = "::1";
    return !port.empty();
}

}  // namespace

HttpResponse http_request(const std::string& address, const std::string& method,
                          const std::string& target, const std::string& bearer,
                          int timeout_seconds) {
    HttpResponse response;
    std::string host;
    std::string port;
    if (!split_address(address, host, port)) {
        response.error = "cannot read the address '" + address + "' (want HOST:PORT)";
        return response;
    }
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (const int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
        response.error = address + ": " + gai_strerror(rc);
        return response;
    }
    int fd = -1;
    for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (fd < 0) continue;
        timeval timeout{timeout_seconds, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
        if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            response.error = "cannot connect to " + address + ": " + std::strerror(errno);
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(found);
    if (fd < 0) return response;

    std::string request = method + " " + target + " HTTP/1.0\r\nHost: " + address +
                          "\r\nConnection: close\r\nContent-Length: 0\r\n";
    if (!bearer.empty()) request += "Authorization: Bearer " + bearer + "\r\n";
    request += "\r\n";
    std::string raw;
    if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
        std::array<char, 16384> buffer{};
        ssize_t n = 0;
        while ((n = read(fd, buffer.data(), buffer.size())) > 0)
            raw.append(buffer.data(), static_cast<size_t>(n));
    }
    close(fd);
    const auto header_end = raw.find("\r\n\r\n");
    if (raw.compare(0, 5, "HTTP/") != 0 || header_end == std::string::npos) {
        response.error = address + " gave no HTTP answer";
        return response;
    }
    const auto space = raw.find(' ');
    response.status = std::atoi(raw.c_str() + space + 1);
    response.body = raw.substr(header_end + 4);
    return response;
}

}  // namespace ottscope
