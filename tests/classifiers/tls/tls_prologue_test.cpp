// TLS after a cleartext prologue: the dialogues (CONNECT, STARTTLS for SMTP, IMAP, POP3 and
// XMPP, FTP AUTH TLS, SOCKS 4 and 5) followed by a real OpenSSL handshake, fed to the TLS
// classifier in segments of several sizes, must give the values the bare handshake gives; the
// refusals, plain sessions, overlong prologues and garbage must leave no state and no value.

#include "classifiers/tls/tls_prologue.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <string>
#include <vector>

#include "classifiers/tls/tls_classifier.h"
#include "tests/classifiers/rule_test_support.h"
#include "tls_handshake.h"

namespace ottscope {
namespace {

using Bytes = std::vector<uint8_t>;
using test::real_handshake;
using test::Transcript;

constexpr Direction kC = Direction::client_to_server;
constexpr Direction kS = Direction::server_to_client;

Bytes bytes(std::string_view text) {
    return Bytes(text.begin(), text.end());
}

// One turn of a dialogue: who speaks and what.
struct Turn {
    Direction direction;
    Bytes data;
    bool tls = false;  // handshake bytes: always in full-sized segments
};

// The dialogue, then the handshake: the ClientHello, the server's flight, the client's rest.
std::vector<Turn> with_handshake(std::vector<Turn> turns, const Transcript& t) {
    const size_t hello = 5 + (size_t{t.client[3]} << 8 | t.client[4]);
    turns.push_back(
        {kC, Bytes(t.client.begin(), t.client.begin() + static_cast<ptrdiff_t>(hello)), true});
    turns.push_back({kS, t.server, true});
    turns.push_back(
        {kC, Bytes(t.client.begin() + static_cast<ptrdiff_t>(hello), t.client.end()), true});
    return turns;
}

// Feeds the turns as the worker would: each direction's stream grows by segments of
// `segment` bytes (the prologue's; the handshake's are full-sized), sequence numbers from a
// fixed start per direction. Small segments stay within the prologue's packet bound.
class Dialogue {
public:
    explicit Dialogue(TlsClassifier& classifier) : classifier_(classifier) {}

    Progress run(const std::vector<Turn>& turns, size_t segment, uint8_t last_flags = 0) {
        Progress p = Progress::need_more;
        for (size_t i = 0; i < turns.size(); ++i) {
            const Turn& turn = turns[i];
            Bytes& stream = streams_[static_cast<size_t>(turn.direction)];
            const size_t size = turn.tls ? 1460 : segment;
            for (size_t at = 0; at < turn.data.size(); at += size) {
                const size_t n = std::min(size, turn.data.size() - at);
                const size_t from = stream.size();
                stream.insert(stream.end(), turn.data.begin() + static_cast<ptrdiff_t>(at),
                              turn.data.begin() + static_cast<ptrdiff_t>(at + n));
                const bool last = i + 1 == turns.size() && at + n == turn.data.size();
                p = feed(turn.direction, from, last ? last_flags : 0);
                if (p != Progress::need_more) {
                    done_ = p == Progress::done;
                    return p;
                }
            }
        }
        return p;
    }

    Progress feed(Direction direction, size_t from, uint8_t flags) {
        const Bytes& stream = streams_[static_cast<size_t>(direction)];
        PacketView view;
        view.ip_protocol = 6;
        view.direction = direction;
        view.payload = {stream.data() + from, stream.size() - from};
        view.stream = {stream.data(), stream.size()};
        view.stream_new_offset = static_cast<uint32_t>(from);
        view.stream_flags = flags;
        view.tcp_seq = (direction == kC ? 1000u : 500000u) + static_cast<uint32_t>(from);
        view.flow_packets = ++packets_;
        return classifier_.inspect(state_, view, verdict_);
    }

