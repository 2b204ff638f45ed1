// The API's address rules: which listen addresses are accepted (exactly one IPv4 address and
// port), what counts as loopback, and who may call mutating endpoints.

#include <gtest/gtest.h>

#include "config/listen_address.h"

namespace ottscope {
namespace {

ListenAddress parsed(std::string_view text) {
    const ListenAddressParse result = parse_listen_address(text);
    EXPECT_TRUE(result.address.has_value()) << text << ": " << result.error;
    return result.address.value_or(ListenAddress{});
}

std::string refused(std::string_view text) {
    const ListenAddressParse result = parse_listen_address(text);
    EXPECT_FALSE(result.address.has_value()) << text << " was accepted";
    EXPECT_FALSE(result.error.empty()) << text;
    return result.error;
}

TEST(ListenAddress, DottedQuadAndPortAreTakenAsWritten) {
    const ListenAddress address = parsed("10.20.30.40:9464");
    EXPECT_EQ(address.host(), "10.20.30.40");
    EXPECT_EQ(address.port, 9464);
    EXPECT_EQ(address.to_string(), "10.20.30.40:9464");
    EXPECT_EQ(parsed("255.255.255.255:65535").to_string(), "255.255.255.255:65535");
    EXPECT_EQ(parsed("0.0.0.0:0").to_string(), "0.0.0.0:0");
}

TEST(ListenAddress, LocalhostMeansIpv4Loopback) {
    EXPECT_EQ(parsed("localhost:9464").to_string(), "127.0.0.1:9464");
}

TEST(ListenAddress, LoopbackIsDecidedFromTheParsedAddress) {
    EXPECT_TRUE(parsed("127.0.0.1:9464").loopback());
    EXPECT_TRUE(parsed("127.3.4.5:1").loopback());
    EXPECT_TRUE(parsed("localhost:9464").loopback());
    EXPECT_FALSE(parsed("0.0.0.0:9464").loopback());
    EXPECT_FALSE(parsed("10.0.0.1:9464").loopback());
    EXPECT_FALSE(parsed("128.0.0.1:9464").loopback());
}

TEST(ListenAddress, PortListIsRefusedSoNoSecondPortBindsEverywhere) {
    EXPECT_NE(refused("127.0.0.1:9464,9465").find("list"), std::string::npos);
    refused("127.0.0.1:9464,127.0.0.1:9465");
}

TEST(ListenAddress, OctetAbove255IsRefusedNotWrapped) {
    refused("999.1.1.1:9464");
    refused("256.0.0.1:9464");
    refused("1.2.3.1000:9464");
}

TEST(ListenAddress, ShortLongAndOctalLookingQuadsAreRefused) {
    refused("1.2.3:9464");
    refused("1.2.3.4.5:9464");
    refused("01.2.3.4:9464");  // inet_aton would read 010 as 8
    refused("1..2.3:9464");
    refused("1.2.3.:9464");
    refused(".1.2.3:9464");
    refused("+1.2.3.4:9464");
    refused(" 1.2.3.4:9464");
    refused("0x7f.0.0.1:9464");
}

TEST(ListenAddress, NonsenseAndHostNamesAreRefused) {
    refused("nonsense");
    refused("");
    refused(":9464");
    refused("monitor.example:9464");
    refused("127.0.0.1");
    refused("127.0.0.1:");
    refused("127.0.0.1:9464:1");
    refused("127.0.0.1:9464s");  // CivetWeb's TLS suffix
}

TEST(ListenAddress, BarePortIsRefusedRatherThanGuessed) {
    EXPECT_NE(refused("9464").find("0.0.0.0:9464"), std::string::npos)
        << "the message shows how to ask for every interface";
}

TEST(ListenAddress, Ipv6IsRefusedBecauseTheServerCannotBindIt) {
    EXPECT_NE(refused("[::]:9464").find("IPv6"), std::string::npos);
    EXPECT_NE(refused("[::1]:9464").find("IPv6"), std::string::npos);
    refused("::1:9464");
}

TEST(ListenAddress, OutOfRangeOrSignedPortIsRefused) {
    refused("127.0.0.1:65536");
    refused("127.0.0.1:99999999999999999999");
    refused("127.0.0.1:-1");
    refused("127.0.0.1:+80");
    refused("127.0.0.1:09464");
    refused("127.0.0.1: 9464");
}

TEST(MutationAuth, LoopbackNeedsNoToken) {
    EXPECT_EQ(authorize_mutation(true, "", ""), AuthDecision::allowed);
}

TEST(MutationAuth, ElsewhereWithoutConfiguredTokenIsRefused) {
    EXPECT_EQ(authorize_mutation(false, "", "Bearer anything"), AuthDecision::no_token_configured);
}

TEST(MutationAuth, ElsewhereNeedsTheExactBearerToken) {
    const std::string token = "0123456789abcdef";
    EXPECT_EQ(authorize_mutation(false, token, ""), AuthDecision::missing_token);
    EXPECT_EQ(authorize_mutation(false, token, "Basic " + token), AuthDecision::missing_token);
    EXPECT_EQ(authorize_mutation(false, token, "Bearer 0123456789abcdeX"),
              AuthDecision::wrong_token);
    EXPECT_EQ(authorize_mutation(false, token, "Bearer 0123456789abcde"),
              AuthDecision::wrong_token);
    EXPECT_EQ(authorize_mutation(false, token, "Bearer " + token + "0"), AuthDecision::wrong_token);
    EXPECT_EQ(authorize_mutation(false, token, "Bearer " + token), AuthDecision::allowed);
}

}  // namespace
}  // namespace ottscope
