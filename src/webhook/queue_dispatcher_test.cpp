#include "webhook/queue_dispatcher.h"

#include <boost/json.hpp>

#include "webhook/dead_letters.h"
#include "webhook/webhook_test_support.h"

namespace jindou::webhook {
namespace {

namespace json = boost::json;

class QueueDispatcherTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    options_.http_addr = "http://unused";
    options_.push_interval = std::chrono::milliseconds(20);
    options_.count_per_push = 3;
    options_.retry_max_count = 3;
    options_.retry_backoff = std::chrono::milliseconds(5);
    options_.retry_backoff_cap = std::chrono::milliseconds(20);
  }
  // Starts a dispatcher for msg.notify with a transport answering `script` first.
  void start(std::deque<Status> script = {}) {
    reader_ = make_stored_messages_reader(*store_, options_.count_per_push);
    dead_ = std::make_unique<DeadLetters>(*store_, options_.max_dead_letters);
    ASSERT_TRUE(dead_->load().ok());
    auto t = std::make_unique<ScriptedTransport>();
    t->script = std::move(script);
    transport_ = t.get();
    dispatcher_ =
        std::make_unique<QueueDispatcher>(*reader_, std::move(t), *store_, options_, *dead_);
    dispatcher_->start();
  }
  void stop() {
    if (dispatcher_) dispatcher_->stop();
    dispatcher_.reset();
  }
  void TearDown() override {
    stop();
    StoreTest::TearDown();
  }
  // The seqs of every accepted call, in order.
  std::vector<int64_t> accepted_seqs() {
    std::lock_guard lock(transport_->mu);
    std::vector<int64_t> out;
    for (const auto& c : transport_->accepted) {
      const json::value parsed = json::parse(c.body);
      for (const auto& m : parsed.as_array()) {
        out.push_back(m.at("message_seq").to_number<int64_t>());
      }
    }
    return out;
  }

  WebhookOptions options_;
  std::unique_ptr<QueueReader> reader_;
  std::unique_ptr<DeadLetters> dead_;
  ScriptedTransport* transport_ = nullptr;
  std::unique_ptr<QueueDispatcher> dispatcher_;
};

TEST_F(QueueDispatcherTest, DeliversInOrderInBatchesAndTrimsTheQueue) {
  store_messages("g", 1, 4);
  start();
  store_messages("g", 5, 7);
  dispatcher_->appended(3);
  ASSERT_TRUE(transport_->wait_accepted(3));
  EXPECT_EQ(accepted_seqs(), (std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7}));
  for (const auto& c : transport_->accepted) EXPECT_EQ(c.event, "msg.notify");
  stop();
  EXPECT_TRUE(store_->events(engine::kQueueStoredMessages, 0, 10)->empty());
}

TEST_F(QueueDispatcherTest, RetriesUntilTheReceiverAccepts) {
  store_messages("g", 1, 2);
  start({Error::unavailable("down"), Error::unavailable("down")});
  ASSERT_TRUE(transport_->wait_accepted(1));
  EXPECT_EQ(accepted_seqs(), (std::vector<int64_t>{1, 2}));
  std::lock_guard lock(transport_->mu);
  EXPECT_EQ(transport_->calls.size(), 3u);
}

TEST_F(QueueDispatcherTest, ExhaustedRetriesBecomeADeadLetterAndTheQueueMovesOn) {
  store_messages("g", 1, 3);
  store_messages("g", 4, 4);
  // The first call fails every attempt; the second goes through.
  start({Error::unavailable("500"), Error::unavailable("500"), Error::unavailable("500")});
  ASSERT_TRUE(transport_->wait_accepted(1));
  EXPECT_EQ(accepted_seqs(), (std::vector<int64_t>{4}));
  stop();
  auto dead = dead_->list(0, 10);
  ASSERT_TRUE(dead.ok());
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ((*dead)[0].attempts, 3u);
  EXPECT_EQ((*dead)[0].last_error, "500");
  EXPECT_EQ(reader_->events_in((*dead)[0].entry), 3u);
}

TEST_F(QueueDispatcherTest, ARestartResumesFromThePersistedCursor) {
  store_messages("g", 1, 3);
  start();
  ASSERT_TRUE(transport_->wait_accepted(1));
  stop();
  store_messages("g", 4, 5);
  open();  // reopen the store: only the cursor remembers what was delivered
  start();
  ASSERT_TRUE(transport_->wait_accepted(1));
  EXPECT_EQ(accepted_seqs(), (std::vector<int64_t>{4, 5}));
}

}  // namespace
}  // namespace jindou::webhook
