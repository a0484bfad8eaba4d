// Commit versions, red-dot totals, conversation records, event queues, streams.
#include <gtest/gtest.h>

#include "store/encoding.h"
#include "store/rocks_store_fixture.h"

namespace jindou::store {
namespace {

TEST(MessageEncoding, KeepsRedDotTotalAndReadsVersionOneValues) {
  Message m;
  m.message_id = 77;
  m.message_seq = 5;
  m.channel = {"g", kChannelGroup};
  m.from_uid = "u";
  m.timestamp = 1700000000;
  m.red_dot_total = 12;
  m.commit_version = 34;
  m.payload = "hello";
  const std::string key = message_key(m.channel, m.message_seq);
  const std::string value = encode_message(m);
  auto back = decode_message(key, value);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->red_dot_total, 12u);
  EXPECT_EQ(back->commit_version, 34u);
  EXPECT_EQ(back->payload, "hello");
  auto tip = decode_message_tip(value);
  ASSERT_TRUE(tip.has_value());
  EXPECT_EQ(tip->red_dot_total, 12u);

  // A version 1 value: the same bytes without the two conversation fields.
  std::string v1 = value.substr(0, kMessageVersionOffset) + value.substr(kMessageHeaderSize);
  v1[0] = 1;
  auto old = decode_message(key, v1);
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(old->message_id, 77);
  EXPECT_EQ(old->payload, "hello");
  EXPECT_EQ(old->red_dot_total, 0u);
  EXPECT_EQ(decode_message_tip(v1)->red_dot_total, 0u);
}

TEST(ConversationEncoding, MarksRoundTrip) {
  const ReadMark read{7, 5, 2, 6, 99};
  EXPECT_EQ(decode_read_mark(encode_read_mark(read)), read);
  const OwnMark own{8, 6, 100};
  EXPECT_EQ(decode_own_mark(encode_own_mark(own)), own);
  EXPECT_FALSE(decode_read_mark("x").has_value());
}

TEST_F(RocksStoreTest, CommitVersionsGrowInCommitOrderAndFillEveryStampedValue) {
  Message a = msg(g1_, 1);
  a.red_dot_total = 1;
  put({a});
  WriteSet marks;
  marks.put_own_mark("alice", g1_, 1, 1);
  marks.put_read_mark("bob", g1_, ReadMark{1, 1, 0, 0, 0});
  ASSERT_TRUE(store_->commit_and_wait(std::move(marks)).ok());
  put({msg(g1_, 2)});

  auto first = store_->message(g1_, 1);
  auto second = store_->message(g1_, 2);
  ASSERT_TRUE(first.ok() && first->has_value() && second.ok() && second->has_value());
  auto alice = store_->conversation("alice", g1_);
  auto bob = store_->conversation("bob", g1_);
  ASSERT_TRUE(alice.ok() && alice->has_value() && (*alice)->own);
  ASSERT_TRUE(bob.ok() && bob->has_value() && (*bob)->read);
  const uint64_t v1 = (*first)->commit_version;
  const uint64_t v_marks = (*alice)->own->version;
  const uint64_t v2 = (*second)->commit_version;
  EXPECT_GT(v1, 0u);
  EXPECT_GT(v_marks, v1);
  EXPECT_EQ((*bob)->read->version, v_marks);  // one group, one version
  EXPECT_GT(v2, v_marks);
  EXPECT_EQ((*first)->red_dot_total, 1u);

  // Versions keep growing after a restart.
  reopen();
  put({msg(g1_, 3)});
  auto third = store_->message(g1_, 3);
  ASSERT_TRUE(third.ok() && third->has_value());
  EXPECT_GT((*third)->commit_version, v2);
}

TEST_F(RocksStoreTest, ChannelTipCarriesTheRedDotTotal) {
  Message a = msg(g1_, 1);
  a.red_dot_total = 1;
  Message b = msg(g1_, 2);
  b.red_dot_total = 1;  // no red dot
  Message c = msg(g1_, 3, "", 60);
  c.red_dot_total = 2;
  put({a, b});
  EXPECT_EQ(store_->channel_tip(g1_)->red_dots, 1u);
  put({c});
  EXPECT_EQ(store_->channel_tip(g1_)->max_seq, 3u);
  EXPECT_EQ(store_->channel_tip(g1_)->red_dots, 2u);
  // The newest message expired and was compacted away: the max-seq record still knows.
  clock_ += 120;
  ASSERT_TRUE(store_->compact().ok());
  EXPECT_EQ(store_->channel_tip(g1_)->max_seq, 3u);
  EXPECT_EQ(store_->channel_tip(g1_)->red_dots, 2u);
  EXPECT_EQ(store_->channel_tip({"none", 2})->max_seq, 0u);
}

TEST_F(RocksStoreTest, ConversationRecordsOfAUser) {
  const ChannelKey person{"alice@bob", kChannelPerson};
  WriteSet ws;
  ws.put_read_mark("alice", g2_, ReadMark{3, 2, 0, 0, 0});
  ws.put_own_mark("alice", g2_, 4, 2);
  ws.put_own_mark("alice", person, 1, 1);
  ws.put_read_mark("bob", person, ReadMark{});
  ws.put_member(g1_, MemberRole::kSubscriber, "alice");
  ASSERT_TRUE(store_->commit_and_wait(std::move(ws)).ok());

  auto all = store_->conversations("alice");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  for (const auto& r : *all) {
    if (r.channel == g2_) {
      ASSERT_TRUE(r.read && r.own);
      EXPECT_EQ(r.read->read_seq, 3u);
      EXPECT_EQ(r.own->seq, 4u);
    } else {
      EXPECT_EQ(r.channel, person);
      EXPECT_FALSE(r.read);
      ASSERT_TRUE(r.own);
    }
  }
  auto channels = store_->subscribed_channels("alice");
  ASSERT_TRUE(channels.ok());
  EXPECT_EQ(*channels, std::vector<ChannelKey>{g1_});

  WriteSet drop;
  drop.delete_conversation("alice", g2_);
  ASSERT_TRUE(store_->commit_and_wait(std::move(drop)).ok());
  EXPECT_EQ(store_->conversations("alice")->size(), 1u);
  EXPECT_FALSE(store_->conversation("alice", g2_)->has_value());
  EXPECT_TRUE(store_->conversation("bob", person)->has_value());
}

TEST_F(RocksStoreTest, EventQueuesAppendInCommitOrderAndTrim) {
  for (int i = 0; i < 3; ++i) {
    WriteSet ws;
    ws.append_event('a', "a" + std::to_string(i));
    ws.append_event('b', "b" + std::to_string(i));
    ASSERT_TRUE(store_->commit_and_wait(std::move(ws)).ok());
  }
  auto a = store_->events('a', 0, 10);
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->size(), 3u);
  EXPECT_EQ((*a)[0].value, "a0");
  EXPECT_EQ((*a)[2].value, "a2");
  EXPECT_LT((*a)[0].id, (*a)[1].id);
  auto after_first = store_->events('a', (*a)[0].id, 1);
  ASSERT_EQ(after_first->size(), 1u);
  EXPECT_EQ((*after_first)[0].value, "a1");

