// The SIP parser on well-formed messages of several shapes (compact forms, folded lines,
// any case) and on input that is not SIP or is cut short.

#include "classifiers/sip/sip_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace ottscope::sip {
namespace {

std::span<const uint8_t> bytes_of(std::string_view text) {
    return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

constexpr std::string_view kRegister =
    "REGISTER sip:sip.example.org SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK776asdhds\r\n"
    "Max-Forwards: 70\r\n"
    "From: <sip:alice@example.org>;tag=1928301774\r\n"
    "To: <sip:alice@example.org>\r\n"
    "Call-ID: a84b4c76e66710@pc33.example.org\r\n"
    "CSeq: 314159 REGISTER\r\n"
    "Contact: <sip:alice@10.0.0.1>\r\n"
    "User-Agent: Softphone/1.2.3 (secret build 42)\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

TEST(SipParser, RegisterDatagram) {
    Message m;
    ASSERT_EQ(parse_message(bytes_of(kRegister), true, m), ParseStatus::complete);
    EXPECT_TRUE(m.is_request);
    EXPECT_EQ(m.method, Method::register_);
    EXPECT_EQ(m.transport, Transport::udp);
    EXPECT_EQ(m.product, "Softphone/1.2.3");
    EXPECT_EQ(m.header_length, kRegister.size());
    EXPECT_EQ(m.framed_length(), kRegister.size());
}

TEST(SipParser, CompactFormsFoldedLinesAndAnyCase) {
    const std::string text =
        "INVITE sips:bob@example.org SIP/2.0\r\n"
        "v: SIP / 2.0 / tls\r\n   host.example.org;branch=z9hG4bK1\r\n"
        "f: \"A\" <sip:a@example.org>;tag=9\r\n"
        "t: <sip:bob@example.org>\r\n"
        "i: abc@host\r\n"
        "cseq:\r\n\t1 INVITE\r\n"
        "m: <sip:a@10.0.0.1;transport=tls>\r\n"
        "c: application/sdp\r\n"
        "l: 4\r\n"
        "\r\n"
        "v=0\n";
    Message m;
    ASSERT_EQ(parse_message(bytes_of(text), false, m), ParseStatus::complete);
    EXPECT_EQ(m.method, Method::invite);
    EXPECT_EQ(m.transport, Transport::tls);
    EXPECT_TRUE(m.has_content_length);
    EXPECT_EQ(m.content_length, 4u);
    EXPECT_EQ(m.framed_length(), text.size());
    EXPECT_TRUE(m.product.empty());
}

TEST(SipParser, ResponseTakesMethodFromCSeqAndProductFromServer) {
    constexpr std::string_view text =
        "\r\n\r\nSIP/2.0 200 OK\r\n"
        "Via: SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bK1\r\n"
        "From: <sip:a@example.org>;tag=1\r\nTo: <sip:a@example.org>;tag=2\r\n"
        "Call-ID: x@y\r\nCSeq: 2 OPTIONS\r\nServer: Proxy/9\r\nContent-Length: 0\r\n\r\n";
    Message m;
    ASSERT_EQ(parse_message(bytes_of(text), false, m), ParseStatus::complete);
    EXPECT_FALSE(m.is_request);
    EXPECT_EQ(m.status_code, 200);
    EXPECT_EQ(m.method, Method::options);
    EXPECT_EQ(m.transport, Transport::tcp);
    EXPECT_EQ(m.product, "Proxy/9");
    EXPECT_EQ(m.leading_crlf, 4u);
    EXPECT_EQ(m.framed_length(), text.size());
}

TEST(SipParser, StreamFramingFindsTheNextMessage) {
    const std::string two = std::string(kRegister) + std::string(kRegister);
    Message m;
    ASSERT_EQ(parse_message(bytes_of(two), false, m), ParseStatus::complete);
    const auto rest = bytes_of(two).subspan(m.framed_length());
    ASSERT_EQ(parse_message(rest, false, m), ParseStatus::complete);
    EXPECT_EQ(m.framed_length(), rest.size());
}

TEST(SipParser, EveryPrefixOfAStreamIsIncompleteNotInvalid) {
    for (size_t n = 0; n < kRegister.size() - 1; ++n) {
        Message m;
        EXPECT_EQ(parse_message(bytes_of(kRegister.substr(0, n)), false, m),
                  ParseStatus::incomplete)
            << n;
    }
}

TEST(SipParser, OtherProtocolsAreRefusedEarly) {
    Message m;
    // A TLS record: the first byte already.
    const uint8_t tls[] = {0x16, 0x03, 0x01, 0x02, 0x00};
    EXPECT_EQ(parse_message(tls, false, m), ParseStatus::invalid);
    // HTTP: its request target has no scheme, known at the second space.
    EXPECT_EQ(parse_message(bytes_of("GET /index.html HT"), false, m), ParseStatus::invalid);
    EXPECT_EQ(parse_message(bytes_of("HTTP/1.1 200 OK\r\n"), false, m), ParseStatus::invalid);
    // An absolute-form HTTP request fails on its version.
    EXPECT_EQ(parse_message(bytes_of("GET http://x/ HTTP/1.1\r\n"), false, m),
              ParseStatus::invalid);
    EXPECT_EQ(parse_message(bytes_of("PRI * HTTP/2.0\r\n"), false, m), ParseStatus::invalid);
}

TEST(SipParser, MissingOrContradictoryHeadersAreInvalid) {
    Message m;
    std::string no_call_id(kRegister);
    no_call_id.replace(no_call_id.find("Call-ID"), 4, "X-Ca");
    EXPECT_EQ(parse_message(bytes_of(no_call_id), true, m), ParseStatus::invalid);
    std::string wrong_cseq(kRegister);
    wrong_cseq.replace(wrong_cseq.find("314159 REGISTER"), 15, "314159 INVITE  ");
    EXPECT_EQ(parse_message(bytes_of(wrong_cseq), true, m), ParseStatus::invalid);
    std::string long_body(kRegister);
    long_body.replace(long_body.find("Length: 0"), 9, "Length: 9");
    EXPECT_EQ(parse_message(bytes_of(long_body), true, m), ParseStatus::invalid);
    EXPECT_EQ(parse_message(bytes_of(std::string(kRegister).substr(0, 60)), true, m),
              ParseStatus::invalid);
}

TEST(SipParser, BoundsHoldOnEndlessInput) {
    Message m;
    const std::string long_line = "OPTIONS sip:" + std::string(5000, 'a');
    EXPECT_EQ(parse_message(bytes_of(long_line), false, m), ParseStatus::invalid);
    std::string many(kRegister.substr(0, kRegister.size() - 2));
    while (many.size() < kMaxHeaderBlock + 100) many += "X-Pad: 1\r\n";
    EXPECT_EQ(parse_message(bytes_of(many), false, m), ParseStatus::invalid);
}

}  // namespace
}  // namespace ottscope::sip