    FlowAnnotations finish() {
        // The worker concludes only what is still pending.
        if (!done_) {
            PacketView context;
            context.ip_protocol = 6;
            classifier_.conclude(state_, context, verdict_);
        }
        FlowAnnotations a;
        classifier_.annotate(state_, a);
        return a;
    }
    [[nodiscard]] void* state() const { return state_; }

private:
    TlsClassifier& classifier_;
    void* state_ = nullptr;
    Verdict verdict_;
    Bytes streams_[2];
    uint32_t packets_ = 0;
    bool done_ = false;
};

struct Values {
    std::string sni, ja3, ja3s, ja4, subject;
};
Values values_of(const FlowAnnotations& a) {
    return {std::string(test::record_field(a, "tls", "sni")),
            std::string(test::record_field(a, "tls", "ja3")),
            std::string(test::record_field(a, "tls", "ja3s")),
            std::string(test::record_field(a, "tls", "ja4")),
            std::string(test::record_field(a, "tls", "cert_subject"))};
}

const Transcript& tls12() {
    static const Transcript t = real_handshake("mail.jajah.com", TLS1_2_VERSION, "");
    return t;
}

Values bare_values() {
    TlsClassifier classifier(1);
    Dialogue flow(classifier);
    flow.run(with_handshake({}, tls12()), 1460);
    return values_of(flow.finish());
}

struct Case {
    const char* name;
    std::vector<Turn> turns;
};

std::vector<Case> dialogues() {
    return {
        {"smtp",
         {{kS, bytes("220 mx.example.org ESMTP ready\r\n")},
          {kC, bytes("EHLO client.example.net\r\n")},
          {kS, bytes("250-mx.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
                     "250-STARTTLS\r\n250 8BITMIME\r\n")},
          {kC, bytes("STARTTLS\r\n")},
          {kS, bytes("220 2.0.0 Ready to start TLS\r\n")}}},
        {"smtp-multiline-greeting",
         {{kS, bytes("220-mx.example.org ESMTP\r\n220 no UCE\r\n")},
          {kC, bytes("ehlo x\r\n")},
          {kS, bytes("250 STARTTLS\r\n")},
          {kC, bytes("starttls\r\n")},
          {kS, bytes("220 go ahead\r\n")}}},
        {"ftp",
         {{kS, bytes("220 FTP server ready\r\n")},
          {kC, bytes("AUTH TLS\r\n")},
          {kS, bytes("234 Proceed with negotiation.\r\n")}}},
        {"imap",
         {{kS, bytes("* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n")},
          {kC, bytes("a001 CAPABILITY\r\n")},
          {kS, bytes("* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\na001 OK done\r\n")},
          {kC, bytes("a002 STARTTLS\r\n")},
          {kS, bytes("a002 OK Begin TLS negotiation now\r\n")}}},
        {"pop3",
         {{kS, bytes("+OK POP3 ready\r\n")},
          {kC, bytes("CAPA\r\n")},
          {kS, bytes("+OK\r\nSTLS\r\nUSER\r\n.\r\n")},
          {kC, bytes("STLS\r\n")},
          {kS, bytes("+OK Begin TLS\r\n")}}},
        {"xmpp",
         {{kC, bytes("<?xml version='1.0'?><stream:stream to='example.org' "
                     "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
                     "version='1.0'>")},
          {kS, bytes("<?xml version='1.0'?><stream:stream from='example.org' id='x1' "
                     "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
                     "version='1.0'><stream:features><starttls "
                     "xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"
                     "</stream:features>")},
          {kC, bytes("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")},
          {kS, bytes("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")}}},
        {"connect",
         {{kC, bytes("CONNECT mail.example.org:443 HTTP/1.1\r\nHost: mail.example.org:443\r\n"
                     "User-Agent: curl/7.88.1\r\n\r\n")},
          {kS, bytes("HTTP/1.1 200 Connection established\r\n\r\n")}}},
        {"socks4",
         {{kC, Bytes{4, 1, 1, 0xbb, 192, 0, 2, 10, 'u', 0}},
          {kS, Bytes{0, 0x5a, 0, 0, 0, 0, 0, 0}}}},
        {"socks4a",
         {{kC, Bytes{4, 1, 1, 0xbb, 0, 0, 0, 1, 0, 'a', '.', 'o', 'r', 'g', 0}},
          {kS, Bytes{0, 0x5a, 0, 0, 0, 0, 0, 0}}}},
        {"socks5",
         {{kC, Bytes{5, 2, 0, 2}},
          {kS, Bytes{5, 2}},
          {kC, Bytes{1, 1, 'u', 1, 'p'}},
          {kS, Bytes{1, 0}},
          {kC, Bytes{5, 1, 0, 3, 5, 'a', '.', 'o', 'r', 'g', 1, 0xbb}},
          {kS, Bytes{5, 0, 0, 1, 10, 0, 0, 1, 0x1f, 0x90}}}},
    };
}

TEST(TlsPrologue, EveryDialogueGivesTheValuesOfTheBareHandshake) {
    const Values bare = bare_values();
    ASSERT_EQ(bare.sni, "mail.jajah.com");
    ASSERT_FALSE(bare.ja3s.empty());
    ASSERT_FALSE(bare.subject.empty());
    for (const Case& c : dialogues()) {
        for (const size_t segment : {1460u, 97u, 41u}) {
            TlsClassifier classifier(1);
            Dialogue flow(classifier);
            EXPECT_EQ(flow.run(with_handshake(c.turns, tls12()), segment), Progress::done)
                << c.name << " " << segment;
            const Values got = values_of(flow.finish());
            EXPECT_EQ(got.sni, bare.sni) << c.name << " " << segment;
            EXPECT_EQ(got.ja3, bare.ja3) << c.name << " " << segment;
            EXPECT_EQ(got.ja3s, bare.ja3s) << c.name << " " << segment;
            EXPECT_EQ(got.ja4, bare.ja4) << c.name << " " << segment;
            EXPECT_EQ(got.subject, bare.subject) << c.name << " " << segment;
            EXPECT_EQ(classifier.state_bytes_in_use(), 0u) << c.name;
        }
    }
}

TEST(TlsPrologue, AClientHelloPipelinedAfterTheConnectRequestIsRead) {
    const Values bare = bare_values();
    const Transcript& t = tls12();
    const size_t hello = 5 + (size_t{t.client[3]} << 8 | t.client[4]);
    Bytes request = bytes("CONNECT mail.example.org:443 HTTP/1.1\r\nHost: x\r\n\r\n");
    request.insert(request.end(), t.client.begin(),
                   t.client.begin() + static_cast<ptrdiff_t>(hello));
    const std::vector<Turn> turns = {
        {kC, request},
        {kS, bytes("HTTP/1.0 200 OK\r\n\r\n")},
        {kS, t.server},
        {kC, Bytes(t.client.begin() + static_cast<ptrdiff_t>(hello), t.client.end())}};
    TlsClassifier classifier(1);
    Dialogue flow(classifier);
    EXPECT_EQ(flow.run(turns, 1460), Progress::done);
    const Values got = values_of(flow.finish());
    EXPECT_EQ(got.sni, bare.sni);
    EXPECT_EQ(got.ja4, bare.ja4);
    EXPECT_EQ(got.ja3s, bare.ja3s);
}

// What must end the look without a value, whatever follows.
std::vector<Case> refusals() {
    const Transcript& t = tls12();
    std::vector<Case> cases = {
        {"connect-407",
         {{kC, bytes("CONNECT a.example:443 HTTP/1.1\r\n\r\n")},
          {kS, bytes("HTTP/1.1 407 Proxy Authentication Required\r\n"
                     "Proxy-Authenticate: Basic realm=\"p\"\r\n\r\n")},
          {kC, t.client}}},
        {"connect-tunnel-not-tls",
         {{kC, bytes("CONNECT a.example:22 HTTP/1.1\r\n\r\n")},
          {kS, bytes("HTTP/1.1 200 OK\r\n\r\n")},
          {kC, bytes("SSH-2.0-OpenSSH_9.2\r\n")}}},
        {"smtp-454",
         {{kS, bytes("220 mx ESMTP\r\n")},
          {kC, bytes("EHLO x\r\n")},
          {kS, bytes("250 mx\r\n")},
          {kC, bytes("STARTTLS\r\n")},
          {kS, bytes("454 4.7.0 TLS not available\r\n")},
          {kC, bytes("QUIT\r\n")}}},
        {"smtp-plain",
         {{kS, bytes("220 mx ESMTP\r\n")},
          {kC, bytes("EHLO x\r\n")},
          {kS, bytes("250 mx\r\n")},
          {kC, bytes("MAIL FROM:<a@example.org>\r\n")},
          {kS, bytes("250 ok\r\n")}}},
        {"ftp-user", {{kS, bytes("220 FTP\r\n")}, {kC, bytes("USER anonymous\r\n")}}},
        {"imap-no",
         {{kS, bytes("* OK ready\r\n")},
          {kC, bytes("a1 STARTTLS\r\n")},
          {kS, bytes("a1 NO not now\r\n")},
          {kC, bytes("a2 LOGIN u p\r\n")}}},
        {"pop3-err",
         {{kS, bytes("+OK\r\n")},
          {kC, bytes("STLS\r\n")},
          {kS, bytes("-ERR no\r\n")},
          {kC, bytes("USER u\r\n")}}},
        {"xmpp-failure",
         {{kC, bytes("<?xml version='1.0'?><stream:stream to='x'>")},
          {kS, bytes("<stream:stream><stream:features/>")},
          {kC, bytes("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")},
          {kS, bytes("<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>")}}},
        {"xmpp-sasl-in-cleartext",
         {{kC, bytes("<?xml version='1.0'?><stream:stream to='x'>")},
          {kS, bytes("<stream:stream><stream:features><mechanisms/></stream:features>")},
          {kC,
           bytes("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AA==</auth>")},
          {kS, bytes("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>")}}},
        {"socks4-rejected",
         {{kC, Bytes{4, 1, 1, 0xbb, 192, 0, 2, 10, 0}}, {kS, Bytes{0, 0x5b, 0, 0, 0, 0, 0, 0}}}},
        {"socks5-no-method", {{kC, Bytes{5, 1, 0}}, {kS, Bytes{5, 0xff}}}},
        {"garbage-after-go-ahead",
         {{kS, bytes("220 mx\r\n")},
          {kC, bytes("STARTTLS\r\n")},
          {kS, bytes("220 go\r\n")},
          {kC, Bytes(600, 0x16)}}},
    };
    // A greeting longer than the bound, then a real hello: too late.
    Bytes greeting;
    while (greeting.size() <= tls::PrologueReader::kMaxBytes)
        for (const char c : std::string_view("220-this greeting goes on and on\r\n"))
            greeting.push_back(static_cast<uint8_t>(c));
    const std::string_view end = "220 end\r\n";
    greeting.insert(greeting.end(), end.begin(), end.end());
    cases.push_back({"overlong-prologue",
                     {{kS, greeting}, {kC, bytes("STARTTLS\r\n")}, {kS, bytes("220 go\r\n")}}});
    // A line that never ends.
    cases.push_back({"endless-line", {{kC, bytes("CONNECT ")}, {kC, Bytes(8000, 'a')}}});
    return cases;
}

TEST(TlsPrologue, RefusalsPlainSessionsAndGarbageLeaveNoValueAndNoState) {
    for (const Case& c : refusals()) {
        for (const size_t segment : {1460u, 13u, 1u}) {
            TlsClassifier classifier(1);
            Dialogue flow(classifier);
            const std::vector<Turn> turns = with_handshake(c.turns, tls12());
            EXPECT_EQ(flow.run(turns, segment), Progress::done) << c.name << " " << segment;
            EXPECT_EQ(flow.state(), nullptr) << c.name;
            const Values got = values_of(flow.finish());
            EXPECT_EQ(got.sni, "") << c.name << " " << segment;
            EXPECT_EQ(got.ja3, "") << c.name << " " << segment;
            EXPECT_EQ(got.ja3s, "") << c.name << " " << segment;
            EXPECT_EQ(flow.state(), nullptr) << c.name;
            EXPECT_EQ(classifier.state_bytes_in_use(), 0u) << c.name;
        }
    }
}

TEST(TlsPrologue, AClientThatStartsTlsAfterARefusalIsNotFollowed) {
    // openssl s_client -starttls smtp does so after a 454.
    for (const char* refusal : {"454 4.7.0 TLS not available\r\n", "220 mx ESMTP\r\n"}) {
        std::vector<Turn> turns = {{kS, bytes(refusal)}, {kC, bytes("STARTTLS\r\n")}};
        if (std::string_view(refusal).starts_with("454"))
            turns = {
                {kS, bytes("220 mx ESMTP\r\n")}, {kC, bytes("STARTTLS\r\n")}, {kS, bytes(refusal)}};
        const Transcript& t = tls12();
        const size_t hello = 5 + (size_t{t.client[3]} << 8 | t.client[4]);
        turns.push_back(
            {kC, Bytes(t.client.begin(), t.client.begin() + static_cast<ptrdiff_t>(hello)), true});
        turns.push_back({kS, bytes("502 5.5.2 Error: command not recognized\r\n")});
        TlsClassifier classifier(1);
        Dialogue flow(classifier);
        flow.run(turns, 1460, stream_flag::fin);
        const Values got = values_of(flow.finish());
        EXPECT_EQ(got.sni, "") << refusal;
        EXPECT_EQ(got.ja3, "") << refusal;
        EXPECT_EQ(classifier.state_bytes_in_use(), 0u);
    }
}

TEST(TlsPrologue, AFlowThatEndsDuringItsPrologueIsLeft) {
    TlsClassifier classifier(1);
    Dialogue flow(classifier);
    EXPECT_EQ(
        flow.run({{kS, bytes("+OK hello\r\n")}, {kC, bytes("QUIT\r\n")}}, 1460, stream_flag::fin),
        Progress::done);
    EXPECT_EQ(flow.state(), nullptr);
    EXPECT_EQ(classifier.state_bytes_in_use(), 0u);
}

TEST(TlsPrologue, TooManyPacketsBeforeTlsEndTheLook) {
    TlsClassifier classifier(1);
    Dialogue flow(classifier);
    std::vector<Turn> turns = {{kS, bytes("220 mx\r\n")}};
    for (int i = 0; i < 40; ++i) turns.push_back({kC, bytes("NOOP\r\n")});
    EXPECT_EQ(flow.run(turns, 1460), Progress::done);
    EXPECT_EQ(flow.state(), nullptr);
}

TEST(TlsPrologue, OnlyTheDialoguesOpenIt) {
    using tls::PrologueKind;
    using tls::PrologueReader;
    auto opens = [](std::string_view text) {
        const Bytes b = bytes(text);
        return PrologueReader::opens(b);
    };
    EXPECT_EQ(opens("CONNECT a:443 HTTP/1.1\r\n"), PrologueKind::http_connect);
    EXPECT_EQ(opens("220 mx\r\n"), PrologueKind::reply_code);
    EXPECT_EQ(opens("* OK x\r\n"), PrologueKind::imap);
    EXPECT_EQ(opens("+OK x\r\n"), PrologueKind::pop3);
    EXPECT_EQ(opens("<?xml version='1.0'?>"), PrologueKind::xmpp);
    EXPECT_EQ(opens("<stream:stream to='a'>"), PrologueKind::xmpp);
    for (const std::string_view other :
         {"GET / HTTP/1.1\r\n", "CONNECTED\r\n", "200 OK\r\n", "SSH-2.0-x\r\n", "* BYE\r\n",
          "-ERR\r\n", "<html>", "HTTP/1.1 200 OK\r\n"})
        EXPECT_EQ(opens(other), PrologueKind::none) << other;
}

TEST(TlsPrologue, TheShiftedViewStartsAtTheFirstTlsByte) {
    // A CONNECT answer and the ServerHello's first bytes in one segment.
    tls::PrologueReader reader;
    reader.begin(tls::PrologueKind::http_connect, kC);
    const Bytes request = bytes("CONNECT a:443 HTTP/1.1\r\n\r\n");
    PacketView packet;
    PacketView view;
    packet.direction = kC;
    packet.stream = request;
    packet.payload = request;
    packet.tcp_seq = 100;
    EXPECT_EQ(reader.shift(packet, view), tls::PrologueStep::wait);
    Bytes answer = bytes("HTTP/1.1 200 OK\r\n\r\n");
    const size_t start = answer.size();
    answer.insert(answer.end(), {22, 3, 3, 0, 50});
    packet.direction = kS;
    packet.stream = answer;
    packet.payload = answer;
    packet.tcp_seq = 7000;
    ASSERT_EQ(reader.shift(packet, view), tls::PrologueStep::tls);
    EXPECT_EQ(reader.tls_start(kS), start);
    EXPECT_EQ(reader.tls_start(kC), tls::PrologueReader::kNone);
    EXPECT_EQ(view.stream.size(), 5u);
    EXPECT_EQ(view.stream[0], 22);
    EXPECT_EQ(view.stream_new_offset, 0u);
    EXPECT_EQ(view.payload.size(), 5u);
    EXPECT_EQ(view.tcp_seq, 7000u + start);
}

}  // namespace
}  // namespace ottscope
