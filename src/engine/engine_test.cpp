#include "engine/engine.h"

#include <set>

#include "engine/engine_test_support.h"

namespace jindou::engine {
namespace {

TEST_F(EngineTest, ConcurrentSendsToOneChannelGetGapFreeSeqs) {
  constexpr int kCount = 1000;
  std::mutex mu;
  std::vector<SendResult> results;
  std::promise<void> all;
  for (int i = 0; i < kCount; ++i) {
    engine_->send(http("u" + std::to_string(i % 7), "g1", kChannelGroup), [&](SendResult r) {
      bool last = false;
      {
        std::lock_guard lock(mu);
        results.push_back(std::move(r));
        last = results.size() == kCount;
      }
      // Signalled after the lock is released: the waiting test may return and destroy `mu`.
      if (last) all.set_value();
    });
  }
  all.get_future().wait();
  std::set<uint64_t> seqs;
  std::set<int64_t> ids;
  for (const auto& r : results) {
    ASSERT_TRUE(r.status.ok());
    seqs.insert(r.message_seq);
    ids.insert(r.message_id);
  }
  ASSERT_EQ(seqs.size(), static_cast<size_t>(kCount));
  EXPECT_EQ(*seqs.begin(), 1u);
  EXPECT_EQ(*seqs.rbegin(), static_cast<uint64_t>(kCount));
  EXPECT_EQ(ids.size(), static_cast<size_t>(kCount));
  EXPECT_EQ(*engine_->reader().max_seq({"g1", kChannelGroup}), static_cast<uint64_t>(kCount));
}

TEST_F(EngineTest, SameClientMsgNoIsStoredOnce) {
  auto first = send(http("alice", "g1", kChannelGroup, "one", "cmn-1"));
  ASSERT_TRUE(first.status.ok());
  auto again = send(http("alice", "g1", kChannelGroup, "two", "cmn-1"));
  ASSERT_TRUE(again.status.ok());
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.message_id, first.message_id);
  EXPECT_EQ(again.message_seq, first.message_seq);
  // Another sender may use the same client_msg_no.
  auto other = send(http("bob", "g1", kChannelGroup, "three", "cmn-1"));
  EXPECT_FALSE(other.duplicate);
  EXPECT_EQ(other.message_seq, 2u);
  EXPECT_EQ(*engine_->reader().max_seq({"g1", kChannelGroup}), 2u);
}

TEST_F(EngineTest, GeneratedClientMsgNoFindsAndDeduplicates) {
  auto first = send(http("alice", "g1", kChannelGroup));
  ASSERT_TRUE(first.status.ok());
  ASSERT_EQ(first.client_msg_no.size(), 32u);
  auto found = engine_->reader().find({"g1", kChannelGroup}, std::nullopt, first.client_msg_no);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->message_id, first.message_id);
  // A retry that reuses the value the server generated is the same message.
  auto retry = send(http("alice", "g1", kChannelGroup, "again", first.client_msg_no));
  EXPECT_TRUE(retry.duplicate);
  EXPECT_EQ(retry.message_id, first.message_id);
  EXPECT_EQ(*engine_->reader().max_seq({"g1", kChannelGroup}), 1u);
}

TEST_F(EngineTest, DuplicatesInFlightShareTheOriginalResult) {
  std::vector<std::promise<SendResult>> ps(20);
  for (auto& p : ps) {
    engine_->send(http("alice", "g1", kChannelGroup, "x", "same"),
                  [&p](SendResult r) { p.set_value(std::move(r)); });
  }
  std::set<int64_t> ids;
  for (auto& p : ps) {
    auto r = p.get_future().get();
    ASSERT_TRUE(r.status.ok());
    ids.insert(r.message_id);
    EXPECT_EQ(r.message_seq, 1u);
  }
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(*engine_->reader().max_seq({"g1", kChannelGroup}), 1u);
}

TEST_F(EngineTest, PersonChannelIsSharedByBothDirections) {
  auto a = send(http("alice", "bob", kChannelPerson));
  auto b = send(http("bob", "alice", kChannelPerson));
  EXPECT_EQ(a.message_seq, 1u);
  EXPECT_EQ(b.message_seq, 2u);
  EXPECT_EQ(*engine_->reader().max_seq({"bob@alice", kChannelPerson}), 2u);
  auto deliveries = sink_.taken(2);
  ASSERT_EQ(deliveries.size(), 2u);
  EXPECT_EQ(*deliveries[0].recipients, (std::vector<std::string>{"bob", "alice"}));
}

