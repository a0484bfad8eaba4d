// Conversations: exact unread counts from read marks, version-based incremental sync, and the
// event-log entries sends write for the webhooks.
#include <map>

#include "engine/engine_test_support.h"
#include "engine/event_log.h"

namespace jindou::engine {
namespace {

class ConversationTest : public EngineTest {
 protected:
  Status wait(const std::function<void(StatusCallback)>& op) {
    std::promise<Status> p;
    op([&p](Status s) { p.set_value(std::move(s)); });
    return p.get_future().get();
  }
  void send_ok(const std::string& from, const std::string& channel, uint8_t type,
               bool red_dot = true) {
    auto r = http(from, channel, type);
    r.header.red_dot = red_dot;
    ASSERT_TRUE(send(std::move(r)).status.ok());
  }
  // uid's conversations by channel id as the user names them (peer uid for person chats).
  std::map<std::string, Conversation> list(const std::string& uid, uint64_t version = 0,
                                           size_t msg_count = 0) {
    ConversationQuery q;
    q.uid = uid;
    q.version = version;
    q.msg_count = msg_count;
    auto r = engine_->conversations().sync(q);
    EXPECT_TRUE(r.ok()) << r.error().message;
    std::map<std::string, Conversation> out;
    if (!r.ok()) return out;
    for (auto& c : *r) {
      std::string name = c.channel.id;
      if (c.channel.is_person()) {
        auto [a, b] = person_parties(c.channel.id);
        name = std::string(a == uid ? b : a);
      }
      out.emplace(name, std::move(c));
    }
    return out;
  }
  uint64_t unread(const std::string& uid, const std::string& channel) {
    auto all = list(uid);
    auto it = all.find(channel);
    return it == all.end() ? UINT64_MAX : it->second.unread;
  }
  const ChannelKey g_{"g", kChannelGroup};
};

TEST_F(ConversationTest, OwnMessagesNeverCountAndSendingMarksTheChatRead) {
  ASSERT_TRUE(add_members(g_, MemberRole::kSubscriber, {"a", "b", "c"}).ok());
  send_ok("a", "g", kChannelGroup);
  send_ok("a", "g", kChannelGroup);
  send_ok("b", "g", kChannelGroup);
  EXPECT_EQ(unread("a", "g"), 1u);
  EXPECT_EQ(unread("b", "g"), 0u);
  EXPECT_EQ(unread("c", "g"), 3u);
  auto c = list("c").at("g");
  EXPECT_EQ(c.last_msg_seq, 3u);
  EXPECT_EQ(c.readed_to_msg_seq, 0u);
  EXPECT_EQ(list("b").at("g").readed_to_msg_seq, 3u);
}

TEST_F(ConversationTest, OnlyRedDotMessagesCount) {
  ASSERT_TRUE(add_members(g_, MemberRole::kSubscriber, {"a", "b"}).ok());
  send_ok("a", "g", kChannelGroup, true);
  send_ok("a", "g", kChannelGroup, false);
  send_ok("a", "g", kChannelGroup, true);
  EXPECT_EQ(unread("b", "g"), 2u);
}

TEST_F(ConversationTest, MembersDoNotInheritUnreadHistory) {
  ASSERT_TRUE(add_members(g_, MemberRole::kSubscriber, {"a"}).ok());
  send_ok("a", "g", kChannelGroup);
  send_ok("a", "g", kChannelGroup);
  ASSERT_TRUE(add_members(g_, MemberRole::kSubscriber, {"late"}).ok());
  EXPECT_EQ(unread("late", "g"), 0u);  // listed (the group has messages), nothing unread
  send_ok("a", "g", kChannelGroup);
  EXPECT_EQ(unread("late", "g"), 1u);
  // Adding an existing member again keeps its count.
  ASSERT_TRUE(add_members(g_, MemberRole::kSubscriber, {"late"}).ok());
  EXPECT_EQ(unread("late", "g"), 1u);
  // Removed members lose the conversation.
  ASSERT_TRUE(change(g_, std::nullopt,
                     MemberChange{MemberRole::kSubscriber, MemberChange::Mode::kRemove, {"late"}})
                  .ok());
  EXPECT_EQ(list("late").count("g"), 0u);
}

TEST_F(ConversationTest, ClearSetAndDelete) {
  ASSERT_TRUE(add_members(g_, MemberRole::kSubscriber, {"a", "b"}).ok());
  for (int i = 0; i < 5; ++i) send_ok("a", "g", kChannelGroup);
  EXPECT_EQ(unread("b", "g"), 5u);
  ASSERT_TRUE(
      wait([&](auto done) { engine_->clear_unread("b", "g", kChannelGroup, 3, done); }).ok());
  EXPECT_EQ(unread("b", "g"), 2u);
  EXPECT_EQ(list("b").at("g").readed_to_msg_seq, 3u);
  ASSERT_TRUE(
      wait([&](auto done) { engine_->clear_unread("b", "g", kChannelGroup, 0, done); }).ok());
  EXPECT_EQ(unread("b", "g"), 0u);
  ASSERT_TRUE(wait([&](auto done) { engine_->set_unread("b", "g", kChannelGroup, 4, done); }).ok());
  EXPECT_EQ(unread("b", "g"), 4u);
  send_ok("a", "g", kChannelGroup);
  EXPECT_EQ(unread("b", "g"), 5u);  // counted on top of what was set
  ASSERT_TRUE(
      wait([&](auto done) { engine_->delete_conversation("b", "g", kChannelGroup, done); }).ok());
  EXPECT_EQ(list("b").count("g"), 0u);
  send_ok("a", "g", kChannelGroup);
  EXPECT_EQ(unread("b", "g"), 1u);  // back, counting only what came after the delete
}

TEST_F(ConversationTest, ClearingBeforeOwnMessageKeepsItRead) {
  ASSERT_TRUE(add_members(g_, MemberRole::kSubscriber, {"a", "b"}).ok());
  send_ok("a", "g", kChannelGroup);  // 1
  send_ok("b", "g", kChannelGroup);  // 2: b has read 1..2
  send_ok("a", "g", kChannelGroup);  // 3
  ASSERT_TRUE(
      wait([&](auto done) { engine_->clear_unread("b", "g", kChannelGroup, 1, done); }).ok());
  EXPECT_EQ(unread("b", "g"), 1u);  // only 3: b's own message 2 never counts
}

TEST_F(ConversationTest, PersonChatsForBothParties) {
  send_ok("alice", "bob", kChannelPerson);
  send_ok("alice", "bob", kChannelPerson);
  EXPECT_EQ(unread("bob", "alice"), 2u);
  EXPECT_EQ(unread("alice", "bob"), 0u);
  send_ok("bob", "alice", kChannelPerson);
  EXPECT_EQ(unread("bob", "alice"), 0u);
  EXPECT_EQ(unread("alice", "bob"), 1u);
  ASSERT_TRUE(wait([&](auto done) {
                engine_->clear_unread("alice", "bob", kChannelPerson, 0, done);
              }).ok());
  EXPECT_EQ(unread("alice", "bob"), 0u);
}

TEST_F(ConversationTest, IncrementalSyncByVersion) {
  ASSERT_TRUE(add_members(g_, MemberRole::kSubscriber, {"a", "b"}).ok());
  ASSERT_TRUE(add_members({"h", kChannelGroup}, MemberRole::kSubscriber, {"a", "b"}).ok());
  send_ok("a", "g", kChannelGroup);
  send_ok("a", "h", kChannelGroup);
  auto all = list("b");
  ASSERT_EQ(all.size(), 2u);
  const uint64_t v = std::max(all.at("g").version, all.at("h").version);
  EXPECT_TRUE(list("b", v).empty());
  send_ok("a", "h", kChannelGroup);
  auto changed = list("b", v);
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed.count("h"), 1u);
  const uint64_t v2 = changed.at("h").version;
  ASSERT_TRUE(
      wait([&](auto done) { engine_->clear_unread("b", "g", kChannelGroup, 0, done); }).ok());
  auto cleared = list("b", v2);
  ASSERT_EQ(cleared.size(), 1u);
  EXPECT_EQ(cleared.count("g"), 1u);
}

TEST_F(ConversationTest, RecentsAreTheNewestMessagesNewestFirst) {
  ASSERT_TRUE(add_members(g_, MemberRole::kSubscriber, {"a", "b"}).ok());
  for (int i = 0; i < 5; ++i) send_ok("a", "g", kChannelGroup);
  auto c = list("b", 0, 3).at("g");
  ASSERT_EQ(c.recents.size(), 3u);
  EXPECT_EQ(c.recents[0].message_seq, 5u);
  EXPECT_EQ(c.recents[2].message_seq, 3u);
}

TEST_F(ConversationTest, OffWritesNoMarks) {
  stop();
  options_.conversations = false;
  start();
  ASSERT_TRUE(add_members(g_, MemberRole::kSubscriber, {"a", "b"}).ok());
  send_ok("a", "g", kChannelGroup);
  EXPECT_TRUE(store_->conversations("a")->empty());
  EXPECT_TRUE(store_->conversations("b")->empty());
}

// Counts the durable entries the listener hears about.
class CountingListener final : public EventLogListener {
 public:
  void appended(EventQueue queue, size_t entries) override {
    std::lock_guard lock(mu);
    counts[queue] += entries;
  }
  std::mutex mu;
  std::map<EventQueue, size_t> counts;
};

TEST_F(ConversationTest, EventLogHoldsStoredMessagesAndOfflineRecipients) {
  stop();
  options_.events.stored_messages = true;
  options_.events.offline_recipients = true;
  start();
  CountingListener listener;
  engine_->set_event_listener(&listener);
  ASSERT_TRUE(add_members(g_, MemberRole::kSubscriber, {"a", "b", "c"}).ok());
  send_ok("a", "g", kChannelGroup);
  auto unstored = http("a", "g", kChannelGroup, "typing");
  unstored.header.no_persist = true;
  ASSERT_TRUE(send(std::move(unstored)).status.ok());
  // The unstored message's entry is committed with the shard's next flush.
  send_ok("a", "g", kChannelGroup);

  auto stored = store_->events(kQueueStoredMessages, 0, 100);
  ASSERT_TRUE(stored.ok());
  std::vector<StoredMessageRef> refs;
  for (const auto& e : *stored) {
    auto decoded = decode_stored_messages(e.value);
    ASSERT_TRUE(decoded.has_value());
    refs.insert(refs.end(), decoded->begin(), decoded->end());
  }
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_EQ(refs[0], (StoredMessageRef{g_, 1}));
  EXPECT_EQ(refs[1], (StoredMessageRef{g_, 2}));

  auto offline = store_->events(kQueueOfflineRecipients, 0, 100);
  ASSERT_TRUE(offline.ok());
  std::vector<OfflineRecord> records;  // entries hold the records of one flush each
  for (const auto& e : *offline) {
    auto decoded = decode_offline_entry(e.value);
    ASSERT_TRUE(decoded.has_value());
    for (auto& r : *decoded) records.push_back(std::move(r));
  }
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].to_uids, (std::vector<std::string>{"b", "c"}));  // never the sender
  EXPECT_EQ(records[0].stored, (StoredMessageRef{g_, 1}));
  ASSERT_TRUE(records[1].message.has_value());
  EXPECT_EQ(records[1].message->payload, "typing");
  EXPECT_EQ(records[1].stored.seq, 0u);
  EXPECT_EQ(records[2].stored, (StoredMessageRef{g_, 2}));

  // The listener hears after the senders are answered: wait for it.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  auto counts = [&] {
    std::lock_guard lock(listener.mu);
    return std::pair(listener.counts[kQueueStoredMessages],
                     listener.counts[kQueueOfflineRecipients]);
  };
  while (counts() != std::pair<size_t, size_t>(2, 3) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(counts().first, 2u);  // messages, not entries
  EXPECT_EQ(counts().second, 3u);
  engine_->set_event_listener(nullptr);  // `listener` goes before the engine
}

}  // namespace
}  // namespace jindou::engine
