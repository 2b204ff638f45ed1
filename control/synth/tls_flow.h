#pragma once

#include <cstdint>
#include <string_view>

#include "tcp_session.h"
#include "tls_pair.h"

namespace ottscope::synth {

// Carries a TlsPair over an open TcpSession: every byte one end writes becomes TCP segments in
// its direction before the other end gets to read it.
class TlsFlow {
public:
    TlsFlow(TlsPair& tls, TcpSession& tcp) : tls_(tls), tcp_(tcp) {}

    void handshake();
    // `from` writes `plaintext` as application data; the peer must read back exactly that.
    void send(Side from, std::string_view plaintext, uint64_t think_us = 0);
    // close_notify from `initiator`, the peer's close_notify, then the TCP teardown.
    void close(Side initiator, uint64_t think_us = 0);

private:
    void transmit(Side from, uint64_t think_us = 0);

    TlsPair& tls_;
    TcpSession& tcp_;
};

}  // namespace ottscope::synth
