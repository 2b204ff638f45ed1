#pragma once

#include <ctime>
#include <string>
#include <vector>

#include "openssl_ptr.h"

namespace ottscope::synth {

struct ServerIdentity {
    EvpPkeyPtr key;
    X509Ptr cert;
};

// The test CA ("ottscope test CA") and its server certificates, generated in-process so that the
// capture needs no key material on disk. Call only under a ScopedOpensslRand: key generation and
// ECDSA signatures consume randomness, and the certificates end up in the capture.
class TestPki {
public:
    TestPki();

    // Leaf with subject CN=`common_name`, the given DNS SANs, a fixed serial and validity.
    ServerIdentity issue_server(const std::string& common_name,
                                const std::vector<std::string>& dns_names, long serial) const;

    X509* ca_cert() const { return ca_cert_.get(); }

    // The CA lives ten years; server certificates stay under the 398 days browsers (and nDPI's
    // "validity too long" risk) accept. The synthesized traffic (2026-01-01) is inside both.
    static constexpr std::time_t kCaNotBefore = 1735689600;    // 2025-01-01T00:00:00Z
    static constexpr std::time_t kCaNotAfter = 2051222400;     // 2035-01-01T00:00:00Z
    static constexpr std::time_t kLeafNotBefore = 1759276800;  // 2025-10-01T00:00:00Z
    static constexpr std::time_t kLeafNotAfter = 1790812800;   // 2026-10-01T00:00:00Z

private:
    EvpPkeyPtr ca_key_;
    X509Ptr ca_cert_;
};

}  // namespace ottscope::synth
