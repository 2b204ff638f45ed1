#include "tls_flow.h"

#include "synth_error.h"

namespace ottscope::synth {

void TlsFlow::transmit(Side from, uint64_t think_us) {
    const Bytes wire = tls_.take_output(from);
    if (wire.empty()) return;
    tcp_.send(from, wire, think_us);
    tls_.deliver(peer_of(from), wire);
}

void TlsFlow::handshake() {
    // A full handshake needs at most three flights per side; more means the ends are stuck.
    for (int round = 0; round < 4; ++round) {
        const bool client_done = tls_.step_handshake(Side::kClient);
        transmit(Side::kClient);
        const bool server_done = tls_.step_handshake(Side::kServer);
        transmit(Side::kServer);
        if (client_done && server_done) return;
    }
    throw SynthError("TLS handshake did not complete");
}

void TlsFlow::send(Side from, std::string_view plaintext, uint64_t think_us) {
    tls_.write(from, plaintext);
    transmit(from, think_us);
    if (tls_.read(peer_of(from)) != plaintext) {
        throw SynthError("TLS peer did not read back what was sent");
    }
}

void TlsFlow::close(Side initiator, uint64_t think_us) {
    tls_.shutdown(initiator);
    transmit(initiator, think_us);
    const Side other = peer_of(initiator);
    tls_.read(other);  // consumes the close_notify
    tls_.shutdown(other);
    transmit(other);
    tcp_.close(initiator);
}

}  // namespace ottscope::synth
