// The engine when its store fails (through FaultInjectingStore, on a real RocksStore): a failed
// commit or sync refuses every later write and answers every caller, nothing after it becomes
// durable, seqs continue gap-free from what is durable after a restart, a failed read answers
// one request without wedging its channel, and a batch that partly failed is retried exactly.
#include <future>
#include <map>
#include <set>

#include "engine/engine_test_support.h"

namespace jindou::engine {
namespace {

using Read = store::FaultInjectingStore::Read;

bool Refused(const Status& s) {
  return !s.ok() && s.error().status == 503;
}

class FailureTest : public FaultyEngineTest {
 protected:
  std::future<SendResult> send_async(SendRequest r) {
    auto p = std::make_shared<std::promise<SendResult>>();
    auto f = p->get_future();
    engine_->send(std::move(r), [p](SendResult res) { p->set_value(std::move(res)); });
    return f;
  }
  std::vector<SendResult> send_batch(std::vector<SendRequest> requests) {
    std::promise<std::vector<SendResult>> p;
    engine_->send_batch(std::move(requests),
                        [&p](std::vector<SendResult> r) { p.set_value(std::move(r)); });
    return p.get_future().get();
  }
  SendResult open_stream(const std::string& channel) {
    std::promise<SendResult> p;
    engine_->open_stream(http("alice", channel, kChannelGroup),
                         [&p](SendResult r) { p.set_value(std::move(r)); });
    return p.get_future().get();
  }
  StreamResult chunk(const std::string& stream_no) {
    ChunkRequest c;
    c.stream_no = stream_no;
    c.payload = "part";
    std::promise<StreamResult> p;
    engine_->append_chunk(std::move(c), [&p](StreamResult r) { p.set_value(std::move(r)); });
    return p.get_future().get();
  }
  StreamResult close_stream(const std::string& stream_no) {
    std::promise<StreamResult> p;
    engine_->close_stream(stream_no, store::StreamEnd::kNormal,
                          [&p](StreamResult r) { p.set_value(std::move(r)); });
    return p.get_future().get();
  }
  Status wait_status(const std::function<void(StatusCallback)>& call) {
    std::promise<Status> p;
    call([&p](Status s) { p.set_value(std::move(s)); });
    return p.get_future().get();
  }
  // The seqs stored in `channel`, read from the store the engine runs on.
  std::vector<uint64_t> stored_seqs(const std::string& channel) {
    auto page = faults_->scan(ChannelKey{channel, kChannelGroup}, 1, 0, false, 1000);
    EXPECT_TRUE(page.ok());
    std::vector<uint64_t> seqs;
    if (page.ok()) {
      for (const auto& m : page->messages) seqs.push_back(m.message_seq);
    }
    return seqs;
  }
  static std::vector<uint64_t> one_to(uint64_t n) {
    std::vector<uint64_t> seqs;
    for (uint64_t s = 1; s <= n; ++s) seqs.push_back(s);
    return seqs;
  }
  // Restarts the engine on the same directory, without the injected faults.
  void restart() {
    stop();
    start();
  }
};

TEST_F(FailureTest, AFailedCommitRefusesEveryLaterWrite) {
  ASSERT_TRUE(add_members({"g", kChannelGroup}, MemberRole::kSubscriber, {"alice", "bob"}).ok());
  const SendResult opened = open_stream("g");
  ASSERT_TRUE(opened.status.ok());
  ASSERT_TRUE(send(http("alice", "g", kChannelGroup)).status.ok());
  EXPECT_TRUE(engine_->healthy());

  faults_->fail_commit();
  EXPECT_TRUE(Refused(send(http("alice", "g", kChannelGroup)).status));
  EXPECT_FALSE(engine_->healthy());

  // Every kind of write after it, on every channel and shard, is answered with the error.
  EXPECT_TRUE(Refused(send(http("alice", "g", kChannelGroup)).status));
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(Refused(send(http("bob", "other-" + std::to_string(i), kChannelGroup)).status));
  }
  EXPECT_TRUE(Refused(send(http("alice", "bob", kChannelPerson)).status));
  EXPECT_TRUE(Refused(add_members({"g", kChannelGroup}, MemberRole::kSubscriber, {"carol"})));
  EXPECT_TRUE(Refused(change({"g", kChannelGroup}, ChannelInfo{.ban = true}, std::nullopt)));
  EXPECT_TRUE(Refused(wait_status([&](StatusCallback done) {
    engine_->disband_channel({"g", kChannelGroup}, std::move(done));
  })));
  EXPECT_TRUE(Refused(wait_status([&](StatusCallback done) {
    engine_->set_user_token("alice", 0, store::UserToken{"t", 1}, std::move(done));
  })));
  EXPECT_TRUE(Refused(wait_status([&](StatusCallback done) {
    engine_->clear_unread("alice", "g", kChannelGroup, 0, std::move(done));
  })));
  EXPECT_TRUE(Refused(open_stream("g").status));
  EXPECT_TRUE(Refused(chunk(opened.stream_no).status));
  EXPECT_TRUE(Refused(close_stream(opened.stream_no).status));
  for (const auto& r :
       send_batch({http("alice", "g", kChannelGroup), http("bob", "other-0", kChannelGroup)})) {
    EXPECT_TRUE(Refused(r.status));
  }
  EXPECT_FALSE(engine_->healthy());
}

TEST_F(FailureTest, NothingAfterAFailedCommitBecomesDurable) {
  for (int i = 1; i <= 3; ++i) {
    const SendResult r = send(http("alice", "g", kChannelGroup, "m", "c" + std::to_string(i)));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.message_seq, static_cast<uint64_t>(i));
  }
  faults_->fail_commit();
  EXPECT_TRUE(Refused(send(http("alice", "g", kChannelGroup, "m", "c4")).status));
  EXPECT_TRUE(Refused(send(http("alice", "g", kChannelGroup, "m", "c5")).status));
  EXPECT_TRUE(Refused(send(http("alice", "g2", kChannelGroup, "m", "d1")).status));
  stop();

