#include "gateway/connect_checks.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace jindou::gateway {
namespace {

// Users as a map; counts the reads so tests can tell where they ran.
class FakeUsers final : public UserDirectory {
 public:
  Result<std::optional<store::UserToken>> user_token(const std::string& uid,
                                                     uint8_t device_flag) override {
    ++reads;
    if (failing) return Error::internal("store down");
    auto it = tokens.find({uid, device_flag});
    if (it == tokens.end()) return std::optional<store::UserToken>();
    return std::optional<store::UserToken>(it->second);
  }
  Result<bool> banned(const std::string& uid) override {
    ++reads;
    if (failing) return Error::internal("store down");
    return bans.contains(uid);
  }
  std::map<std::pair<std::string, uint8_t>, store::UserToken> tokens;
  std::set<std::string> bans;
  bool failing = false;
  int reads = 0;
};

// An executor that runs nothing until told.
class HeldExecutor final : public runtime::Executor {
 public:
  void post(std::function<void()> task) override { tasks.push_back(std::move(task)); }
  void run_all() {
    auto now = std::move(tasks);
    tasks.clear();
    for (auto& t : now) t();
  }
  std::vector<std::function<void()>> tasks;
};

proto::Connect connect(std::string uid, std::string token = "", uint8_t device_flag = 0) {
  proto::Connect c;
  c.uid = std::move(uid);
  c.token = std::move(token);
  c.device_flag = device_flag;
  return c;
}

class ConnectChecksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.token_auth_on = true;
    users_.tokens[{"alice", 1}] = store::UserToken{"secret", 1};
  }
  std::optional<ReasonCode> refusal(const proto::Connect& c) {
    return check_connect(c, options_, users_).refusal;
  }
  GatewayOptions options_;
  FakeUsers users_;
};

TEST_F(ConnectChecksTest, GoodTokenIsAcceptedWithItsDeviceLevel) {
  auto verdict = check_connect(connect("alice", "secret", 1), options_, users_);
  EXPECT_TRUE(verdict.accepted());
  EXPECT_EQ(verdict.device_level, 1);
}

TEST_F(ConnectChecksTest, BadOrMissingTokenIsRefused) {
  EXPECT_EQ(refusal(connect("alice", "wrong", 1)), ReasonCode::kAuthFail);
  EXPECT_EQ(refusal(connect("alice", "secret", 2)), ReasonCode::kAuthFail) << "other device flag";
  EXPECT_EQ(refusal(connect("bob", "", 1)), ReasonCode::kAuthFail) << "no token stored";
  users_.tokens[{"carol", 1}] = store::UserToken{"", 0};
  EXPECT_EQ(refusal(connect("carol", "", 1)), ReasonCode::kAuthFail) << "an empty token is none";
}

TEST_F(ConnectChecksTest, TokensAreNotCheckedWhenTokenAuthIsOff) {
  options_.token_auth_on = false;
  auto verdict = check_connect(connect("bob", "anything"), options_, users_);
  EXPECT_TRUE(verdict.accepted());
  EXPECT_EQ(verdict.device_level, 0);
}

TEST_F(ConnectChecksTest, BannedUserIsRefused) {
  users_.bans.insert("alice");
  auto verdict = check_connect(connect("alice", "secret", 1), options_, users_);
  EXPECT_EQ(verdict.refusal, ReasonCode::kBan);
  EXPECT_EQ(verdict.why(), "the user is banned");
}

TEST_F(ConnectChecksTest, StoreFailureIsASystemError) {
  users_.failing = true;
  EXPECT_EQ(refusal(connect("alice", "secret", 1)), ReasonCode::kSystemError);
  options_.token_auth_on = false;
  EXPECT_EQ(refusal(connect("alice")), ReasonCode::kSystemError) << "the ban check failed";
}

TEST_F(ConnectChecksTest, BadUidsAreRefusedWithoutReads) {
  for (std::string uid :
       {std::string(), std::string("  \t"), std::string("____system"), std::string("x@y"),
        std::string("a&b"), std::string("ctl\x01"), std::string(129, 'u')}) {
    EXPECT_EQ(refusal(connect(uid, "secret", 1)), ReasonCode::kAuthFail) << "uid '" << uid << "'";
  }
  EXPECT_EQ(users_.reads, 0);
}

TEST_F(ConnectChecksTest, ManagerUidNeedsOnlyTheManagerToken) {
  options_.manager_token = "m-token";
  EXPECT_TRUE(check_connect(connect("____manager", "m-token"), options_, users_).accepted());
  EXPECT_EQ(refusal(connect("____manager", "secret")), ReasonCode::kAuthFail);
  options_.manager_token.clear();
  EXPECT_TRUE(check_connect(connect("____manager", "whatever"), options_, users_).accepted());
  users_.bans.insert("____manager");
  EXPECT_TRUE(check_connect(connect("____manager"), options_, users_).accepted());
  EXPECT_EQ(users_.reads, 0) << "the manager is never looked up";
}

