#include "gateway/client_session.h"

#include <gtest/gtest.h>

namespace jindou::gateway {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const Clock::time_point kAccepted{seconds(1000)};

ClientSession session() {
  return ClientSession(SessionTimeouts{seconds(10), seconds(180)}, kAccepted);
}

TEST(ClientSession, LoginGoesThroughAuthenticating) {
  auto s = session();
  EXPECT_EQ(s.state(), SessionState::kPreAuth);
  EXPECT_TRUE(s.reads_packets());
  s.connect_received();
  EXPECT_EQ(s.state(), SessionState::kAuthenticating);
  EXPECT_FALSE(s.reads_packets()) << "nothing more is decoded while the CONNECT is checked";
  EXPECT_TRUE(s.buffers_input());
  EXPECT_TRUE(s.verdict_wanted());
  s.accepted(kAccepted + seconds(1));
  EXPECT_EQ(s.state(), SessionState::kAuthenticated);
  EXPECT_TRUE(s.reads_packets());
  EXPECT_TRUE(s.authenticated());
  EXPECT_FALSE(s.verdict_wanted());
}

TEST(ClientSession, VerdictAfterCloseIsNotWanted) {
  auto s = session();
  s.connect_received();
  EXPECT_TRUE(s.close());
  EXPECT_FALSE(s.verdict_wanted());
  s.accepted(kAccepted);  // a late verdict must not revive it
  EXPECT_EQ(s.state(), SessionState::kClosed);
  EXPECT_FALSE(s.close()) << "closes once";
}

TEST(ClientSession, VerdictAfterShutdownIsNotWanted) {
  auto s = session();
  s.connect_received();
  s.shutting_down(false);
  EXPECT_FALSE(s.verdict_wanted());
  EXPECT_TRUE(s.ends_when_written());
  EXPECT_EQ(s.ending_reason(), "server shutting down");
}

TEST(ClientSession, PreAuthTimeoutCoversAuthenticating) {
  auto s = session();
  EXPECT_FALSE(s.expired(kAccepted + seconds(9)));
  EXPECT_TRUE(s.expired(kAccepted + seconds(10)));
  s.connect_received();
  EXPECT_FALSE(s.expired(kAccepted + seconds(9)));
  EXPECT_TRUE(s.expired(kAccepted + seconds(10))) << "a slow check does not extend it";
}

TEST(ClientSession, IdleTimeoutCountsFromTheLastInbound) {
  auto s = session();
  s.connect_received();
  s.accepted(kAccepted + seconds(5));
  EXPECT_FALSE(s.expired(kAccepted + seconds(60))) << "the pre-auth timeout no longer applies";
  EXPECT_TRUE(s.expired(kAccepted + seconds(185)));
  s.heard_from_client(kAccepted + seconds(100));
  EXPECT_FALSE(s.expired(kAccepted + seconds(185)));
  EXPECT_TRUE(s.expired(kAccepted + seconds(280)));
}

TEST(ClientSession, RefusalEndsOnceWrittenOrAfterTheGrace) {
  auto s = session();
  s.connect_received();
  s.refused(kAccepted);
  EXPECT_EQ(s.state(), SessionState::kClosing);
  EXPECT_FALSE(s.buffers_input());
  EXPECT_TRUE(s.ends_when_written());
  EXPECT_EQ(s.ending_reason(), "refused");
  EXPECT_FALSE(s.expired(kAccepted + seconds(4)));
  EXPECT_TRUE(s.expired(kAccepted + ClientSession::kRefusalGrace));
}

TEST(ClientSession, KickClosesAtTheEarliestDeadline) {
  auto s = session();
  s.connect_received();
  s.accepted(kAccepted);
  s.went_online();
  s.kicked(kAccepted, seconds(2));
  EXPECT_EQ(s.state(), SessionState::kClosing);
  EXPECT_FALSE(s.authenticated()) << "a kicked session gets nothing more";
  EXPECT_FALSE(s.ends_when_written());
  s.kicked(kAccepted, seconds(30));  // a later kick does not postpone it
  EXPECT_FALSE(s.expired(kAccepted + milliseconds(1999)));
  EXPECT_EQ(s.expired(kAccepted + seconds(2)), "kicked");
  EXPECT_TRUE(s.went_offline());
  EXPECT_FALSE(s.went_offline()) << "leaves the presence table once";
}

TEST(ClientSession, ShutdownWaitsForPendingSendacks) {
  auto s = session();
  s.connect_received();
  s.accepted(kAccepted);
  s.shutting_down(true);
  EXPECT_FALSE(s.ends_when_written());
  EXPECT_TRUE(s.sends_answered());
  EXPECT_TRUE(s.ends_when_written());
  EXPECT_FALSE(s.sends_answered()) << "only the first time changes anything";
}

TEST(ClientSession, SendsAnsweredMeansNothingWhenNotShuttingDown) {
  auto s = session();
  s.connect_received();
  s.accepted(kAccepted);
  EXPECT_FALSE(s.sends_answered());
  EXPECT_FALSE(s.ends_when_written());
}

TEST(ClientSession, ClosedSessionNeverExpires) {
  auto s = session();
  s.close();
  EXPECT_FALSE(s.expired(kAccepted + seconds(3600)));
  EXPECT_FALSE(s.reads_packets());
  EXPECT_FALSE(s.buffers_input());
}

}  // namespace
}  // namespace jindou::gateway
