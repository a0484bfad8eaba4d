#include "gateway/recv_resend_window.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace jindou::gateway {
namespace {

using std::chrono::seconds;

std::shared_ptr<const Message> message(int64_t id, size_t payload_bytes = 10) {
  auto m = std::make_shared<Message>();
  m->message_id = id;
  m->payload = std::string(payload_bytes, 'x');
  return m;
}

std::vector<int64_t> ids(const std::vector<RecvResendWindow::Entry>& entries) {
  std::vector<int64_t> out;
  for (const auto& e : entries) out.push_back(e.message_id);
  return out;
}

RecvResendOptions options(size_t count = 8, size_t bytes = 1000, int retries = 2) {
  return RecvResendOptions{count, bytes, seconds(60), retries};
}

// Keeps message `id` as a connection does: written, then kept.
void write_and_keep(RecvResendWindow& w, int64_t id, Clock::time_point now, size_t bytes = 10) {
  w.count_written();
  w.keep(message(id, bytes), now);
}

TEST(RecvResendWindow, ResentAfterTheIntervalNotBefore) {
  RecvResendWindow w(options());
  const Clock::time_point t0{};
  write_and_keep(w, 1, t0);
  write_and_keep(w, 2, t0 + seconds(10));
  EXPECT_TRUE(w.take_due(t0 + seconds(59)).empty());
  auto due = w.take_due(t0 + seconds(60));
  ASSERT_EQ(ids(due), (std::vector<int64_t>{1}));
  EXPECT_EQ(due[0].attempts, 1);
  EXPECT_EQ(due[0].next_at, t0 + seconds(120));
  EXPECT_EQ(w.size(), 1u) << "taken out until written again";
  w.requeue(std::move(due[0]));
  EXPECT_EQ(w.size(), 2u);
  EXPECT_EQ(ids(w.take_due(t0 + seconds(70))), (std::vector<int64_t>{2}));
}

TEST(RecvResendWindow, NoneAfterTheMaximumAttempts) {
  RecvResendWindow w(options(8, 1000, 2));
  Clock::time_point now{};
  write_and_keep(w, 7, now);
  for (int attempt = 1; attempt <= 2; ++attempt) {
    now += seconds(60);
    auto due = w.take_due(now);
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].attempts, attempt);
    w.requeue(std::move(due[0]));
  }
  now += seconds(60);
  EXPECT_TRUE(w.take_due(now).empty());
  EXPECT_EQ(w.size(), 0u);
  EXPECT_EQ(w.payload_bytes(), 0u);
}

TEST(RecvResendWindow, AcknowledgedEntriesAreNotResent) {
  RecvResendWindow w(options());
  const Clock::time_point t0{};
  write_and_keep(w, 1, t0);
  write_and_keep(w, 2, t0);
  write_and_keep(w, 3, t0);
  EXPECT_TRUE(w.acknowledge(2));
  EXPECT_FALSE(w.acknowledge(2)) << "already acknowledged";
  EXPECT_EQ(w.size(), 2u);
  EXPECT_EQ(w.payload_bytes(), 20u);
  EXPECT_EQ(ids(w.take_due(t0 + seconds(60))), (std::vector<int64_t>{1, 3}));
}

TEST(RecvResendWindow, OldestDroppedOverTheCountBudget) {
  RecvResendWindow w(options(3));
  const Clock::time_point t0{};
  for (int64_t id = 1; id <= 5; ++id) write_and_keep(w, id, t0);
  EXPECT_EQ(w.size(), 3u);
  EXPECT_EQ(ids(w.take_due(t0 + seconds(60))), (std::vector<int64_t>{3, 4, 5}));
}

TEST(RecvResendWindow, OldestDroppedOverTheByteBudget) {
  RecvResendWindow w(options(100, 250));
  const Clock::time_point t0{};
  write_and_keep(w, 1, t0, 100);
  write_and_keep(w, 2, t0, 100);
  write_and_keep(w, 3, t0, 100);  // 300 > 250: the first goes
  EXPECT_EQ(w.payload_bytes(), 200u);
  write_and_keep(w, 4, t0, 500);  // larger than the whole budget: kept alone
  EXPECT_EQ(w.size(), 1u);
  EXPECT_EQ(ids(w.take_due(t0 + seconds(60))), (std::vector<int64_t>{4}));
}

TEST(RecvResendWindow, AcksAreLookedUpOnlyWithinTheAllowance) {
  RecvResendWindow w(options(2));
  const Clock::time_point t0{};
  write_and_keep(w, 1, t0);
  // One RECV written earns one lookup; a bogus ack spends it.
  EXPECT_FALSE(w.acknowledge(99));
  EXPECT_EQ(w.ack_allowance(), 0u);
  EXPECT_FALSE(w.acknowledge(1)) << "no allowance left: not looked up";
  EXPECT_EQ(w.size(), 1u);
  // RECVs written without being kept (no_persist) still earn lookups, up to twice the window.
  for (int i = 0; i < 10; ++i) w.count_written();
  EXPECT_EQ(w.ack_allowance(), 4u);
  EXPECT_TRUE(w.acknowledge(1));
  EXPECT_EQ(w.ack_allowance(), 3u);
  EXPECT_FALSE(w.acknowledge(1)) << "nothing left to acknowledge";
  EXPECT_EQ(w.ack_allowance(), 3u) << "an empty window costs no lookup";
}

TEST(RecvResendWindow, ClearForgetsEverything) {
  RecvResendWindow w(options());
  const Clock::time_point t0{};
  write_and_keep(w, 1, t0);
  w.clear();
  EXPECT_EQ(w.size(), 0u);
  EXPECT_EQ(w.payload_bytes(), 0u);
  EXPECT_TRUE(w.take_due(t0 + seconds(60)).empty());
}

}  // namespace
}  // namespace jindou::gateway
