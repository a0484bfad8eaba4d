// Shards with a read pool: a send whose channel state or client_msg_no is only on disk waits
// for a read thread instead of reading on the shard, and is then decided exactly as before —
// same seqs, same duplicate answers, same order.
#include <future>

#include "engine/engine_test_support.h"
#include "runtime/read_pool.h"

namespace jindou::engine {
namespace {

class DiskReadsTest : public EngineTest {
 protected:
  void TearDown() override {
    pool_.stop();  // reads in flight finish while the store and the shards still exist
    EngineTest::TearDown();
  }
  // Restarts with everything stored so far moved to table files: nothing of it in memory.
  void restart_cold() {
    stop();
    {
      store::RocksStoreOptions o;
      o.path = dir_.string();
      auto s = store::RocksStore::open(o);
      ASSERT_TRUE(s.ok());
      ASSERT_TRUE((*s)->compact().ok());
    }
    start();
    engine_->set_disk_reads(&pool_);
  }
  std::future<SendResult> send_async(SendRequest r) {
    auto p = std::make_shared<std::promise<SendResult>>();
    auto f = p->get_future();
    engine_->send(std::move(r), [p](SendResult res) { p->set_value(std::move(res)); });
    return f;
  }

  runtime::ReadPool pool_{1, "test-read"};
};

TEST_F(DiskReadsTest, ColdChannelSendsWaitForReadsAndKeepTheirOrder) {
  const ChannelKey g{"cold", kChannelGroup};
  ASSERT_TRUE(add_members(g, MemberRole::kSubscriber, {"alice", "bob"}).ok());
  for (int i = 1; i <= 3; ++i) {
    auto r = send(http("alice", "cold", kChannelGroup, "m", "c" + std::to_string(i)));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.message_seq, static_cast<uint64_t>(i));
  }
  sink_.taken(3);
  restart_cold();

  // Sent one after the other without waiting: a retry of c2, then three new messages.
  std::vector<std::future<SendResult>> answers;
  answers.push_back(send_async(http("alice", "cold", kChannelGroup, "m", "c2")));
  for (int i = 4; i <= 6; ++i) {
    answers.push_back(send_async(http("bob", "cold", kChannelGroup, "m", "c" + std::to_string(i))));
  }
  auto retry = answers[0].get();
  ASSERT_TRUE(retry.status.ok()) << retry.status.error().message;
  EXPECT_TRUE(retry.duplicate);
  EXPECT_EQ(retry.message_seq, 2u);
  for (size_t i = 1; i < answers.size(); ++i) {
    auto r = answers[i].get();
    ASSERT_TRUE(r.status.ok()) << r.status.error().message;
    EXPECT_FALSE(r.duplicate);
    EXPECT_EQ(r.message_seq, 3 + i) << "seqs follow the stored ones, in the order sent";
  }
  EXPECT_GE(engine_->disk_read_rounds(), 1u) << "the cold channel's state was read on the pool";
  // The subscribers were read too: both get the three new messages.
  auto delivered = sink_.taken(3);
  ASSERT_EQ(delivered.size(), 3u);
  for (const auto& d : delivered) EXPECT_EQ(d.recipients->size(), 2u);
}

TEST_F(DiskReadsTest, ColdChannelRefusalsAreTheSame) {
  const ChannelKey g{"banned-room", kChannelGroup};
  ChannelInfo info;
  info.ban = true;
  ASSERT_TRUE(change(g, info, std::nullopt).ok());
  restart_cold();
  auto r = send(http("alice", "banned-room", kChannelGroup));
  ASSERT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.error().reason, ReasonCode::kBan);
}

TEST_F(DiskReadsTest, MemberChangesOfColdChannelsReadTheStoredList) {
  const ChannelKey g{"club", kChannelGroup};
  ASSERT_TRUE(add_members(g, MemberRole::kSubscriber, {"alice"}).ok());
  restart_cold();
  // Replacing the list reads the stored one (to drop it member by member).
  ASSERT_TRUE(change(g, std::nullopt,
                     MemberChange{MemberRole::kSubscriber, MemberChange::Mode::kSet, {"carol"}})
                  .ok());
  auto members = engine_->members(g, MemberRole::kSubscriber);
  ASSERT_TRUE(members.ok());
  EXPECT_EQ(*members, std::vector<std::string>{"carol"});
  auto r = send(http("carol", "club", kChannelGroup));
  ASSERT_TRUE(r.status.ok());
  auto delivered = sink_.taken(1);
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_EQ(*delivered[0].recipients, std::vector<std::string>{"carol"});
}

TEST_F(DiskReadsTest, HotChannelsNeedNoReadThread) {
  engine_->set_disk_reads(&pool_);
  const ChannelKey g{"hot", kChannelGroup};
  ASSERT_TRUE(add_members(g, MemberRole::kSubscriber, {"alice"}).ok());
  ASSERT_TRUE(send(http("alice", "hot", kChannelGroup, "m", "h1")).status.ok());
  const uint64_t before = engine_->disk_read_rounds();
  for (int i = 2; i <= 20; ++i) {
    ASSERT_TRUE(
        send(http("alice", "hot", kChannelGroup, "m", "h" + std::to_string(i))).status.ok());
  }
  EXPECT_EQ(engine_->disk_read_rounds(), before)
      << "a channel in memory with new client_msg_nos is decided on the shard";
}

}  // namespace
}  // namespace jindou::engine