TEST_F(ConnectChecksTest, ReadsRunOnTheBlockingExecutorAndComeBack) {
  HeldExecutor blocking;
  std::vector<std::function<void()>> io_thread;
  std::optional<AuthVerdict> verdict;
  authenticate(
      connect("alice", "secret", 1), options_, users_, &blocking,
      [&](std::function<void()> task) { io_thread.push_back(std::move(task)); },
      [&](const AuthVerdict& v) { verdict = v; });
  EXPECT_FALSE(verdict);
  EXPECT_EQ(users_.reads, 0) << "no store read on the calling thread";
  ASSERT_EQ(blocking.tasks.size(), 1u);
  blocking.run_all();
  EXPECT_EQ(users_.reads, 2);
  EXPECT_FALSE(verdict) << "the verdict is handed to the io thread, not delivered from here";
  ASSERT_EQ(io_thread.size(), 1u);
  io_thread[0]();
  ASSERT_TRUE(verdict);
  EXPECT_TRUE(verdict->accepted());
  EXPECT_EQ(verdict->device_level, 1);
}

TEST_F(ConnectChecksTest, WithoutAnExecutorTheChecksRunInline) {
  std::optional<AuthVerdict> verdict;
  authenticate(
      connect("alice", "wrong", 1), options_, users_, nullptr,
      [](std::function<void()>) { FAIL() << "nothing to carry back"; },
      [&](const AuthVerdict& v) { verdict = v; });
  ASSERT_TRUE(verdict);
  EXPECT_EQ(verdict->refusal, ReasonCode::kAuthFail);
}

TEST_F(ConnectChecksTest, ChecksWithoutReadsNeedNoExecutor) {
  HeldExecutor blocking;
  std::optional<AuthVerdict> verdict;
  authenticate(
      connect("x@y"), options_, users_, &blocking, [](std::function<void()>) {},
      [&](const AuthVerdict& v) { verdict = v; });
  ASSERT_TRUE(verdict);
  EXPECT_EQ(verdict->refusal, ReasonCode::kAuthFail);
  EXPECT_TRUE(blocking.tasks.empty());
}

TEST(ConnackTest, TimeDiffSaturatesInsteadOfOverflowing) {
  EXPECT_EQ(time_diff(1000, 400), 600);
  EXPECT_EQ(time_diff(1000, 1500), -500);
  EXPECT_EQ(time_diff(1000, INT64_MIN), INT64_MAX);
  EXPECT_EQ(time_diff(-1000, INT64_MAX), INT64_MIN);
}

TEST(ConnackTest, CarriesVersionReasonNodeAndTimeDiff) {
  proto::Connect c;
  c.client_timestamp = 1'700'000'000'000;
  auto ack = make_connack(c, 4, ReasonCode::kBan, 7, 1'700'000'000'250);
  EXPECT_EQ(ack.server_version, 4);
  EXPECT_EQ(ack.reason_code, ReasonCode::kBan);
  EXPECT_EQ(ack.node_id, 7u);
  EXPECT_EQ(ack.time_diff, 250);
  EXPECT_TRUE(ack.server_key.empty()) << "the key and salt come from the session's crypto";
  EXPECT_TRUE(ack.salt.empty());
}

engine::Link link(uint64_t id, uint8_t device_flag, std::string device_id) {
  engine::Link l;
  l.info.id = id;
  l.info.uid = "alice";
  l.info.device_flag = device_flag;
  l.info.device_id = std::move(device_id);
  l.info.executor = id % 2;
  return l;
}

std::vector<uint64_t> kicked_ids(const std::vector<LoginKick>& kicks) {
  std::vector<uint64_t> ids;
  for (const auto& k : kicks) ids.push_back(k.link.info.id);
  return ids;
}

TEST(LoginKicks, SameDeviceReconnectReplacesItsStaleConnectionQuietly) {
  engine::LinkInfo me = link(10, 1, "phone-a").info;
  auto kicks =
      login_kicks(me, {link(3, 1, "phone-a"), link(4, 1, "phone-b"), link(10, 1, "phone-a")});
  ASSERT_EQ(kicked_ids(kicks), (std::vector<uint64_t>{3}));
  EXPECT_TRUE(kicks[0].quietly);
}