TEST_F(EngineTest, NoPersistIsDeliveredButNotStored) {
  auto r = [&] {
    auto req = http("alice", "bob", kChannelPerson);
    req.header.no_persist = true;
    return send(std::move(req));
  }();
  ASSERT_TRUE(r.status.ok());
  EXPECT_GT(r.message_id, 0);
  EXPECT_EQ(r.message_seq, 0u);
  EXPECT_EQ(*engine_->reader().max_seq({"bob@alice", kChannelPerson}), 0u);
  auto d = sink_.taken();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_TRUE(d[0].message->header.no_persist);
}

TEST_F(EngineTest, SubscribersWithoutChannelGoToExactlyThoseUids) {
  auto req = http("alice", "", 0);
  req.subscribers = {"u1", "u2"};
  auto r = send(std::move(req));
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.message_seq, 0u);
  auto d = sink_.taken();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(*d[0].recipients, (std::vector<std::string>{"u1", "u2"}));
}

TEST_F(EngineTest, GroupDeliveryGoesToSubscribersAndSkipsTheSendingConnection) {
  const ChannelKey g{"g1", kChannelGroup};
  ASSERT_TRUE(add_members(g, MemberRole::kSubscriber, {"alice", "bob", "carol"}).ok());
  auto r = send(client(77, "alice", "g1", kChannelGroup));
  ASSERT_TRUE(r.status.ok()) << r.status.error().message;
  auto d = sink_.taken();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].recipients->size(), 3u);
  EXPECT_EQ(d[0].skip_connection, 77u);
  // A member change is seen by the next send.
  ASSERT_TRUE(add_members(g, MemberRole::kSubscriber, {"dave"}).ok());
  ASSERT_TRUE(send(http("alice", "g1", kChannelGroup)).status.ok());
  auto after_change = sink_.taken();
  ASSERT_EQ(after_change.size(), 1u);
  EXPECT_EQ(after_change[0].recipients->size(), 4u);
}

TEST_F(EngineTest, BannedAndDisbandedChannelsRefuseHttpSends) {
  const ChannelKey g{"g1", kChannelGroup};
  ASSERT_TRUE(change(g, ChannelInfo{.ban = true}, std::nullopt).ok());
  auto r = send(http("alice", "g1", kChannelGroup));
  ASSERT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.error().status, 403);
  EXPECT_EQ(r.status.error().reason, ReasonCode::kBan);
  ASSERT_TRUE(change(g, ChannelInfo{.disband = true}, std::nullopt).ok());
  r = send(http("alice", "g1", kChannelGroup));
  EXPECT_EQ(r.status.error().reason, ReasonCode::kDisband);
  ASSERT_TRUE(change({"bob", kChannelPerson}, ChannelInfo{.ban = true}, std::nullopt).ok());
  r = send(http("alice", "bob", kChannelPerson));
  EXPECT_EQ(r.status.error().reason, ReasonCode::kBan);
  // Over HTTP no channel type is exempt; client sends to customer-service channels are.
  ASSERT_TRUE(change({"cs", kChannelCustomerService}, ChannelInfo{.ban = true}, std::nullopt).ok());
  EXPECT_EQ(send(http("alice", "cs", kChannelCustomerService)).status.error().reason,
            ReasonCode::kBan);
  ASSERT_TRUE(
      add_members({"cs", kChannelCustomerService}, MemberRole::kSubscriber, {"alice"}).ok());
  EXPECT_TRUE(send(client(5, "alice", "cs", kChannelCustomerService)).status.ok());
}

