#include <gtest/gtest.h>

#include "control/export/ipfix_url.h"

namespace ottscope {
namespace {

TEST(IpfixUrl, ReadsUdpTcpNamesAndBracketedIpv6) {
    std::string error;
    auto udp = parse_ipfix_url("udp://collector.example:4739", error);
    ASSERT_TRUE(udp) << error;
    EXPECT_EQ(udp->transport, IpfixTransport::udp);
    EXPECT_EQ(udp->host, "collector.example");
    EXPECT_EQ(udp->port, 4739);
    auto tcp = parse_ipfix_url("tcp://[2001:db8::1]:4740", error);
    ASSERT_TRUE(tcp) << error;
    EXPECT_EQ(tcp->transport, IpfixTransport::tcp);
    EXPECT_EQ(tcp->host, "2001:db8::1");
    EXPECT_EQ(tcp->port, 4740);
}

TEST(IpfixUrl, RefusesWhatIsNotAUdpOrTcpCollector) {
    for (const char* bad :
         {"sctp://h:1", "udp://h", "udp://:4739", "udp://h:0", "udp://h:65536",
          "tcp://2001:db8::1:4739", "tcp://[::1]4739", "udp://h:47x9", "h:4739"}) {
        std::string error;
        EXPECT_FALSE(parse_ipfix_url(bad, error)) << bad;
        EXPECT_FALSE(error.empty()) << bad;
        EXPECT_EQ(error.find('\n'), std::string::npos) << bad;
    }
}

}  // namespace
}  // namespace ottscope
