// Rule matching as workers run it: wildcards, lists, CIDRs, ports, any/all and precedence.

#include "classifiers/rule_set.h"

#include "tests/classifiers/rule_test_support.h"

#include <gtest/gtest.h>

#include <array>

namespace ottscope {
namespace {

using test::fact_test;
using test::TestFacts;

AppRule app_rule(uint16_t app, std::vector<RuleCondition> conditions, bool all = false) {
    AppRule rule;
    rule.app = app;
    rule.require_all = all;
    for (size_t i = 0; i < conditions.size(); ++i) {
        rule.evidence.push_back(static_cast<uint16_t>(app * 10 + i));
        rule.confidence.push_back(Confidence::high);
    }
    rule.conditions = std::move(conditions);
    return rule;
}

TEST(GlobMatch, WildcardsAndCase) {
    EXPECT_TRUE(glob_match("*.jajah.com", "sip.jajah.com"));
    EXPECT_TRUE(glob_match("*.jajah.com", "SIP.Jajah.COM"));
    EXPECT_FALSE(glob_match("*.jajah.com", "jajah.com"));
    EXPECT_FALSE(glob_match("*.jajah.com", "sip.jajah.com.evil.example"));
    EXPECT_TRUE(glob_match("api.tumeapp.com", "api.tumeapp.com"));
    EXPECT_TRUE(glob_match("a?c*", "abcdef"));
    EXPECT_FALSE(glob_match("", "x"));
    EXPECT_TRUE(glob_match("*", ""));
}

TEST(GlobMatch, HostileInputStaysLinearEnough) {
    const std::string text(4000, 'a');
    EXPECT_FALSE(glob_match("*a*a*a*a*a*a*a*a*b", text));
}

TEST(RuleSet, SniWildcardNamesTheApp) {
    RuleSet rules({app_rule(400, {RuleCondition{{fact_test("tls", "sni", {"*.jajah.com"})}}})}, 1,
                  "d");
    FlowFacts facts;
    TestFacts facts_sheet;
    facts_sheet.set("tls", "sni", "sip.jajah.com");
    facts.values = facts_sheet.values();
    const auto match = rules.match(facts);
    ASSERT_TRUE(match);
    EXPECT_EQ(match->app, 400);
    EXPECT_EQ(match->evidence, 4000);
    facts_sheet.set("tls", "sni", "www.example.org");
    facts.values = facts_sheet.values();
    EXPECT_FALSE(rules.match(facts));
}

TEST(RuleSet, CommaSeparatedSanAndAlpnMatchAnyElement) {
    RuleSet rules({app_rule(401, {RuleCondition{{fact_test("tls", "cert_san", {"*.jajah.com"})}}}),
                   app_rule(402, {RuleCondition{{fact_test("tls", "alpn", {"h2"})}}})},
                  1, "d");
    FlowFacts facts;
    TestFacts facts_sheet;
    facts_sheet.set("tls", "cert_san", "jajah.com, sip.jajah.com");
    facts.values = facts_sheet.values();
    EXPECT_EQ(rules.match(facts)->app, 401);
    FlowFacts web;
    TestFacts web_sheet;
    web_sheet.set("tls", "alpn", "http/1.1,h2");
    web.values = web_sheet.values();
    EXPECT_EQ(rules.match(web)->app, 402);
}

TEST(RuleSet, PortsAndCidrsLookAtTheServer) {
    RuleTest port;
    port.field = RuleField::port;
    port.numbers = {5061};
    RuleTest cidr;
    cidr.field = RuleField::cidr;
    Cidr net;
    net.address[10] = net.address[11] = 0xff;
    net.address[12] = 192;
    net.address[13] = 0;
    net.address[14] = 2;
    net.prefix = 96 + 24;
    cidr.cidrs = {net};
    RuleSet rules({app_rule(403, {RuleCondition{{port, cidr}}})}, 1, "d");
    std::array<uint8_t, 16> server{};
    server[10] = server[11] = 0xff;
    server[12] = 192;
    server[13] = 0;
    server[14] = 2;
    server[15] = 10;
    FlowFacts facts;
    TestFacts facts_sheet;
    facts.server_address = server.data();
    facts.server_port = 5061;
    EXPECT_EQ(rules.match(facts)->app, 403);
    facts.server_port = 443;  // both tests of a condition must hold
    EXPECT_FALSE(rules.match(facts));
    facts.server_port = 5061;
    server[14] = 3;
    EXPECT_FALSE(rules.match(facts));
}

TEST(RuleSet, AllNeedsEveryConditionAnyNeedsOne) {
    const RuleCondition sni{{fact_test("tls", "sni", {"api.tumeapp.com"})}};
    const RuleCondition alpn{{fact_test("tls", "alpn", {"http/1.1"})}};
    RuleSet all({app_rule(404, {sni, alpn}, true)}, 1, "d");
    RuleSet any({app_rule(405, {sni, alpn}, false)}, 1, "d");
    FlowFacts facts;
    TestFacts facts_sheet;
    facts_sheet.set("tls", "sni", "api.tumeapp.com");
    facts.values = facts_sheet.values();
    EXPECT_FALSE(all.match(facts));
    EXPECT_EQ(any.match(facts)->app, 405);
    facts_sheet.set("tls", "alpn", "http/1.1");
    facts.values = facts_sheet.values();
    EXPECT_EQ(all.match(facts)->app, 404);
}

TEST(RuleSet, FirstAppInLoadOrderWins) {
    RuleSet rules({app_rule(406, {RuleCondition{{fact_test("tls", "sni", {"api.tumeapp.com"})}}}),
                   app_rule(407, {RuleCondition{{fact_test("tls", "sni", {"*.tumeapp.com"})}}})},
                  1, "d");
    FlowFacts facts;
    TestFacts facts_sheet;
    facts_sheet.set("tls", "sni", "api.tumeapp.com");
    facts.values = facts_sheet.values();
    EXPECT_EQ(rules.match(facts)->app, 406);
    facts_sheet.set("tls", "sni", "cdn.tumeapp.com");
    facts.values = facts_sheet.values();
    EXPECT_EQ(rules.match(facts)->app, 407);
}

TEST(RuleSet, JsonKeysAreAShapeEveryKeyRequired) {
    RuleSet rules(
        {app_rule(408, {RuleCondition{{fact_test("json", "keys", {"msisdn", "addressBook"})}}})}, 1,
        "d");
    const std::array<std::string_view, 3> keys = {"msisdn", "addressBook", "version"};
    FlowFacts facts;
    TestFacts facts_sheet;
    facts_sheet.set_items("json", "keys", keys);
    facts.values = facts_sheet.values();
    EXPECT_EQ(rules.match(facts)->app, 408);
    facts_sheet.set_items("json", "keys", std::span<const std::string_view>(keys.data(), 1));
    EXPECT_FALSE(rules.match(facts));
}

TEST(RuleSet, ApplyKeepsNdpiLabelsAndSetsEvidence) {
    RuleSet rules({app_rule(409, {RuleCondition{{fact_test("http", "host", {"api.*"})}}})}, 1, "d");
    Verdict verdict;
    verdict.ndpi_master = 7;
    verdict.app = 7;
    FlowFacts facts;
    TestFacts facts_sheet;
    facts_sheet.set("http", "host", "api.tumeapp.com");
    facts.values = facts_sheet.values();
    rules.apply(facts, 0, verdict);
    EXPECT_EQ(verdict.app, 409);
    EXPECT_EQ(verdict.ndpi_master, 7);
    EXPECT_EQ(verdict.evidence, 4090);
    EXPECT_EQ(verdict.confidence, Confidence::high);
}

TEST(VerdictClaim, RulesThenOwnClassifiersThenConfidence) {
    Verdict flow;  // Unknown, nobody's claim yet
    Verdict ndpi_tls;
    ndpi_tls.app = 91;
    ndpi_tls.classifier = 0;
    ndpi_tls.confidence = Confidence::high;
    flow.claim(ndpi_tls);
    EXPECT_EQ(flow.app, 91);

    Verdict behaviour;  // our own classifier, medium: beats nDPI's generic label
    behaviour.app = 600;
    behaviour.classifier = 1;
    behaviour.confidence = Confidence::medium;
    behaviour.tier = ClaimTier::protocol;
    flow.claim(behaviour);
    EXPECT_EQ(flow.app, 600);
    flow.claim(ndpi_tls);  // nDPI seeing more packets does not take it back
    EXPECT_EQ(flow.app, 600);

    Verdict rule = ndpi_tls;  // a rule match through nDPI's facts outranks the rest
    rule.app = 700;
    rule.evidence = 5;
    rule.tier = ClaimTier::ndpi_rule;
    flow.claim(rule);
    EXPECT_EQ(flow.app, 700);
    EXPECT_EQ(flow.evidence, 5);
    Verdict parsed_rule = rule;  // the same rule matched on our own parser's facts wins ties
    parsed_rule.classifier = 1;
    parsed_rule.tier = ClaimTier::protocol_rule;
    flow.claim(parsed_rule);
    EXPECT_EQ(flow.classifier, 1);
    behaviour.confidence = Confidence::high;
    behaviour.evidence = 9;  // a classifier's own evidence ("sip.method=INVITE") is no rule
    flow.claim(behaviour);
    EXPECT_EQ(flow.app, 700);

    Verdict refined = ndpi_tls;  // a classifier refines its own claim
    Verdict own;
    own.claim(ndpi_tls);
    refined.app = 126;
    own.claim(refined);
    EXPECT_EQ(own.app, 126);
}

}  // namespace
}  // namespace ottscope