TEST_F(EngineTest, ClientSendPermissions) {
  const ChannelKey g{"g1", kChannelGroup};
  auto reason = [&](SendRequest r) {
    auto res = send(std::move(r));
    return res.status.ok() ? ReasonCode::kSuccess : res.status.error().reason;
  };
  EXPECT_EQ(reason(client(1, "alice", "g1", kChannelGroup)), ReasonCode::kSubscriberNotExist);
  ASSERT_TRUE(add_members(g, MemberRole::kSubscriber, {"alice", "bob"}).ok());
  EXPECT_EQ(reason(client(1, "alice", "g1", kChannelGroup)), ReasonCode::kSuccess);
  ASSERT_TRUE(add_members(g, MemberRole::kDenylist, {"alice"}).ok());
  EXPECT_EQ(reason(client(1, "alice", "g1", kChannelGroup)), ReasonCode::kInBlacklist);
  ASSERT_TRUE(add_members(g, MemberRole::kAllowlist, {"carol"}).ok());
  EXPECT_EQ(reason(client(2, "bob", "g1", kChannelGroup)), ReasonCode::kNotInWhitelist);
  ASSERT_TRUE(add_members(g, MemberRole::kAllowlist, {"bob"}).ok());
  EXPECT_EQ(reason(client(2, "bob", "g1", kChannelGroup)), ReasonCode::kSuccess);
  // HTTP sends are trusted: membership is not checked.
  EXPECT_TRUE(send(http("mallory", "g1", kChannelGroup)).status.ok());
  // Person channels: the recipient's denylist, the sender's send_ban.
  ASSERT_TRUE(add_members({"bob", kChannelPerson}, MemberRole::kDenylist, {"alice"}).ok());
  EXPECT_EQ(reason(client(1, "alice", "bob", kChannelPerson)), ReasonCode::kInBlacklist);
  EXPECT_EQ(reason(client(1, "carol", "bob", kChannelPerson)), ReasonCode::kSuccess);
  ASSERT_TRUE(change({"carol", kChannelPerson}, ChannelInfo{.send_ban = true}, std::nullopt).ok());
  EXPECT_EQ(reason(client(1, "carol", "bob", kChannelPerson)), ReasonCode::kSendBan);
  // A banned user can send nowhere, over a session opened before the ban or over HTTP.
  ASSERT_TRUE(change({"bob", kChannelPerson}, ChannelInfo{.ban = true}, std::nullopt).ok());
  EXPECT_EQ(reason(client(2, "bob", "g1", kChannelGroup)), ReasonCode::kBan);
  EXPECT_EQ(reason(http("bob", "g1", kChannelGroup)), ReasonCode::kBan);
  EXPECT_EQ(reason(client(1, "dave", "x", 99)), ReasonCode::kNotSupportChannelType);
}

TEST_F(EngineTest, SubscriberSetAndRemoveAllKeepTheListExact) {
  const ChannelKey g{"g1", kChannelGroup};
  ASSERT_TRUE(add_members(g, MemberRole::kSubscriber, {"a", "b", "c"}).ok());
  ASSERT_TRUE(change(g, std::nullopt,
                     MemberChange{MemberRole::kSubscriber, MemberChange::Mode::kSet, {"c", "d"}})
                  .ok());
  EXPECT_EQ(*engine_->members(g, MemberRole::kSubscriber), (std::vector<std::string>{"c", "d"}));
  ASSERT_TRUE(change(g, std::nullopt,
                     MemberChange{MemberRole::kSubscriber, MemberChange::Mode::kRemove, {"c"}})
                  .ok());
  EXPECT_EQ(*engine_->members(g, MemberRole::kSubscriber), (std::vector<std::string>{"d"}));
  ASSERT_TRUE(change(g, std::nullopt,
                     MemberChange{MemberRole::kSubscriber, MemberChange::Mode::kRemoveAll, {}})
                  .ok());
  EXPECT_TRUE(engine_->members(g, MemberRole::kSubscriber)->empty());
}

TEST_F(EngineTest, SequenceContinuesAfterRestart) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(send(http("a", "g1", kChannelGroup)).status.ok());
  const int64_t last_id = send(http("a", "g1", kChannelGroup)).message_id;
  stop();
  start();
  auto r = send(http("a", "g1", kChannelGroup));
  EXPECT_EQ(r.message_seq, 7u);
  EXPECT_GT(r.message_id, last_id);
}

TEST_F(EngineTest, SyncOnceQueueAndAck) {
  auto req = http("system", "bob", kChannelPerson);
  req.header.sync_once = true;
  auto first = send(req);
  auto second = send(req);
  ASSERT_TRUE(first.status.ok() && second.status.ok());
  auto pending = engine_->sync_once_messages("bob", 10);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_EQ((*pending)[0].message_seq, 1u);
  std::promise<Status> acked;
  engine_->ack_sync_once("bob", 1, [&](Status s) { acked.set_value(s); });
  ASSERT_TRUE(acked.get_future().get().ok());
  pending = engine_->sync_once_messages("bob", 10);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].message_seq, 2u);
  EXPECT_TRUE(engine_->sync_once_messages("nobody", 10)->empty());
}

TEST_F(EngineTest, UserTokens) {
  std::promise<Status> set;
  engine_->set_user_token("u1", 1, store::UserToken{"secret", 1},
                          [&](Status s) { set.set_value(s); });
  ASSERT_TRUE(set.get_future().get().ok());
  EXPECT_EQ(engine_->user_token("u1", 1)->value().token, "secret");
  std::promise<Status> cleared;
  engine_->clear_user_tokens("u1", {0, 1, 2}, [&](Status s) { cleared.set_value(s); });
  ASSERT_TRUE(cleared.get_future().get().ok());
  EXPECT_FALSE(engine_->user_token("u1", 1)->has_value());
}

}  // namespace
}  // namespace jindou::engine