  {
    store::RocksStoreOptions o;
    o.path = dir_.string();
    auto reopened = store::RocksStore::open(o);
    ASSERT_TRUE(reopened.ok());
    store::RocksStore& s = **reopened;
    EXPECT_EQ(*s.max_seq({"g", kChannelGroup}), 3u);
    EXPECT_FALSE(s.message({"g", kChannelGroup}, 4)->has_value());
    EXPECT_FALSE(s.find_client_msg({"g", kChannelGroup}, "alice", "c4")->has_value());
    EXPECT_FALSE(s.find_client_msg({"g", kChannelGroup}, "alice", "c5")->has_value());
    EXPECT_EQ(*s.max_seq({"g2", kChannelGroup}), 0u);
  }

  // After the restart seqs continue from what is durable, without a gap.
  start();
  const SendResult retried = send(http("alice", "g", kChannelGroup, "m", "c4"));
  ASSERT_TRUE(retried.status.ok());
  EXPECT_EQ(retried.message_seq, 4u);
  EXPECT_FALSE(retried.duplicate);
  EXPECT_EQ(send(http("alice", "g", kChannelGroup, "m", "c5")).message_seq, 5u);
  EXPECT_EQ(send(http("alice", "g2", kChannelGroup, "m", "d1")).message_seq, 1u);
  const SendResult first_again = send(http("alice", "g", kChannelGroup, "m", "c1"));
  EXPECT_TRUE(first_again.duplicate);
  EXPECT_EQ(first_again.message_seq, 1u);
  EXPECT_EQ(stored_seqs("g"), one_to(5));
}

