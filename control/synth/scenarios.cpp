#include "scenarios.h"

#include <cstdio>
#include <string>

#include "deterministic_random.h"
#include "dns_message.h"
#include "http_messages.h"
#include "sip_messages.h"
#include "tcp_session.h"
#include "tls_flow.h"
#include "tls_pair.h"
#include "udp_flow.h"

namespace ottscope::synth {

namespace {

// Servers live in the documentation ranges (RFC 5737) so the capture can never be mistaken for
// real traffic; each service gets its own address so address-based evidence stays unambiguous.
constexpr uint32_t kResolver = ipv4(198, 51, 100, 53);
constexpr uint32_t kJajahTls = ipv4(192, 0, 2, 10);
constexpr uint32_t kJajahUdp = ipv4(192, 0, 2, 20);
constexpr uint32_t kJajahTcp443 = ipv4(192, 0, 2, 30);
constexpr uint32_t kJajahMedia = ipv4(192, 0, 2, 40);
constexpr uint32_t kTumeApi = ipv4(203, 0, 113, 20);
constexpr uint32_t kExampleWeb = ipv4(198, 51, 100, 80);

constexpr uint64_t kMs = 1000;
constexpr uint64_t kSecond = 1000 * kMs;

constexpr const char* kAppUserAgent = "TumeApp/3.2.1 (Android 14; synthetic)";
constexpr const char* kBrowserUserAgent =
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

// Subscribers from the shared address space (RFC 6598, 100.64.0.0/10), one per copy.
uint32_t subscriber_address(unsigned copy) {
    return ipv4(100, static_cast<uint8_t>(64 + (copy / 40000) % 64),
                static_cast<uint8_t>(10 + (copy / 200) % 200),
                static_cast<uint8_t>(10 + copy % 200));
}

std::string msisdn(unsigned number) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "+34%09u", 600000000u + number);
    return buf;
}

class ScenarioSet {
public:
    explicit ScenarioSet(const ScenarioContext& context)
        : ctx_(context),
          subscriber_(subscriber_address(context.copy)),
          caller_(msisdn(1 + 2 * context.copy)),
          callee_(msisdn(2 + 2 * context.copy)),
          ports_(context.seed, label("ports")),
          next_port_(static_cast<uint16_t>(ports_.uniform(33000, 50000))) {}

    void run() {
        Drbg schedule(ctx_.seed, label("schedule"));
        const auto at = [&](uint64_t offset_us) {
            return ctx_.start_us + offset_us + schedule.uniform(0, 200 * kMs);
        };
        sip_over_tls(dns_lookup("sip.jajah.com", kJajahTls, at(0)) + 15 * kMs);
        provisioning_over_tls(dns_lookup("api.tumeapp.com", kTumeApi, at(600 * kMs)) + 10 * kMs);
        sip_over_udp(at(2 * kSecond));
        sip_over_tcp_443(at(3500 * kMs));
        provisioning_over_http(at(5 * kSecond));
        const uint64_t web = dns_lookup("www.example.org", kExampleWeb, at(6 * kSecond));
        web_over_tls(web + 8 * kMs);
        web_over_http(web + 900 * kMs);
    }

private:
    std::string label(const std::string& what) const {
        return what + "/" + std::to_string(ctx_.copy);
    }

    Endpoint client_endpoint() {
        next_port_ = static_cast<uint16_t>(next_port_ + ports_.uniform(1, 40));
        return {subscriber_, next_port_};
    }

    static uint64_t internet_rtt(Drbg& rng) { return rng.uniform(18 * kMs, 70 * kMs); }

    TlsPairConfig tls_config(const std::string& server_name, int max_version,
                             const std::string& alpn) const {
        return {server_name, max_version, alpn, ctx_.verify_time};
    }

