#pragma once
// `ottscope ctl`: status, apps, flows and reload over the appliance's HTTP API, as readable
// tables (or the API's own JSON with --output json).

#include <cstdint>
#include <string>

namespace ottscope {

struct CtlOptions {
    std::string command;  // status | apps | flows | reload
    std::string api;      // HOST:PORT; empty: from the configuration, else 127.0.0.1:9464
    std::string config_path;
    std::string token;  // empty: control.api_token of the configuration, or $OTTSCOPE_API_TOKEN
    bool json = false;
    uint32_t top = 10;
};

// Returns the process exit status: 0 on success, 1 when the call failed or was refused.
int run_ctl(const CtlOptions& options);

}  // namespace ottscope
