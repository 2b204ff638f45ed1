#pragma once

#include <cstdint>
#include <ctime>

#include "capture.h"
#include "test_pki.h"

namespace ottscope::synth {

// The test CA and the certificates of the three TLS servers of the scenario set.
struct ScenarioPki {
    TestPki ca;
    ServerIdentity jajah;    // CN=sip.jajah.com, SAN *.jajah.com
    ServerIdentity tumeapp;  // CN=api.tumeapp.com
    ServerIdentity example;  // CN=www.example.org
};

// Generated from a fixed stream, independent of the capture seed, so that certificate
// fingerprints in golden outputs do not change with --seed.
ScenarioPki make_scenario_pki();

struct ScenarioContext {
    Capture& capture;
    const ScenarioPki& pki;
    uint64_t seed;
    unsigned copy;  // selects the subscriber address, MSISDNs and ports
    uint64_t start_us;
    std::time_t verify_time;  // "now" for certificate validation
};

// Adds one copy of the whole scenario set (SIP over TLS, provisioning over TLS and HTTP,
// cleartext SIP over UDP and TCP/443, DNS, background web) to the capture.
void add_scenario_set(const ScenarioContext& context);

}  // namespace ottscope::synth