    // Returns when the answer was seen, so the lookup precedes the connection it enables.
    uint64_t dns_lookup(const std::string& name, uint32_t addr, uint64_t start_us) {
        Drbg rng(ctx_.seed, label("dns/" + name));
        UdpFlow flow(ctx_.capture, rng, client_endpoint(), {kResolver, 53}, start_us,
                     rng.uniform(4 * kMs, 12 * kMs));
        const auto id = static_cast<uint16_t>(rng.next_u64());
        flow.send(Side::kClient, dns_a_query(id, name));
        flow.send(Side::kServer, dns_a_response(id, name, addr, 300));
        return flow.now();
    }

    // 1. SIP REGISTER and a call over TLS 1.2 to sip.jajah.com:443, then CRLF keepalives.
    void sip_over_tls(uint64_t start_us) {
        Drbg rng(ctx_.seed, label("sip-tls"));
        Drbg openssl_rng(ctx_.seed, label("sip-tls/openssl"));
        ScopedOpensslRand rand_scope(openssl_rng);
        const Endpoint client = client_endpoint();
        const Endpoint server{kJajahTls, 443};
        TcpSession tcp(ctx_.capture, rng, client, server, start_us, internet_rtt(rng));
        tcp.open();
        TlsPair tls(ctx_.pki.ca, ctx_.pki.jajah, tls_config("sip.jajah.com", TLS1_2_VERSION, ""));
        TlsFlow flow(tls, tcp);
        flow.handshake();

        const SipCallScript sip(
            {"TLS", "sip.jajah.com", caller_, callee_, client, server, kJajahMedia}, rng);
        flow.send(Side::kClient, sip.register_request());
        flow.send(Side::kServer, sip.register_ok());
        flow.send(Side::kClient, sip.invite(), rng.uniform(600 * kMs, 1500 * kMs));
        flow.send(Side::kServer, sip.invite_trying());
        flow.send(Side::kServer, sip.invite_ringing(), rng.uniform(200 * kMs, 500 * kMs));
        flow.send(Side::kServer, sip.invite_ok(), rng.uniform(3 * kSecond, 6 * kSecond));
        flow.send(Side::kClient, sip.ack());
        // RFC 5626 keepalives: double-CRLF ping, single-CRLF pong.
        for (int i = 0; i < 3; ++i) {
            flow.send(Side::kClient, "\r\n\r\n", rng.uniform(9 * kSecond, 11 * kSecond));
            flow.send(Side::kServer, "\r\n");
        }
        flow.close(Side::kClient, rng.uniform(1 * kSecond, 3 * kSecond));
    }

    // 2. Profile upload (contacts included) over TLS 1.3 to api.tumeapp.com.
    void provisioning_over_tls(uint64_t start_us) {
        Drbg rng(ctx_.seed, label("tume-tls"));
        Drbg openssl_rng(ctx_.seed, label("tume-tls/openssl"));
        ScopedOpensslRand rand_scope(openssl_rng);
        TcpSession tcp(ctx_.capture, rng, client_endpoint(), {kTumeApi, 443}, start_us,
                       internet_rtt(rng));
        tcp.open();
        TlsPair tls(ctx_.pki.ca, ctx_.pki.tumeapp,
                    tls_config("api.tumeapp.com", TLS1_3_VERSION, "http/1.1"));
        TlsFlow flow(tls, tcp);
        flow.handshake();
        flow.send(Side::kClient, http_request("POST", "/v1/profile", "api.tumeapp.com",
                                              {{"User-Agent", kAppUserAgent},
                                               {"Accept", "application/json"},
                                               {"Content-Type", "application/json"}},
                                              profile_request_json(caller_)));
        flow.send(Side::kServer,
                  http_response(200, "OK", tcp.now(),
                                {{"Server", "tume-api"},
                                 {"Content-Type", "application/json"},
                                 {"Cache-Control", "no-store"}},
                                profile_response_json(caller_)),
                  rng.uniform(15 * kMs, 60 * kMs));
        flow.close(Side::kClient, rng.uniform(500 * kMs, 2 * kSecond));
    }

