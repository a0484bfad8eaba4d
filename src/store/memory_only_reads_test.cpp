// MemoryOnlyReads against a real RocksStore: data that is only on disk is not read under the
// guard (the read fails and the guard says so); once read normally it is in memory and the
// guarded read answers; a client_msg_no never stored is answered from the bloom filter.
#include "store/memory_only_reads.h"

#include "store/rocks_store_fixture.h"

namespace jindou::store {
namespace {

class MemoryOnlyReadsTest : public RocksStoreTest {
 protected:
  // Messages 1..3 of `ch`, moved from the memtable to table files, and a restart so that
  // nothing of them is in memory.
  void store_on_disk(const ChannelKey& ch) {
    put({msg(ch, 1, "first"), msg(ch, 2, "second"), msg(ch, 3, "third")});
    ASSERT_TRUE(store_->compact().ok());
    reopen();
  }
};

TEST_F(MemoryOnlyReadsTest, NoGuardMeansOrdinaryReads) {
  EXPECT_FALSE(MemoryOnlyReads::active());
  {
    MemoryOnlyReads reads;
    EXPECT_TRUE(MemoryOnlyReads::active());
    EXPECT_FALSE(reads.missed());
  }
  EXPECT_FALSE(MemoryOnlyReads::active());
}

TEST_F(MemoryOnlyReadsTest, DataOnDiskIsAMissUntilReadOnce) {
  const ChannelKey ch{"g1", kChannelGroup};
  store_on_disk(ch);
  {
    MemoryOnlyReads reads;
    auto tip = store_->channel_tip(ch);
    EXPECT_FALSE(tip.ok());
    EXPECT_TRUE(reads.missed());
  }
  {
    MemoryOnlyReads reads;
    auto found = store_->find_client_msg(ch, "alice", "second");
    EXPECT_FALSE(found.ok());
    EXPECT_TRUE(reads.missed());
  }
  // Read as usual (what a read thread does), the same reads are answered from memory.
  auto tip = store_->channel_tip(ch);
  ASSERT_TRUE(tip.ok());
  EXPECT_EQ(tip->max_seq, 3u);
  ASSERT_TRUE(store_->find_client_msg(ch, "alice", "second").ok());
  {
    MemoryOnlyReads reads;
    auto again = store_->channel_tip(ch);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->max_seq, 3u);
    auto found = store_->find_client_msg(ch, "alice", "second");
    ASSERT_TRUE(found.ok());
    ASSERT_TRUE(found->has_value());
    EXPECT_EQ((*found)->message_seq, 2u);
    EXPECT_FALSE(reads.missed());
  }
}

TEST_F(MemoryOnlyReadsTest, NewClientMsgNoIsAnsweredFromMemory) {
  const ChannelKey ch{"g1", kChannelGroup};
  store_on_disk(ch);
  MemoryOnlyReads reads;
  auto found = store_->find_client_msg(ch, "alice", "never-sent-before");
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_FALSE(found->has_value());
  EXPECT_FALSE(reads.missed());
}

TEST_F(MemoryOnlyReadsTest, RecentWritesAreInMemory) {
  const ChannelKey ch{"g2", kChannelGroup};
  put({msg(ch, 1, "a"), msg(ch, 2, "b")});
  MemoryOnlyReads reads;
  auto tip = store_->channel_tip(ch);
  ASSERT_TRUE(tip.ok());
  EXPECT_EQ(tip->max_seq, 2u);
  EXPECT_FALSE(reads.missed());
}

}  // namespace
}  // namespace jindou::store