TEST_F(FailureTest, AFailedSyncAcknowledgesNothingAfterIt) {
  std::map<uint64_t, int64_t> acknowledged;  // seq -> message_id
  for (int i = 1; i <= 2; ++i) {
    const SendResult r = send(http("alice", "g", kChannelGroup, "m", "c" + std::to_string(i)));
    ASSERT_TRUE(r.status.ok());
    acknowledged[r.message_seq] = r.message_id;
  }
  faults_->fail_next_sync();
  EXPECT_TRUE(Refused(send(http("alice", "g", kChannelGroup, "m", "c3")).status));
  EXPECT_FALSE(engine_->healthy());
  EXPECT_TRUE(Refused(send(http("alice", "g", kChannelGroup, "m", "c4")).status));
  // Reads stay on what was durable before the failed sync.
  EXPECT_EQ(stored_seqs("g"), one_to(2));

  // A failed sync leaves unknown whether the write reached the disk: after a restart the
  // channel holds every acknowledged message and, at most, the one whose sync failed, without
  // a gap, and the next send follows it.
  restart();
  const std::vector<uint64_t> seqs = stored_seqs("g");
  ASSERT_GE(seqs.size(), 2u);
  ASSERT_LE(seqs.size(), 3u);
  EXPECT_EQ(seqs, one_to(seqs.size()));
  for (const auto& [seq, id] : acknowledged) {
    auto m = faults_->message({"g", kChannelGroup}, seq);
    ASSERT_TRUE(m.ok() && m->has_value());
    EXPECT_EQ((*m)->message_id, id);
  }
  const SendResult retried = send(http("alice", "g", kChannelGroup, "m", "c3"));
  ASSERT_TRUE(retried.status.ok());
  EXPECT_EQ(retried.message_seq, 3u);  // stored by this retry, or found from before
  EXPECT_EQ(send(http("alice", "g", kChannelGroup, "m", "c4")).message_seq, 4u);
  EXPECT_EQ(stored_seqs("g"), one_to(4));
}

