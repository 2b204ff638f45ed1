// The SIP classifier on datagrams and streams: what it claims, what it lets go at once, and
// that rules over its facts come first.

#include "classifiers/sip/sip_classifier.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "classifiers/app_catalog.h"
#include "classifiers/ndpi/ndpi_classifier.h"
#include "classifiers/rule_set.h"
#include "tests/classifiers/rule_test_support.h"

namespace ottscope {
namespace {

constexpr std::string_view kOptions =
    "OPTIONS sip:probe@example.org SIP/2.0\r\n"
    "Via: SIP/2.0/TCP 10.0.0.1:443;branch=z9hG4bK1\r\n"
    "From: <sip:alice@example.org>;tag=1\r\nTo: <sip:probe@example.org>\r\n"
    "Call-ID: 42@10.0.0.1\r\nCSeq: 7 OPTIONS\r\nUser-Agent: Softphone/2.0 (x)\r\n"
    "Content-Length: 0\r\n\r\n";

std::span<const uint8_t> bytes_of(std::string_view text) {
    return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

struct Fixture : ::testing::Test {
    NdpiModule module = make_ndpi_module();
    AppCatalog catalog{module.get()};
    SipClassifier sip{1, &catalog};
    void* state = nullptr;
    Verdict verdict;
    uint16_t sip_id = catalog.find_ndpi_protocol("SIP").value();

    PacketView stream_view(std::string_view stream, uint32_t nth, uint8_t flags = 0) {
        PacketView view;
        view.ip_protocol = 6;
        view.payload = bytes_of(stream);
        view.stream = bytes_of(stream);
        view.stream_flags = flags;
        view.flow_packets = nth;
        view.server_port = 443;
        return view;
    }
};

TEST_F(Fixture, CleartextSipOnTcp443IsClaimedOnceTheHeadersAreComplete) {
    EXPECT_TRUE(sip.wants_stream());
    EXPECT_EQ(sip.inspect(state, stream_view("", 1), verdict), Progress::need_more);
    EXPECT_EQ(sip.inspect(state, stream_view(kOptions.substr(0, 50), 4), verdict),
              Progress::need_more);
    EXPECT_EQ(verdict.confidence, Confidence::none);
    EXPECT_EQ(sip.inspect(state, stream_view(kOptions, 5), verdict), Progress::done);
    EXPECT_EQ(verdict.app, sip_id);
    EXPECT_EQ(verdict.classifier, 1);
    EXPECT_EQ(verdict.confidence, Confidence::high);
    EXPECT_EQ(verdict.tier, ClaimTier::protocol);
    EXPECT_EQ(catalog.evidence_text(verdict.evidence), "sip.method=OPTIONS");
    EXPECT_EQ(state, nullptr);
}

TEST_F(Fixture, UdpDatagramIsDecidedByItsFirstPayload) {
    std::string udp(kOptions);
    udp.replace(udp.find("SIP/2.0/TCP"), 11, "SIP/2.0/UDP");
    PacketView view;
    view.ip_protocol = 17;
    view.payload = bytes_of("\r\n\r\n");
    view.flow_packets = 1;
    EXPECT_EQ(sip.inspect(state, view, verdict), Progress::need_more);
    view.payload = bytes_of(udp);
    view.flow_packets = 2;
    EXPECT_EQ(sip.inspect(state, view, verdict), Progress::done);
    EXPECT_EQ(verdict.app, sip_id);
}

TEST_F(Fixture, TlsAndHttpStreamsAreLetGoAtOnce) {
    const std::string tls("\x16\x03\x01\x00\xc8\x01", 6);
    EXPECT_EQ(sip.inspect(state, stream_view(tls, 4), verdict), Progress::done);
    EXPECT_EQ(sip.inspect(state, stream_view("GET / HTTP/1.1\r\nHost: a\r\n", 4), verdict),
              Progress::done);
    EXPECT_EQ(verdict.confidence, Confidence::none);
}

TEST_F(Fixture, AnEndedOrTruncatedPrefixIsNotSip) {
    EXPECT_EQ(sip.inspect(state, stream_view(kOptions.substr(0, 80), 4, stream_flag::fin), verdict),
              Progress::done);
    EXPECT_EQ(verdict.confidence, Confidence::none);
}

TEST_F(Fixture, RulesOverSipFactsComeFirst) {
    const uint16_t app = catalog.intern_rule_app("softphone-voip", "voip").id;
    const uint16_t evidence = catalog.evidence().intern("sip.user_agent=Softphone*").value();
    RuleTest agent = test::fact_test("sip", "user_agent", {"Softphone/*"});
    RuleTest port = test::port_test({443});
    AppRule rule;
    rule.app = app;
    rule.conditions.push_back(RuleCondition{{agent, port}});
    rule.evidence.push_back(evidence);
    rule.confidence.push_back(Confidence::high);
    std::vector<AppRule> apps;
    apps.push_back(rule);
    const RuleSet rules(std::move(apps), 1, "test");
    PacketView view = stream_view(kOptions, 4);
    view.rules = &rules;
    EXPECT_EQ(sip.inspect(state, view, verdict), Progress::done);
    EXPECT_EQ(verdict.app, app);
    EXPECT_EQ(verdict.evidence, evidence);
    EXPECT_EQ(verdict.tier, ClaimTier::protocol_rule);
}

TEST_F(Fixture, SilentFlowsAreLetGoAtTheLastOfferTheBudgetAllows) {
    const uint32_t budget = kSipClassifier.budget.tcp_packets;
    PacketView within = stream_view("", budget);
    EXPECT_EQ(sip.inspect(state, within, verdict), Progress::need_more);
    PacketView last = stream_view("", budget + 1);
    last.last_offer = true;  // what the worker says once the flow is over the budget
    EXPECT_EQ(sip.inspect(state, last, verdict), Progress::done);
}

}  // namespace
}  // namespace ottscope
