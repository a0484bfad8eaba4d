#include "engine/message_reader.h"

#include "engine/engine_test_support.h"

namespace jindou::engine {
namespace {

class MessageReaderTest : public EngineTest {
 protected:
  void fill(int n) {
    for (int i = 1; i <= n; ++i) {
      auto r = send(http(i % 2 ? "alice" : "bob", "g1", kChannelGroup, "msg " + std::to_string(i),
                         "c" + std::to_string(i)));
      ASSERT_TRUE(r.status.ok());
      ids_.push_back(r.message_id);
    }
  }
  static std::vector<uint64_t> seqs(const std::vector<Message>& ms) {
    std::vector<uint64_t> out;
    for (const auto& m : ms) out.push_back(m.message_seq);
    return out;
  }
  MessageReader& reader() { return engine_->reader(); }
  const ChannelKey g1_{"g1", kChannelGroup};
  std::vector<int64_t> ids_;
};

// /messages answers at most kMaxReadBytes of payload; asking for more is refused (413).
TEST_F(MessageReaderTest, QueryOverTheReadBudgetIsRefused) {
  const std::string mib(1u << 20, 'x');
  constexpr uint64_t kFit = MessageReader::kMaxReadBytes >> 20;
  std::vector<uint64_t> wanted;
  for (uint64_t seq = 1; seq <= kFit + 2; ++seq) {
    ASSERT_TRUE(send(http("alice", "g1", kChannelGroup, mib)).status.ok());
    wanted.push_back(seq);
  }
  auto too_many = reader().query(g1_, wanted, {}, {});
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.error().status, 413);
  wanted.resize(kFit);
  auto fitting = reader().query(g1_, wanted, {}, {});
  ASSERT_TRUE(fitting.ok()) << fitting.error().message;
  EXPECT_EQ(fitting->size(), kFit);
}

// Search pages end at the read budget: older pages keep the newest, newer pages the messages
// closest to the offset (so paging on from the page's edge misses nothing), whole payloads.
TEST_F(MessageReaderTest, SearchPagesEndAtTheReadBudget) {
  const std::string mib(1u << 20, 'x');
  constexpr uint64_t kFit = MessageReader::kMaxReadBytes >> 20;
  std::vector<int64_t> ids;
  for (uint64_t seq = 1; seq <= kFit + 8; ++seq) {
    auto r = send(http("alice", "g1", kChannelGroup, mib));
    ASSERT_TRUE(r.status.ok());
    ids.push_back(r.message_id);
  }
  auto expect_page = [&](const SearchPage& page, uint64_t from, uint64_t to) {
    std::vector<uint64_t> expected;
    for (uint64_t seq = from; seq >= to; --seq) expected.push_back(seq);
    EXPECT_EQ(seqs(page.messages), expected);
    for (const auto& m : page.messages) EXPECT_EQ(m.payload.size(), mib.size()) << m.message_seq;
    EXPECT_EQ(page.total, kFit + 8);
  };
  SearchQuery older;
  older.channel = g1_;
  older.limit = 1000;
  auto p = reader().search(older);
  ASSERT_TRUE(p.ok());
  expect_page(*p, kFit + 8, 9);

  SearchQuery newer = older;
  newer.newer = true;
  newer.offset_message_id = ids[0];
  p = reader().search(newer);
  ASSERT_TRUE(p.ok());
  expect_page(*p, kFit + 1, 2);
}

TEST_F(MessageReaderTest, SyncRanges) {
  fill(10);
  auto newest = reader().sync(g1_, 0, 0, 3, 0);
  EXPECT_EQ(seqs(newest->messages), (std::vector<uint64_t>{8, 9, 10}));
  EXPECT_TRUE(newest->more);
  auto up = reader().sync(g1_, 4, 0, 3, 0);
  EXPECT_EQ(seqs(up->messages), (std::vector<uint64_t>{4, 5, 6}));
  EXPECT_TRUE(up->more);
  auto up_end = reader().sync(g1_, 4, 7, 5, 0);
  EXPECT_EQ(seqs(up_end->messages), (std::vector<uint64_t>{4, 5, 6}));
  EXPECT_FALSE(up_end->more);
  auto down = reader().sync(g1_, 0, 8, 3, 1);
  EXPECT_EQ(seqs(down->messages), (std::vector<uint64_t>{5, 6, 7}));
  EXPECT_TRUE(down->more);
  auto down_start = reader().sync(g1_, 6, 8, 5, 1);
  EXPECT_EQ(seqs(down_start->messages), (std::vector<uint64_t>{6, 7}));
  EXPECT_FALSE(down_start->more);
}

// start inclusive, end exclusive: end <= start is an empty range, not an error, in either
// direction (a client computing its bounds from what it holds sends these at the edges).
TEST_F(MessageReaderTest, EmptyRangesAnswerNoMessages) {
  fill(10);
  for (int pull_mode : {0, 1}) {
    for (auto [start, end] : {std::pair<uint64_t, uint64_t>{5, 5}, {6, 5}, {10, 1}}) {
      auto page = reader().sync(g1_, start, end, 50, pull_mode);
      ASSERT_TRUE(page.ok()) << start << ".." << end;
      EXPECT_TRUE(page->messages.empty()) << start << ".." << end << " mode " << pull_mode;
      EXPECT_FALSE(page->more) << start << ".." << end << " mode " << pull_mode;
    }
  }
}

TEST_F(MessageReaderTest, PagingUpwardFromOneSeesEveryMessageOnce) {
  fill(23);
  std::vector<uint64_t> seen;
  uint64_t last = 0;
  for (int guard = 0; guard < 100; ++guard) {
    auto page = reader().sync(g1_, last + 1, 0, 5, 0);
    ASSERT_TRUE(page.ok());
    for (const auto& m : page->messages) seen.push_back(m.message_seq);
    if (!page->messages.empty()) last = page->messages.back().message_seq;
    if (!page->more) break;
  }
  ASSERT_EQ(seen.size(), 23u);
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], i + 1);
}