  WriteSet trim;
  trim.delete_events_through('a', (*a)[1].id);
  trim.put_event('c', 42, "keyed");
  ASSERT_TRUE(store_->commit_and_wait(std::move(trim)).ok());
  auto rest = store_->events('a', 0, 10);
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ((*rest)[0].value, "a2");
  EXPECT_EQ(store_->events('b', 0, 10)->size(), 3u);  // other queues untouched
  auto keyed = store_->events('c', 0, 10);
  ASSERT_EQ(keyed->size(), 1u);
  EXPECT_EQ((*keyed)[0].id, 42u);

  // Positions keep growing after a restart.
  reopen();
  WriteSet more;
  more.append_event('a', "a3");
  ASSERT_TRUE(store_->commit_and_wait(std::move(more)).ok());
  auto last = store_->events('a', (*a)[2].id, 10);
  ASSERT_EQ(last->size(), 1u);
  EXPECT_EQ((*last)[0].value, "a3");
}

TEST(StreamEncoding, RoundTripsAndRefusesDamage) {
  StreamRecord r;
  r.stream_no = "s1";
  r.channel = {"a@b", kChannelPerson};
  r.anchor_seq = 9;
  r.anchor_message_id = 123456789;
  r.client_msg_no = "c1";
  r.from_uid = "bot";
  r.chunks = 70000;
  r.bytes = 1ULL << 33;
  r.ended = true;
  r.end_reason = StreamEnd::kTimeout;
  r.updated_ms = 1700000000123;
  const std::string v = encode_stream_record(r);
  EXPECT_EQ(decode_stream_record("s1", v), r);
  EXPECT_FALSE(decode_stream_record("s1", v.substr(0, v.size() - 1)).has_value());
  EXPECT_FALSE(decode_stream_record("s1", v + "x").has_value());
  std::string bad_reason = v;
  bad_reason[bad_reason.size() - 7] = 9;  // the end_reason byte (updated_ms is 6 varint bytes)
  EXPECT_FALSE(decode_stream_record("s1", bad_reason).has_value());
}

