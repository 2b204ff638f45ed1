// The API's address rules: what counts as loopback, and who may call mutating endpoints.

#include <gtest/gtest.h>

#include "control/listen_address.h"

namespace ottscope {
namespace {

TEST(ListenAddress, LoopbackSpellingsAreLoopback) {
    EXPECT_TRUE(is_loopback_listen("127.0.0.1:9464"));
    EXPECT_TRUE(is_loopback_listen("127.3.4.5:1"));
    EXPECT_TRUE(is_loopback_listen("[::1]:9464"));
    EXPECT_TRUE(is_loopback_listen("localhost:9464"));
}

TEST(ListenAddress, EverythingElseIsNot) {
    EXPECT_FALSE(is_loopback_listen("0.0.0.0:9464"));
    EXPECT_FALSE(is_loopback_listen("9464"));  // CivetWeb: every interface
    EXPECT_FALSE(is_loopback_listen("[::]:9464"));
    EXPECT_FALSE(is_loopback_listen("10.0.0.1:9464"));
    EXPECT_FALSE(is_loopback_listen("[::1:9464"));
    EXPECT_FALSE(is_loopback_listen("monitor.example:9464"));
}

TEST(ListenAddress, CivetwebGetsItsIpv6Spelling) {
    EXPECT_EQ(civetweb_listen("[::1]:9464"), "[::1]:9464");
    EXPECT_EQ(civetweb_listen("127.0.0.1:9464"), "127.0.0.1:9464");
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