TEST_F(MessageReaderTest, QueryIsAUnionNewestFirst) {
  fill(6);
  auto r = reader().query(g1_, {1, 3, 99}, {ids_[2], ids_[4]}, {"c6", "c1", "nope"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(seqs(*r), (std::vector<uint64_t>{6, 5, 3, 1}));
  // An id from another channel is not part of this channel.
  auto other = send(http("alice", "g2", kChannelGroup));
  EXPECT_TRUE(reader().query(g1_, {}, {other.message_id}, {})->empty());
}

TEST_F(MessageReaderTest, FindByIdOrClientMsgNo) {
  fill(3);
  auto by_id = reader().find(g1_, ids_[1], "");
  ASSERT_TRUE(by_id.ok() && by_id->has_value());
  EXPECT_EQ((*by_id)->message_seq, 2u);
  auto by_cmn = reader().find(g1_, std::nullopt, "c3");
  ASSERT_TRUE(by_cmn->has_value());
  EXPECT_EQ((*by_cmn)->payload, "msg 3");
  EXPECT_FALSE(reader().find(g1_, std::nullopt, "zzz")->has_value());
  EXPECT_FALSE(reader().find({"g2", kChannelGroup}, ids_[1], "")->has_value());
}

TEST_F(MessageReaderTest, SearchFiltersPagesAndCounts) {
  fill(10);
  SearchQuery q;
  q.from_uid = "alice";  // seqs 1,3,5,7,9
  q.limit = 2;
  auto p1 = reader().search(q);
  ASSERT_TRUE(p1.ok());
  EXPECT_EQ(p1->total, 5u);
  EXPECT_EQ(seqs(p1->messages), (std::vector<uint64_t>{9, 7}));
  q.offset_message_id = p1->messages.back().message_id;
  auto p2 = reader().search(q);
  EXPECT_EQ(seqs(p2->messages), (std::vector<uint64_t>{5, 3}));
  q.newer = true;
  q.offset_message_id = ids_[0];  // newer than seq 1: the two closest are 5, 3
  auto newer = reader().search(q);
  EXPECT_EQ(seqs(newer->messages), (std::vector<uint64_t>{5, 3}));

  SearchQuery text;
  text.payload_contains = "msg 1";  // "msg 1" and "msg 10"
  text.channel = g1_;
  auto t = reader().search(text);
  EXPECT_EQ(t->total, 2u);
  EXPECT_EQ(seqs(t->messages), (std::vector<uint64_t>{10, 1}));

  SearchQuery by_seq;
  by_seq.channel = g1_;
  by_seq.offset_message_seq = 4;
  by_seq.limit = 10;
  EXPECT_EQ(seqs(reader().search(by_seq)->messages), (std::vector<uint64_t>{3, 2, 1}));

  SearchQuery one;
  one.message_id = ids_[4];
  EXPECT_EQ(seqs(reader().search(one)->messages), (std::vector<uint64_t>{5}));
}

}  // namespace
}  // namespace jindou::engine
