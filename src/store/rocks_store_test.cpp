#include "store/rocks_store.h"

#include <gtest/gtest.h>

#include "model/client_msg_no.h"
#include "store/rocks_store_fixture.h"

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <random>

namespace jindou::store {
namespace {

TEST_F(RocksStoreTest, StoresAndFindsByEveryKey) {
  put({msg(g1_, 1, "a"), msg(g1_, 2, "b"), msg(g2_, 1, "a")});
  EXPECT_EQ(*store_->max_seq(g1_), 2u);
  EXPECT_EQ(*store_->max_seq(g2_), 1u);
  EXPECT_EQ(*store_->max_seq({"nope", 2}), 0u);

  auto m = store_->message(g1_, 2);
  ASSERT_TRUE(m.ok() && m->has_value());
  EXPECT_EQ((*m)->payload, "p2");
  EXPECT_EQ((*m)->client_msg_no, "b");

  auto by_id = store_->message_by_id((*m)->message_id);
  ASSERT_TRUE(by_id.ok() && by_id->has_value());
  EXPECT_EQ((*by_id)->message_seq, 2u);
  EXPECT_EQ((*by_id)->channel, g1_);

  auto ref = store_->find_client_msg(g1_, "alice", "a");
  ASSERT_TRUE(ref.ok() && ref->has_value());
  EXPECT_EQ((*ref)->message_seq, 1u);
  EXPECT_FALSE(store_->find_client_msg(g1_, "bob", "a")->has_value());
  EXPECT_FALSE(store_->find_client_msg(g1_, "alice", "zzz")->has_value());

  auto all = store_->messages_by_client_msg_no(g2_, "a");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].channel, g2_);
  EXPECT_EQ(*store_->max_message_id(), 1002);
}

// A group is written before it is synced; until the sync is done (and the commit reported), no
// read sees it: a reader never gets a message, or a seq, that a crash could still take back.
// This holds for the very first group after opening too.
TEST_F(RocksStoreTest, NothingIsReadableBeforeItIsDurable) {
  // The sync thread stops before each sync until the test lets it go on.
  std::mutex mu;
  std::condition_variable cv;
  int waiting = 0;
  int released = 0;
  before_sync_ = [&] {
    std::unique_lock lock(mu);
    const int me = ++waiting;
    cv.notify_all();
    cv.wait(lock, [&] { return released >= me; });
  };
  reopen();
  const ChannelKey ch{"g1", kChannelGroup};
  for (uint64_t seq = 1; seq <= 2; ++seq) {
    SCOPED_TRACE("message " + std::to_string(seq));
    WriteSet ws;
    ws.put_message(msg(ch, seq));
    std::promise<Status> committed;
    auto done = committed.get_future();
    store_->commit(std::move(ws), [&](const Status& s) { committed.set_value(s); });
    {
      std::unique_lock lock(mu);  // written, its sync not yet done
      cv.wait(lock, [&] { return waiting >= static_cast<int>(seq); });
    }
    EXPECT_EQ(done.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
    EXPECT_FALSE(store_->message(ch, seq).value().has_value());
    EXPECT_EQ(store_->max_seq(ch).value(), seq - 1);
    EXPECT_EQ(store_->scan(ch, 1, 0, false, 100).value().messages.size(), seq - 1);
    {
      std::lock_guard lock(mu);
      ++released;
      cv.notify_all();
    }
    EXPECT_TRUE(done.get().ok());
    EXPECT_TRUE(store_->message(ch, seq).value().has_value());
    EXPECT_EQ(store_->max_seq(ch).value(), seq);
  }
  store_.reset();  // before the hook's state goes away
}

// A write handed to a closed store is refused through its callback, never dropped or crashed on.
TEST_F(RocksStoreTest, CommitAfterCloseIsRefused) {
  store_->close();
  WriteSet ws;
  ws.put_message(msg(g1_, 1));
  const Status s = store_->commit_and_wait(std::move(ws));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().status, 503);
}