TEST_F(RocksStoreTest, StreamsKeepRecordChunksAndOpenSet) {
  StreamRecord r;
  r.stream_no = "st";
  r.channel = {"g", kChannelGroup};
  r.anchor_seq = 1;
  {
    WriteSet ws;
    ws.put_stream(r);
    ASSERT_TRUE(store_->commit_and_wait(std::move(ws)).ok());
  }
  EXPECT_EQ(*store_->open_streams(), std::vector<std::string>{"st"});
  // Chunks read back in chunk order, whatever order they were written in.
  {
    WriteSet ws;
    ws.put_stream_chunk("st", 2, "lo ");
    ws.put_stream_chunk("st", 1, "hel");
    ws.put_stream_chunk("st", 300, "world");
    ws.put_stream_chunk("s", 1, "other stream");  // a stream_no that is a prefix of another
    r.chunks = 3;
    r.bytes = 11;
    ws.put_stream(r);
    ASSERT_TRUE(store_->commit_and_wait(std::move(ws)).ok());
  }
  EXPECT_EQ(*store_->stream_data("st", 1024), "hello world");
  EXPECT_EQ(*store_->stream_data("s", 1024), "other stream");
  EXPECT_EQ(*store_->stream_data("none", 1024), "");
  auto over = store_->stream_data("st", 10);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().status, 413);

  r.ended = true;
  r.end_reason = StreamEnd::kError;
  {
    WriteSet ws;
    ws.put_stream(r);
    ASSERT_TRUE(store_->commit_and_wait(std::move(ws)).ok());
  }
  reopen();
  EXPECT_TRUE(store_->open_streams()->empty());
  auto back = store_->stream("st");
  ASSERT_TRUE(back.ok() && back->has_value());
  EXPECT_EQ(**back, r);
  EXPECT_FALSE(store_->stream("nope")->has_value());
}

TEST_F(RocksStoreTest, ASendersMarksInOneWriteSetAreOnePut) {
  const uint64_t before = store_->stats().keys_written;
  WriteSet ws;
  ws.put_own_mark("alice", g1_, 1, 1);
  ws.put_own_mark("alice", g1_, 2, 2);
  ws.put_own_mark("bob", g1_, 3, 3);
  ws.put_own_mark("alice", g1_, 4, 3);
  ASSERT_TRUE(store_->commit_and_wait(std::move(ws)).ok());
  EXPECT_EQ(store_->stats().keys_written - before, 2u);
  EXPECT_EQ((*store_->conversation("alice", g1_))->own->seq, 4u);

  // A deletion in between keeps its place: the mark after it survives, the one before does not.
  WriteSet order;
  order.put_own_mark("carol", g1_, 5, 3);
  order.delete_conversation("carol", g1_);
  order.put_own_mark("carol", g1_, 6, 3);
  ASSERT_TRUE(store_->commit_and_wait(std::move(order)).ok());
  EXPECT_EQ((*store_->conversation("carol", g1_))->own->seq, 6u);
  WriteSet gone;
  gone.put_own_mark("dave", g1_, 7, 3);
  gone.delete_conversation("dave", g1_);
  ASSERT_TRUE(store_->commit_and_wait(std::move(gone)).ok());
  EXPECT_FALSE(store_->conversation("dave", g1_)->has_value());
}

TEST_F(RocksStoreTest, CountsKeysWritten) {
  const uint64_t before = store_->stats().keys_written;
  WriteSet ws;
  ws.put_member(g1_, MemberRole::kSubscriber, "u");  // member + reverse index
  ASSERT_TRUE(store_->commit_and_wait(std::move(ws)).ok());
  EXPECT_EQ(store_->stats().keys_written - before, 2u);
}

}  // namespace
}  // namespace jindou::store
