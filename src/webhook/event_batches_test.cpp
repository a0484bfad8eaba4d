#include "webhook/event_batches.h"

#include <boost/json.hpp>

#include "webhook/webhook_test_support.h"

namespace jindou::webhook {
namespace {

namespace json = boost::json;

class EventBatchesTest : public StoreTest {};

std::vector<int64_t> seqs_of(const std::string& body) {
  std::vector<int64_t> out;
  const json::value parsed = json::parse(body);
  for (const auto& m : parsed.as_array()) {
    out.push_back(m.at("message_seq").to_number<int64_t>());
  }
  return out;
}

TEST_F(EventBatchesTest, StoredMessagesBatchAcrossEntriesAndSplitThem) {
  store_messages("g", 1, 3);
  store_messages("g", 4, 5);
  auto reader = make_stored_messages_reader(*store_, 4);
  auto first = reader->next(Cursor{});
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_EQ(seqs_of((*first)->body), (std::vector<int64_t>{1, 2, 3, 4}));
  EXPECT_TRUE((*first)->full);
  EXPECT_EQ((*first)->events, 4u);
  ASSERT_EQ((*first)->finished.size(), 1u);  // the second entry is only half taken
  auto second = reader->next((*first)->next);
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_EQ(seqs_of((*second)->body), (std::vector<int64_t>{5}));
  EXPECT_FALSE((*second)->full);
  ASSERT_EQ((*second)->finished.size(), 1u);
  EXPECT_GT((*second)->finished[0], (*first)->finished[0]);
  auto none = reader->next((*second)->next);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  // The dead-letter form of a batch is one entry with exactly its messages.
  EXPECT_EQ(reader->events_in((*first)->entry), 4u);
  auto body = reader->body_of((*first)->entry);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(*body, (*first)->body);
}

TEST_F(EventBatchesTest, MessageObjectsAsTheHttpApiWritesThem) {
  store_messages("g", 1, 1);
  auto reader = make_stored_messages_reader(*store_, 100);
  auto b = reader->next(Cursor{});
  ASSERT_TRUE(b.ok() && b->has_value());
  const json::value parsed = json::parse((*b)->body);
  const json::value m = parsed.as_array().at(0);
  EXPECT_EQ(m.at("message_id").to_number<int64_t>(), 1001);
  EXPECT_EQ(m.at("message_idstr").as_string(), "1001");
  EXPECT_EQ(m.at("channel_id").as_string(), "g");
  EXPECT_EQ(m.at("payload").as_string(), "bTE=");  // base64 of "m1"
}

TEST_F(EventBatchesTest, OfflineEntriesCarryTheRecipients) {
  store_messages("g", 1, 1);
  Message stored;
  stored.message_seq = 1;
  stored.channel = {"g", kChannelGroup};
  Message unstored;
  unstored.message_id = 5;
  unstored.channel = {"b@a", kChannelPerson};
  unstored.from_uid = "a";
  unstored.payload = "typing";
  // One entry with two records (one shard flush), then one with one.
  std::string two;
  engine::append_offline_record(two, stored, {"x"});
  engine::append_offline_record(two, unstored, {"b"});
  std::string one;
  engine::append_offline_record(one, stored, {"y", "z"});
  store::WriteSet ws;
  ws.append_event(engine::kQueueOfflineRecipients, two);
  ws.append_event(engine::kQueueOfflineRecipients, one);
  ASSERT_TRUE(store_->commit_and_wait(std::move(ws)).ok());
  auto reader = make_offline_reader(*store_);
  auto first = reader->next(Cursor{});
  ASSERT_TRUE(first.ok() && first->has_value());
  const auto a = json::parse((*first)->body);
  EXPECT_EQ(a.at("message_seq").to_number<int64_t>(), 1);
  EXPECT_EQ(a.at("to_uids"), json::parse(R"(["x"])"));
  auto second = reader->next((*first)->next);
  ASSERT_TRUE(second.ok() && second->has_value());
  const auto b = json::parse((*second)->body);
  EXPECT_EQ(b.at("channel_id").as_string(), "b");  // the recipient, as WuKongIM sends it
  EXPECT_EQ(b.at("to_uids"), json::parse(R"(["b"])"));
  EXPECT_EQ((*second)->finished.size(), 1u);  // the first entry is done
  auto third = reader->next((*second)->next);
  ASSERT_TRUE(third.ok() && third->has_value());
  EXPECT_EQ(json::parse((*third)->body).at("to_uids"), json::parse(R"(["y","z"])"));
  // A dead letter of one call holds exactly that record.
  EXPECT_EQ(reader->events_in((*third)->entry), 1u);
  EXPECT_EQ(*reader->body_of((*third)->entry), (*third)->body);
  EXPECT_FALSE(reader->next((*third)->next)->has_value());
}

TEST_F(EventBatchesTest, OnlineStatusStrings) {
  EXPECT_EQ(status_text("u1", 1, true, 42, 1, 2), "u1-1-1-42-1-2");
  store::WriteSet ws;
  ws.append_event(engine::kQueueOnlineStatus, encode_status_entry({"a-0-1-1-1-1"}));
  ws.append_event(engine::kQueueOnlineStatus, encode_status_entry({"a-0-0-1-0-0", "b-1-1-2-1-1"}));
  ASSERT_TRUE(store_->commit_and_wait(std::move(ws)).ok());
  auto reader = make_online_status_reader(*store_, 2);
  auto first = reader->next(Cursor{});
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_EQ((*first)->body, R"(["a-0-1-1-1-1","a-0-0-1-0-0"])");
  auto second = reader->next((*first)->next);
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_EQ((*second)->body, R"(["b-1-1-2-1-1"])");
}

TEST(Cursor, RoundTrips) {
  EXPECT_EQ(decode_cursor(encode_cursor(Cursor{7, 3})), (Cursor{7, 3}));
  EXPECT_FALSE(decode_cursor("short").has_value());
}

}  // namespace
}  // namespace jindou::webhook