TEST_F(RocksStoreTest, ScanRangesAndMore) {
  std::vector<Message> ms;
  for (uint64_t s = 1; s <= 10; ++s) ms.push_back(msg(g1_, s));
  ms.push_back(msg(g2_, 1));
  put(ms);

  auto up = store_->scan(g1_, 3, 0, false, 4);
  EXPECT_EQ(seqs(*up), (std::vector<uint64_t>{3, 4, 5, 6}));
  EXPECT_TRUE(up->more);

  auto up_bounded = store_->scan(g1_, 3, 7, false, 10);
  EXPECT_EQ(seqs(*up_bounded), (std::vector<uint64_t>{3, 4, 5, 6}));
  EXPECT_FALSE(up_bounded->more);

  auto exact = store_->scan(g1_, 7, 0, false, 4);
  EXPECT_EQ(seqs(*exact), (std::vector<uint64_t>{7, 8, 9, 10}));
  EXPECT_FALSE(exact->more);

  auto down = store_->scan(g1_, 0, 8, true, 3);
  EXPECT_EQ(seqs(*down), (std::vector<uint64_t>{5, 6, 7}));
  EXPECT_TRUE(down->more);

  auto down_bounded = store_->scan(g1_, 5, 8, true, 5);
  EXPECT_EQ(seqs(*down_bounded), (std::vector<uint64_t>{5, 6, 7}));
  EXPECT_FALSE(down_bounded->more);

  auto newest = store_->scan(g1_, 0, 0, true, 2);
  EXPECT_EQ(seqs(*newest), (std::vector<uint64_t>{9, 10}));
  EXPECT_TRUE(newest->more);

  auto other = store_->scan(g2_, 0, 0, false, 100);
  EXPECT_EQ(seqs(*other), (std::vector<uint64_t>{1}));
  auto empty = store_->scan({"none", 2}, 0, 0, false, 100);
  EXPECT_TRUE(empty->messages.empty());
  EXPECT_FALSE(empty->more);
}

TEST_F(RocksStoreTest, ScanPagesEndAtTheByteBudget) {
  std::vector<Message> ms;
  for (uint64_t s = 1; s <= 5; ++s) {
    Message m = msg(g1_, s);
    m.payload = std::string(100, 'x');
    ms.push_back(m);
  }
  put(ms);
  auto page = store_->scan(g1_, 0, 0, false, 10, 250);
  EXPECT_EQ(seqs(*page), (std::vector<uint64_t>{1, 2, 3}));  // 300 bytes: the third crosses it
  EXPECT_TRUE(page->more);
  auto newest = store_->scan(g1_, 0, 0, true, 10, 150);
  EXPECT_EQ(seqs(*newest), (std::vector<uint64_t>{4, 5}));
  EXPECT_TRUE(newest->more);
  auto one = store_->scan(g1_, 0, 0, false, 10, 1);  // always at least one message
  EXPECT_EQ(seqs(*one), (std::vector<uint64_t>{1}));
}

TEST_F(RocksStoreTest, ExpiredMessagesVanishFromEveryReadAndThenFromDisk) {
  put({msg(g1_, 1, "keep"), msg(g1_, 2, "gone", 10), msg(g1_, 3, "keep2")});
  const int64_t gone_id = store_->message(g1_, 2)->value().message_id;
  clock_ += 9;
  EXPECT_TRUE(store_->message(g1_, 2)->has_value());
  clock_ += 1;  // now timestamp + expire
  EXPECT_FALSE(store_->message(g1_, 2)->has_value());
  EXPECT_FALSE(store_->message_by_id(gone_id)->has_value());
  EXPECT_FALSE(store_->find_client_msg(g1_, "alice", "gone")->has_value());
  EXPECT_TRUE(store_->messages_by_client_msg_no(g1_, "gone")->empty());
  EXPECT_EQ(seqs(*store_->scan(g1_, 0, 0, false, 10)), (std::vector<uint64_t>{1, 3}));
  int visited = 0;
  ASSERT_TRUE(store_
                  ->for_each_by_id(false, 0,
                                   [&](Message&& m) {
                                     EXPECT_NE(m.message_id, gone_id);
                                     ++visited;
                                     return true;
                                   })
                  .ok());
  EXPECT_EQ(visited, 2);
  // The max seq does not move back: the next message must not reuse seq 2 or 3.
  EXPECT_EQ(*store_->max_seq(g1_), 3u);

  ASSERT_TRUE(store_->compact().ok());
  clock_ -= 100;  // back before the expiry: only a physical delete keeps it invisible now
  EXPECT_FALSE(store_->message(g1_, 2)->has_value());
  EXPECT_FALSE(store_->message_by_id(gone_id)->has_value());
  EXPECT_FALSE(store_->find_client_msg(g1_, "alice", "gone")->has_value());
  EXPECT_TRUE(store_->message(g1_, 1)->has_value());
}

TEST_F(RocksStoreTest, RetentionHidesOldMessages) {
  reopen(3600);
  put({msg(g1_, 1)});
  clock_ += 100;
  put({msg(g1_, 2)});
  clock_ += 3550;  // message 1 is 3650 s old, message 2 is 3550 s old
  EXPECT_EQ(seqs(*store_->scan(g1_, 0, 0, false, 10)), (std::vector<uint64_t>{2}));
}