    // 3. Cleartext SIP over UDP 5060: register, call, hang up.
    void sip_over_udp(uint64_t start_us) {
        Drbg rng(ctx_.seed, label("sip-udp"));
        const Endpoint client = client_endpoint();
        const Endpoint server{kJajahUdp, 5060};
        UdpFlow flow(ctx_.capture, rng, client, server, start_us, internet_rtt(rng));
        const SipCallScript sip(
            {"UDP", "sip.jajah.com", caller_, callee_, client, server, kJajahMedia}, rng);
        flow.send(Side::kClient, to_bytes(sip.register_request()));
        flow.send(Side::kServer, to_bytes(sip.register_ok()));
        flow.send(Side::kClient, to_bytes(sip.invite()), rng.uniform(600 * kMs, 1500 * kMs));
        flow.send(Side::kServer, to_bytes(sip.invite_trying()));
        flow.send(Side::kServer, to_bytes(sip.invite_ringing()), rng.uniform(200 * kMs, 500 * kMs));
        flow.send(Side::kServer, to_bytes(sip.invite_ok()), rng.uniform(3 * kSecond, 6 * kSecond));
        flow.send(Side::kClient, to_bytes(sip.ack()));
        flow.send(Side::kClient, to_bytes(sip.bye()), rng.uniform(10 * kSecond, 20 * kSecond));
        flow.send(Side::kServer, to_bytes(sip.bye_ok()));
    }

    // 4. Cleartext SIP over TCP port 443 (the port hides it from port-based classification).
    void sip_over_tcp_443(uint64_t start_us) {
        Drbg rng(ctx_.seed, label("sip-tcp443"));
        const Endpoint client = client_endpoint();
        const Endpoint server{kJajahTcp443, 443};
        TcpSession tcp(ctx_.capture, rng, client, server, start_us, internet_rtt(rng));
        tcp.open();
        const SipCallScript sip(
            {"TCP", "sip.jajah.com", caller_, callee_, client, server, kJajahMedia}, rng);
        tcp.send(Side::kClient, to_bytes(sip.register_request()));
        tcp.send(Side::kServer, to_bytes(sip.register_ok()));
        tcp.send(Side::kClient, to_bytes(sip.invite()), rng.uniform(600 * kMs, 1500 * kMs));
        tcp.send(Side::kServer, to_bytes(sip.invite_trying()));
        tcp.send(Side::kServer, to_bytes(sip.invite_ringing()), rng.uniform(200 * kMs, 500 * kMs));
        tcp.send(Side::kServer, to_bytes(sip.invite_ok()), rng.uniform(3 * kSecond, 6 * kSecond));
        tcp.send(Side::kClient, to_bytes(sip.ack()));
        tcp.send(Side::kClient, to_bytes(sip.bye()), rng.uniform(10 * kSecond, 20 * kSecond));
        tcp.send(Side::kServer, to_bytes(sip.bye_ok()));
        tcp.close(Side::kClient, rng.uniform(100 * kMs, 400 * kMs));
    }

    // 5. Call-history upload over cleartext HTTP to api.tumeapp.com.
    void provisioning_over_http(uint64_t start_us) {
        Drbg rng(ctx_.seed, label("tume-http"));
        TcpSession tcp(ctx_.capture, rng, client_endpoint(), {kTumeApi, 80}, start_us,
                       internet_rtt(rng));
        tcp.open();
        tcp.send(Side::kClient, to_bytes(http_request("POST", "/v1/history", "api.tumeapp.com",
                                                      {{"User-Agent", kAppUserAgent},
                                                       {"Accept", "application/json"},
                                                       {"Content-Type", "application/json"}},
                                                      history_request_json(caller_, callee_))));
        tcp.send(Side::kServer,
                 to_bytes(http_response(200, "OK", tcp.now(),
                                        {{"Server", "tume-api"},
                                         {"Content-Type", "application/json"},
                                         {"Cache-Control", "no-store"}},
                                        history_response_json())),
                 rng.uniform(10 * kMs, 40 * kMs));
        tcp.close(Side::kClient, rng.uniform(300 * kMs, 1 * kSecond));
    }

