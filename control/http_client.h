#pragma once
// A minimal blocking HTTP/1.1 client for `ottscope ctl`: one request per connection, to the
// appliance's own API. Not a general client: no TLS, no redirects, no chunked bodies.

#include <string>

namespace ottscope {

struct HttpResponse {
    int status = 0;  // 0: no answer (the error says why)
    std::string body;
    std::string error;
};

// `address` is HOST:PORT or [V6]:PORT. `bearer` is sent as Authorization when not empty.
HttpResponse http_request(const std::string& address, const std::string& method,
                          const std::string& target, const std::string& bearer,
                          int timeout_seconds = 10);

}  // namespace ottscope