TEST_F(RocksStoreTest, SurvivesReopen) {
  put({msg(g1_, 1, "x"), msg(g1_, 2, "y", 5)});
  clock_ += 10;
  ASSERT_TRUE(store_->compact().ok());  // seq 2 physically gone
  reopen();
  EXPECT_EQ(*store_->max_seq(g1_), 2u);
  EXPECT_TRUE(store_->message(g1_, 1)->has_value());
  EXPECT_TRUE(store_->find_client_msg(g1_, "alice", "x")->has_value());
}

TEST_F(RocksStoreTest, MaxSeqComesFromTheLastMessageWhenNoRecordIsKept) {
  WriteSet ws;
  for (uint64_t seq = 1; seq <= 3; ++seq) ws.put_message(msg(g1_, seq), true, false);
  ASSERT_TRUE(store_->commit_and_wait(std::move(ws)).ok());
  EXPECT_EQ(*store_->max_seq(g1_), 3u);
  EXPECT_EQ(*store_->max_seq(g2_), 0u);
  // A record above the last key (its message expired and was deleted) still counts.
  WriteSet with_record;
  with_record.put_message(msg(g1_, 4, "", 5), true, true);
  ASSERT_TRUE(store_->commit_and_wait(std::move(with_record)).ok());
  clock_ += 10;
  ASSERT_TRUE(store_->compact().ok());
  EXPECT_FALSE(store_->message(g1_, 4)->has_value());
  EXPECT_EQ(*store_->max_seq(g1_), 4u);
}

TEST_F(RocksStoreTest, TurningRetentionOnRecordsEveryChannelsMaxSeq) {
  // Written without retention: no max-seq records, the last key is the max seq.
  WriteSet ws;
  for (uint64_t seq = 1; seq <= 3; ++seq) ws.put_message(msg(g1_, seq), true, false);
  ws.put_message(msg(g2_, 1), true, false);
  ASSERT_TRUE(store_->commit_and_wait(std::move(ws)).ok());
  // Retention on: once every message is gone, seqs must still continue after 3 and 1.
  reopen(3600);
  clock_ += 7200;
  ASSERT_TRUE(store_->compact().ok());
  EXPECT_TRUE(store_->scan(g1_, 0, 0, false, 10)->messages.empty());
  EXPECT_EQ(*store_->max_seq(g1_), 3u);
  EXPECT_EQ(*store_->max_seq(g2_), 1u);
}

TEST_F(RocksStoreTest, GeneratedClientMsgNosNeedNoIndex) {
  Message m = msg(g1_, 1);
  m.client_msg_no = generated_client_msg_no(m.message_id, 42);
  WriteSet ws;
  ws.put_message(m, /*index_client_msg_no=*/false, true);
  ASSERT_TRUE(store_->commit_and_wait(std::move(ws)).ok());
  auto ref = store_->find_client_msg(g1_, "alice", m.client_msg_no);
  ASSERT_TRUE(ref.ok() && ref->has_value());
  EXPECT_EQ((*ref)->message_id, m.message_id);
  EXPECT_FALSE(store_->find_client_msg(g1_, "bob", m.client_msg_no)->has_value());
  EXPECT_FALSE(store_->find_client_msg(g2_, "alice", m.client_msg_no)->has_value());
  EXPECT_EQ(store_->messages_by_client_msg_no(g1_, m.client_msg_no)->size(), 1u);
  // Same shape, same id, different value: not that message.
  const std::string other = generated_client_msg_no(m.message_id, 43);
  EXPECT_TRUE(store_->messages_by_client_msg_no(g1_, other)->empty());
}