TEST(LoginKicks, MasterLoginReplacesOtherDevicesOfItsFlag) {
  engine::LinkInfo me = link(10, 1, "phone-a").info;
  me.device_level = 1;
  auto kicks = login_kicks(me, {link(3, 1, "phone-b"), link(4, 2, "web"), link(10, 1, "phone-a")});
  ASSERT_EQ(kicked_ids(kicks), (std::vector<uint64_t>{3}));
  EXPECT_FALSE(kicks[0].quietly) << "another device is told why";
}

TEST(LoginKicks, NewerConnectionsAreNeverKicked) {
  engine::LinkInfo me = link(10, 1, "phone-a").info;
  me.device_level = 1;
  EXPECT_TRUE(login_kicks(me, {link(11, 1, "phone-a"), link(12, 1, "phone-b")}).empty());
}

// --- logins on other nodes ---

// Connection `id` of alice here, logged in at `at_ms`.
engine::Link link_at(uint64_t id, uint8_t device_flag, std::string device_id, int64_t at_ms) {
  engine::Link l = link(id, device_flag, std::move(device_id));
  l.info.connected_at_ms = at_ms;
  return l;
}

RemoteLogin remote(uint8_t device_flag, std::string device_id, uint8_t level, int64_t at_ms,
                   uint16_t node) {
  return RemoteLogin{"alice", device_flag, level, std::move(device_id), at_ms, node};
}

constexpr int64_t kNow = 1'800'000'000'000;

TEST(RemoteLoginKicks, SameDeviceElsewhereReplacesItsStaleConnectionQuietly) {
  auto kicks = remote_login_kicks(
      remote(1, "phone-a", 0, kNow, 2), 1, kNow + 5,
      {link_at(3, 1, "phone-a", kNow - 1000), link_at(4, 1, "phone-b", kNow - 1000),
       link_at(5, 2, "phone-a", kNow - 1000)});
  ASSERT_EQ(kicked_ids(kicks), (std::vector<uint64_t>{3}));
  EXPECT_TRUE(kicks[0].quietly);
}

TEST(RemoteLoginKicks, MasterLoginElsewhereReplacesOtherDevicesOfItsFlag) {
  auto kicks = remote_login_kicks(
      remote(1, "phone-a", 1, kNow, 2), 1, kNow + 5,
      {link_at(3, 1, "phone-b", kNow - 1000), link_at(4, 2, "web", kNow - 1000)});
  ASSERT_EQ(kicked_ids(kicks), (std::vector<uint64_t>{3}));
  EXPECT_FALSE(kicks[0].quietly);
}

TEST(RemoteLoginKicks, OtherUsersAreNeverKicked) {
  engine::Link bob = link_at(3, 1, "phone-a", kNow - 1000);
  bob.info.uid = "bob";
  EXPECT_TRUE(remote_login_kicks(remote(1, "phone-a", 1, kNow, 2), 1, kNow, {bob}).empty());
}

TEST(RemoteLoginKicks, NewerConnectionsHereAreKept) {
  EXPECT_TRUE(remote_login_kicks(remote(1, "phone-a", 1, kNow, 2), 1, kNow + 5,
                                 {link_at(3, 1, "phone-a", kNow + 1)})
                  .empty());
}

TEST(RemoteLoginKicks, OfTwoLoginsInTheSameMillisecondExactlyOneIsKicked) {
  // Node 1's connection and node 2's login, and the other way round.
  const bool node1_kicked = !remote_login_kicks(remote(1, "phone-b", 1, kNow, 2), 1, kNow,
                                                {link_at(3, 1, "phone-a", kNow)})
                                 .empty();
  const bool node2_kicked = !remote_login_kicks(remote(1, "phone-a", 1, kNow, 1), 2, kNow,
                                                {link_at(3, 1, "phone-b", kNow)})
                                 .empty();
  EXPECT_NE(node1_kicked, node2_kicked);
  EXPECT_TRUE(node1_kicked) << "the smaller node id counts as older";
}

TEST(RemoteLoginKicks, ALongStandingConnectionIsOlderWhateverTheClocksSay) {
  // The login's node runs 30 s behind: its login time is before this connection's.
  const int64_t here_at = kNow - 20'000;
  const RemoteLogin behind = remote(1, "phone-a", 0, kNow - 30'000, 2);
  EXPECT_EQ(kicked_ids(remote_login_kicks(behind, 1, kNow, {link_at(3, 1, "phone-a", here_at)})),
            (std::vector<uint64_t>{3}));
  // Within the slack the clocks decide.
  EXPECT_TRUE(
      remote_login_kicks(behind, 1, kNow, {link_at(3, 1, "phone-a", kNow - 5'000)}).empty());
}

}  // namespace
}  // namespace jindou::gateway