    // 7a. Background browsing over TLS 1.3: one page of about 30 KB.
    void web_over_tls(uint64_t start_us) {
        Drbg rng(ctx_.seed, label("web-tls"));
        Drbg openssl_rng(ctx_.seed, label("web-tls/openssl"));
        ScopedOpensslRand rand_scope(openssl_rng);
        TcpSession tcp(ctx_.capture, rng, client_endpoint(), {kExampleWeb, 443}, start_us,
                       internet_rtt(rng));
        tcp.open();
        TlsPair tls(ctx_.pki.ca, ctx_.pki.example,
                    tls_config("www.example.org", TLS1_3_VERSION, "http/1.1"));
        TlsFlow flow(tls, tcp);
        flow.handshake();
        flow.send(Side::kClient, http_request("GET", "/", "www.example.org",
                                              {{"User-Agent", kBrowserUserAgent},
                                               {"Accept", "text/html,application/xhtml+xml"},
                                               {"Accept-Language", "en-US,en;q=0.5"},
                                               {"Accept-Encoding", "identity"}}));
        flow.send(Side::kServer,
                  http_response(200, "OK", tcp.now(),
                                {{"Server", "ECAcc (synthetic)"},
                                 {"Content-Type", "text/html; charset=UTF-8"},
                                 {"Cache-Control", "max-age=604800"}},
                                html_page("Example Domain", 30 * 1024)),
                  rng.uniform(5 * kMs, 25 * kMs));
        flow.close(Side::kClient, rng.uniform(2 * kSecond, 5 * kSecond));
    }

    // 7b. Background browsing over cleartext HTTP; the server closes (Connection: close).
    void web_over_http(uint64_t start_us) {
        Drbg rng(ctx_.seed, label("web-http"));
        TcpSession tcp(ctx_.capture, rng, client_endpoint(), {kExampleWeb, 80}, start_us,
                       internet_rtt(rng));
        tcp.open();
        tcp.send(Side::kClient, to_bytes(http_request("GET", "/about.html", "www.example.org",
                                                      {{"User-Agent", kBrowserUserAgent},
                                                       {"Accept", "text/html"},
                                                       {"Accept-Encoding", "identity"},
                                                       {"Connection", "close"}})));
        tcp.send(Side::kServer,
                 to_bytes(http_response(200, "OK", tcp.now(),
                                        {{"Server", "ECAcc (synthetic)"},
                                         {"Content-Type", "text/html; charset=UTF-8"},
                                         {"Connection", "close"}},
                                        html_page("About Example Domain", 6000))),
                 rng.uniform(5 * kMs, 25 * kMs));
        tcp.close(Side::kServer);
    }

    const ScenarioContext& ctx_;
    uint32_t subscriber_;
    std::string caller_;
    std::string callee_;
    Drbg ports_;
    uint16_t next_port_;
};

}  // namespace

ScenarioPki make_scenario_pki() {
    Drbg rng(0, "pki");
    ScopedOpensslRand rand_scope(rng);
    TestPki ca;
    ServerIdentity jajah = ca.issue_server("sip.jajah.com", {"*.jajah.com"}, 0x1001);
    ServerIdentity tumeapp = ca.issue_server("api.tumeapp.com", {"api.tumeapp.com"}, 0x1002);
    ServerIdentity example = ca.issue_server("www.example.org", {"www.example.org"}, 0x1003);
    return {std::move(ca), std::move(jajah), std::move(tumeapp), std::move(example)};
}

void add_scenario_set(const ScenarioContext& context) {
    ScenarioSet(context).run();
}

}  // namespace ottscope::synth