TEST_F(RocksStoreTest, MembersTokensAndCursors) {
  WriteSet ws;
  ws.put_channel_info(g1_, ChannelInfo{true, false, false, true, false});
  ws.put_member(g1_, MemberRole::kSubscriber, "u1");
  ws.put_member(g1_, MemberRole::kSubscriber, "u2");
  ws.put_member(g1_, MemberRole::kDenylist, "u3");
  ws.put_user_token("u1", 1, UserToken{"tok", 1});
  ws.put_cursor("webhook", "42");
  ASSERT_TRUE(store_->commit_and_wait(std::move(ws)).ok());

  EXPECT_EQ(store_->channel_info(g1_)->value(), (ChannelInfo{true, false, false, true, false}));
  EXPECT_FALSE(store_->channel_info(g2_)->has_value());
  EXPECT_EQ(*store_->members(g1_, MemberRole::kSubscriber), (std::vector<std::string>{"u1", "u2"}));
  EXPECT_TRUE(*store_->is_member(g1_, MemberRole::kDenylist, "u3"));
  EXPECT_FALSE(*store_->is_member(g1_, MemberRole::kDenylist, "u1"));
  EXPECT_TRUE(*store_->has_members(g1_, MemberRole::kDenylist));
  EXPECT_FALSE(*store_->has_members(g1_, MemberRole::kAllowlist));
  EXPECT_EQ(store_->user_token("u1", 1)->value(), (UserToken{"tok", 1}));
  EXPECT_FALSE(store_->user_token("u1", 0)->has_value());
  EXPECT_EQ(store_->cursor("webhook")->value(), "42");

  WriteSet del;
  del.delete_all_members(g1_, MemberRole::kSubscriber);
  del.delete_user_token("u1", 1);
  ASSERT_TRUE(store_->commit_and_wait(std::move(del)).ok());
  EXPECT_TRUE(store_->members(g1_, MemberRole::kSubscriber)->empty());
  EXPECT_TRUE(*store_->is_member(g1_, MemberRole::kDenylist, "u3"));  // other roles untouched
  EXPECT_FALSE(store_->user_token("u1", 1)->has_value());
}

TEST_F(RocksStoreTest, SyncQueue) {
  WriteSet ws;
  for (uint64_t p = 1; p <= 5; ++p) ws.push_sync_queue("u1", g1_, p * 10);
  ws.push_sync_queue("u2", g2_, 7);
  ASSERT_TRUE(store_->commit_and_wait(std::move(ws)).ok());
  EXPECT_EQ(*store_->last_sync_queue_position("u1"), 5u);
  EXPECT_EQ(*store_->last_sync_queue_position("nobody"), 0u);
  auto q = store_->sync_queue("u1", 3);
  ASSERT_EQ(q->size(), 3u);
  EXPECT_EQ((*q)[0].position, 1u);
  EXPECT_EQ((*q)[2].seq, 30u);
  WriteSet ack;
  ack.delete_sync_queue_through("u1", 3);
  ASSERT_TRUE(store_->commit_and_wait(std::move(ack)).ok());
  auto rest = store_->sync_queue("u1", 10);
  ASSERT_EQ(rest->size(), 2u);
  EXPECT_EQ((*rest)[0].position, 4u);
  ASSERT_EQ(store_->sync_queue("u2", 10)->size(), 1u);
  EXPECT_EQ((*store_->sync_queue("u2", 10))[0].position, 6u);
  // Positions follow commit order across restarts.
  reopen();
  WriteSet later;
  later.push_sync_queue("u1", g1_, 60);
  ASSERT_TRUE(store_->commit_and_wait(std::move(later)).ok());
  EXPECT_EQ(*store_->last_sync_queue_position("u1"), 7u);
}

TEST_F(RocksStoreTest, ForEachByIdOrdersAndStartsAfterOffset) {
  put({msg(g1_, 1), msg(g2_, 1), msg(g1_, 2), msg(g2_, 2)});
  std::vector<int64_t> ids;
  ASSERT_TRUE(store_
                  ->for_each_by_id(true, 0,
                                   [&](Message&& m) {
                                     ids.push_back(m.message_id);
                                     return true;
                                   })
                  .ok());
  EXPECT_EQ(ids, (std::vector<int64_t>{1003, 1002, 1001, 1000}));
  ids.clear();
  ASSERT_TRUE(store_
                  ->for_each_by_id(true, 1002,
                                   [&](Message&& m) {
                                     ids.push_back(m.message_id);
                                     return true;
                                   })
                  .ok());
  EXPECT_EQ(ids, (std::vector<int64_t>{1001, 1000}));
  ids.clear();
  ASSERT_TRUE(store_
                  ->for_each_by_id(false, 1001,
                                   [&](Message&& m) {
                                     ids.push_back(m.message_id);
                                     return ids.size() < 1;
                                   })
                  .ok());
  EXPECT_EQ(ids, (std::vector<int64_t>{1002}));
  std::vector<uint64_t> seqs_seen;
  ASSERT_TRUE(store_
                  ->for_each_in_channel(g1_, true, 0,
                                        [&](Message&& m) {
                                          seqs_seen.push_back(m.message_seq);
                                          return true;
                                        })
                  .ok());
  EXPECT_EQ(seqs_seen, (std::vector<uint64_t>{2, 1}));
}

}  // namespace
}  // namespace jindou::store
