#pragma once

#include <ctime>
#include <span>
#include <string>
#include <string_view>

#include "byte_writer.h"
#include "openssl_ptr.h"
#include "test_pki.h"
#include "topology.h"

namespace ottscope::synth {

struct TlsPairConfig {
    std::string server_name;  // sent as SNI and verified against the certificate
    int max_version;          // TLS1_2_VERSION or TLS1_3_VERSION
    std::string alpn;         // offered by the client and accepted by the server; empty: none
    std::time_t verify_time;  // certificate validation happens at capture time, not today
};

// A real OpenSSL client and server wired back to back through memory BIOs. Nothing moves by
// itself: the caller takes what one end wrote and delivers it to the other, which is where it
// gets copied into the capture. Tickets and the session cache are off, so no clock value
// reaches the wire; all other randomness comes from the active ScopedOpensslRand.
class TlsPair {
public:
    TlsPair(const TestPki& pki, const ServerIdentity& server, const TlsPairConfig& config);
    TlsPair(const TlsPair&) = delete;
    TlsPair& operator=(const TlsPair&) = delete;

    // Advances `side`'s handshake with what it has received so far; true once it is complete.
    bool step_handshake(Side side);
    void write(Side side, std::string_view plaintext);
    // All application data `side` can decrypt from what it has received.
    std::string read(Side side);
    // Queues a close_notify alert.
    void shutdown(Side side);

    Bytes take_output(Side side);
    void deliver(Side side, std::span<const uint8_t> bytes);

private:
    SSL* ssl(Side side) const { return side == Side::kClient ? client_.get() : server_.get(); }

    Bytes alpn_wire_;  // length-prefixed protocol list, read by the server's ALPN callback
    SslCtxPtr client_ctx_;
    SslCtxPtr server_ctx_;
    SslPtr client_;
    SslPtr server_;
};

}  // namespace ottscope::synth
