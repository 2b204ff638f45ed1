#pragma once
// A real OpenSSL handshake (the synthesizer's TlsPair and test CA; the server is
// sip.jajah.com with SAN *.jajah.com), recorded as the two byte streams a classifier sees.
// Header-only: the classifier tests and the benchmark feed the same bytes.

#include <string>

#include "control/synth/tls_pair.h"

namespace ottscope::test {

struct Transcript {
    synth::Bytes client;  // everything the client sent until both ends finished the handshake
    synth::Bytes server;
};

inline Transcript real_handshake(const std::string& sni, int max_version, const std::string& alpn) {
    static const synth::TestPki pki;
    static const synth::ServerIdentity identity =
        pki.issue_server("sip.jajah.com", {"sip.jajah.com", "*.jajah.com"}, 7);
    synth::TlsPair pair(pki, identity,
                        {sni, max_version, alpn, synth::TestPki::kLeafNotBefore + 86400});
    Transcript t;
    for (int round = 0; round < 10; ++round) {
        const bool client_done = pair.step_handshake(synth::Side::kClient);
        synth::Bytes out = pair.take_output(synth::Side::kClient);
        t.client.insert(t.client.end(), out.begin(), out.end());
        pair.deliver(synth::Side::kServer, out);
        const bool server_done = pair.step_handshake(synth::Side::kServer);
        out = pair.take_output(synth::Side::kServer);
        t.server.insert(t.server.end(), out.begin(), out.end());
        pair.deliver(synth::Side::kClient, out);
        if (client_done && server_done) break;
    }
    return t;
}

}  // namespace ottscope::test