// Sends queued behind a commit that fails, and duplicates of its idempotency key waiting for it,
// all get an answer: the error, never silence.
TEST_F(FailureTest, EveryCallerIsAnsweredWhenACommitFails) {
  faults_->hold_writes();
  faults_->fail_commit();
  std::vector<std::future<SendResult>> first;
  first.push_back(send_async(http("alice", "g", kChannelGroup, "m", "key")));
  ASSERT_TRUE(Eventually([&] { return faults_->commits() >= 1; }));  // its commit is held

  std::vector<std::future<SendResult>> duplicates;
  for (int i = 0; i < 3; ++i) {
    duplicates.push_back(send_async(http("alice", "g", kChannelGroup, "m", "key")));
  }
  std::vector<std::future<SendResult>> behind;
  behind.push_back(send_async(http("alice", "g", kChannelGroup, "m", "next")));
  ASSERT_TRUE(Eventually([&] { return faults_->commits() >= 2; }));
  for (int i = 0; i < 6; ++i) {
    behind.push_back(send_async(http("bob", "h" + std::to_string(i), kChannelGroup)));
  }
  auto member_change = std::make_shared<std::promise<Status>>();
  engine_->change_channel({"h0", kChannelGroup}, std::nullopt,
                          MemberChange{MemberRole::kSubscriber, MemberChange::Mode::kAdd, {"x"}},
                          [member_change](Status s) { member_change->set_value(std::move(s)); });
  ASSERT_TRUE(Eventually([&] { return faults_->commits() >= 3; }));
  faults_->release_writes();

  auto answered = [](std::future<SendResult>& f) {
    return f.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  };
  for (auto& f : first) {
    ASSERT_TRUE(answered(f));
    EXPECT_TRUE(Refused(f.get().status));
  }
  for (auto& f : duplicates) {
    ASSERT_TRUE(answered(f));
    const SendResult r = f.get();
    EXPECT_TRUE(Refused(r.status));
    EXPECT_TRUE(r.duplicate);
  }
  for (auto& f : behind) {
    ASSERT_TRUE(answered(f));
    EXPECT_TRUE(Refused(f.get().status));
  }
  auto change_done = member_change->get_future();
  ASSERT_EQ(change_done.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_TRUE(Refused(change_done.get()));

  restart();
  EXPECT_TRUE(stored_seqs("g").empty());
  EXPECT_TRUE(stored_seqs("h0").empty());
}

// A read that fails while a send is checked answers that send with the error; the channel, its
// seqs and the shard carry on as if the send had not been made.
TEST_F(FailureTest, AFailedReadAnswersOneSendAndWedgesNothing) {
  const std::vector<Read> reads = {Read::kChannelInfo, Read::kMembers, Read::kFindClientMsg,
                                   Read::kChannelTip};
  for (size_t i = 0; i < reads.size(); ++i) {
    const std::string channel = "r" + std::to_string(i);
    SCOPED_TRACE(channel);
    faults_->fail_read(reads[i]);
    EXPECT_TRUE(Refused(send(http("alice", channel, kChannelGroup, "m", "k1")).status));
    const SendResult retried = send(http("alice", channel, kChannelGroup, "m", "k1"));
    ASSERT_TRUE(retried.status.ok()) << retried.status.error().message;
    EXPECT_EQ(retried.message_seq, 1u);
    EXPECT_FALSE(retried.duplicate);
    EXPECT_EQ(send(http("alice", channel, kChannelGroup, "m", "k2")).message_seq, 2u);
    EXPECT_EQ(stored_seqs(channel), one_to(2));
  }
  EXPECT_TRUE(engine_->healthy());
}

// A metadata change whose read fails is answered with the error; the shard's metadata queue
// goes on with the next change.
TEST_F(FailureTest, AFailedReadAnswersOneChannelChangeAndWedgesNothing) {
  const ChannelKey g{"g", kChannelGroup};
  faults_->fail_read(Read::kMembers);
  EXPECT_TRUE(Refused(
      change(g, std::nullopt,
             MemberChange{MemberRole::kSubscriber, MemberChange::Mode::kSet, {"alice", "bob"}})));
  ASSERT_TRUE(add_members(g, MemberRole::kSubscriber, {"alice", "bob"}).ok());
  EXPECT_EQ(*faults_->members(g, MemberRole::kSubscriber),
            (std::vector<std::string>{"alice", "bob"}));
  ASSERT_TRUE(send(http("alice", "g", kChannelGroup)).status.ok());
  EXPECT_EQ(sink_.taken(1).at(0).recipients->size(), 2u);
}

// A batch that partly failed, retried whole: the items stored the first time answer with their
// original ids and seqs, the others are stored once, and every channel's seqs are gap-free.
TEST_F(FailureTest, ABatchThatPartlyFailedIsRetriedExactly) {
  auto batch = [] {
    std::vector<SendRequest> items;
    for (int i = 0; i < 8; ++i) {
      items.push_back(http("alice", i % 2 == 0 ? "b1" : "b2", kChannelGroup,
                           "m" + std::to_string(i), "batch-" + std::to_string(i)));
    }
    return items;
  };
  // The first of the two channels to load its seq fails: one item is refused, the rest stored.
  faults_->fail_read(Read::kChannelTip);
  const std::vector<SendResult> first = send_batch(batch());
  ASSERT_EQ(first.size(), 8u);
  size_t refused = 0;
  for (const auto& r : first) refused += r.status.ok() ? 0 : 1;
  EXPECT_EQ(refused, 1u);

  const std::vector<SendResult> retry = send_batch(batch());
  ASSERT_EQ(retry.size(), 8u);
  for (size_t i = 0; i < retry.size(); ++i) {
    SCOPED_TRACE(i);
    ASSERT_TRUE(retry[i].status.ok());
    if (first[i].status.ok()) {
      EXPECT_TRUE(retry[i].duplicate);
      EXPECT_EQ(retry[i].message_id, first[i].message_id);
      EXPECT_EQ(retry[i].message_seq, first[i].message_seq);
    } else {
      EXPECT_FALSE(retry[i].duplicate);
    }
  }
  for (const std::string channel : {"b1", "b2"}) {
    EXPECT_EQ(stored_seqs(channel), one_to(4)) << channel;
    auto page = faults_->scan(ChannelKey{channel, kChannelGroup}, 1, 0, false, 1000);
    ASSERT_TRUE(page.ok());
    std::set<std::string> client_msg_nos;
    for (const auto& m : page->messages) client_msg_nos.insert(m.client_msg_no);
    EXPECT_EQ(client_msg_nos.size(), 4u) << "a client_msg_no stored twice in " << channel;
  }
}

}  // namespace
}  // namespace jindou::engine
