#include "dataplane/tcp_tracker.h"

#include <gtest/gtest.h>

namespace ottscope {
namespace {

constexpr uint8_t kSyn = tcp_flag::syn, kAck = tcp_flag::ack, kFin = tcp_flag::fin,
                  kRst = tcp_flag::rst;
constexpr uint8_t kClient = 0, kServer = 1;

struct Tracker {
    TcpState state = TcpState::embryonic;
    TcpSeen seen;
    TcpState operator()(uint8_t flags, uint8_t direction, bool payload = false) {
        state = next_tcp_state(state, seen, flags, direction, payload);
        return state;
    }
};

TEST(TcpTracker, SynAloneStaysEmbryonic) {
    Tracker t;
    EXPECT_EQ(t(kSyn, kClient), TcpState::embryonic);
    EXPECT_EQ(t(kSyn, kClient), TcpState::embryonic);  // retransmitted SYN
}

TEST(TcpTracker, SynAckWithoutFinalAckStaysEmbryonic) {
    Tracker t;
    t(kSyn, kClient);
    EXPECT_EQ(t(kSyn | kAck, kServer), TcpState::embryonic);
    EXPECT_EQ(t(kSyn | kAck, kServer), TcpState::embryonic);
}

TEST(TcpTracker, ThreeWayHandshakeEstablishes) {
    Tracker t;
    t(kSyn, kClient);
    t(kSyn | kAck, kServer);
    EXPECT_EQ(t(kAck, kClient), TcpState::established);
}

TEST(TcpTracker, PayloadEstablishesAFlowPickedUpMidStream) {
    Tracker t;
    EXPECT_EQ(t(kAck, kServer, true), TcpState::established);
}

TEST(TcpTracker, BackscatterOfSynAcksNeverEstablishes) {
    Tracker t;
    EXPECT_EQ(t(kSyn | kAck, kServer), TcpState::embryonic);
    EXPECT_EQ(t(kSyn | kAck, kServer), TcpState::embryonic);
}

TEST(TcpTracker, FinFromOneSideIsClosingAndBothIsClosed) {
    Tracker t;
    t(kAck, kClient, true);
    EXPECT_EQ(t(kFin | kAck, kClient), TcpState::closing);
    EXPECT_EQ(t(kAck, kServer, true), TcpState::closing);   // half close: data still flows
    EXPECT_EQ(t(kFin | kAck, kClient), TcpState::closing);  // retransmitted first FIN
    EXPECT_EQ(t(kFin | kAck, kServer), TcpState::closed);
    EXPECT_EQ(t(kAck, kClient), TcpState::closed);
}

TEST(TcpTracker, RstFromEitherSideResets) {
    Tracker a;
    a(kSyn, kClient);
    EXPECT_EQ(a(kRst | kAck, kServer), TcpState::reset);
    Tracker b;
    b(kAck, kClient, true);
    EXPECT_EQ(b(kRst, kClient), TcpState::reset);
    EXPECT_EQ(b(kAck, kServer), TcpState::reset);  // in flight: absorbed
}

TEST(TcpTracker, PayloadAfterRstMeansTheRstWasIgnored) {
    Tracker t;
    t(kAck, kClient, true);
    t(kRst, kServer);
    EXPECT_EQ(t(kAck, kClient, true), TcpState::established);
}

TEST(TcpTracker, OnlyABareSynReopensAnEndedConnection) {
    EXPECT_TRUE(starts_new_connection(TcpState::closed, kSyn));
    EXPECT_TRUE(starts_new_connection(TcpState::reset, kSyn));
    EXPECT_FALSE(starts_new_connection(TcpState::closed, kSyn | kAck));
    EXPECT_FALSE(starts_new_connection(TcpState::established, kSyn));
    EXPECT_FALSE(starts_new_connection(TcpState::closing, kSyn));
}

}  // namespace
}  // namespace ottscope
