#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ottscope::synth {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// HTTP/1.1 messages with Content-Length framing (no chunking, so the body length is visible).
std::string http_request(std::string_view method, std::string_view path, std::string_view host,
                         const HttpHeaders& headers, std::string_view body = {});
std::string http_response(int status, std::string_view reason, uint64_t time_us,
                          const HttpHeaders& headers, std::string_view body);

// IMF-fixdate (RFC 9110) of a capture timestamp, independent of the process locale.
std::string http_date(uint64_t time_us);

// The provisioning payloads of the fictitious "tume" app, with obviously fake values.
std::string profile_request_json(const std::string& msisdn);
std::string profile_response_json(const std::string& msisdn);
std::string history_request_json(const std::string& msisdn, const std::string& peer_msisdn);
std::string history_response_json();

// A plausible HTML page of about `approx_bytes`, deterministic in `title`.
std::string html_page(std::string_view title, size_t approx_bytes);

}  // namespace ottscope::synth
