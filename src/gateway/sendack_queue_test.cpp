#include "gateway/sendack_queue.h"

#include <gtest/gtest.h>

#include <vector>

namespace jindou::gateway {
namespace {

engine::SendResult stored(int64_t message_id, uint64_t message_seq) {
  engine::SendResult r;
  r.message_id = message_id;
  r.message_seq = message_seq;
  return r;
}

std::vector<uint32_t> released_client_seqs(SendackQueue& q) {
  std::vector<uint32_t> seqs;
  while (auto ack = q.release()) seqs.push_back(ack->client_seq);
  return seqs;
}

TEST(SendackQueue, OutOfOrderCompletionsLeaveInSendOrder) {
  SendackQueue q(16);
  const uint64_t a = q.take(0, 1);
  const uint64_t b = q.take(0, 2);
  const uint64_t c = q.take(0, 3);
  q.complete(c, stored(300, 3));
  q.complete(b, stored(200, 2));
  EXPECT_TRUE(released_client_seqs(q).empty()) << "the first SEND is not answered yet";
  EXPECT_EQ(q.size(), 3u);
  q.complete(a, stored(100, 1));
  auto first = q.release();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->client_seq, 1u);
  EXPECT_EQ(first->message_id, 100);
  EXPECT_EQ(first->message_seq, 1u);
  EXPECT_EQ(first->reason_code, ReasonCode::kSuccess);
  EXPECT_EQ(released_client_seqs(q), (std::vector<uint32_t>{2, 3}));
  EXPECT_TRUE(q.empty());
}

TEST(SendackQueue, RefusedSendWaitsForEarlierAnswers) {
  SendackQueue q(16);
  const uint64_t a = q.take(0, 1);
  q.take_answered(0x4, 2, ReasonCode::kChannelIdError);
  EXPECT_FALSE(q.release());
  q.complete(a, stored(1, 1));
  EXPECT_TRUE(q.release());
  auto refused = q.release();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->client_seq, 2u);
  EXPECT_EQ(refused->flags, 0x4);
  EXPECT_EQ(refused->reason_code, ReasonCode::kChannelIdError);
}

TEST(SendackQueue, FailureWithoutReasonIsASystemError) {
  SendackQueue q(16);
  const uint64_t a = q.take(0, 1);
  const uint64_t b = q.take(0, 2);
  engine::SendResult failed;
  failed.status = Status(Error{500, ReasonCode::kUnknown, "no reason"});
  q.complete(a, failed);
  engine::SendResult banned;
  banned.status = Error::forbidden(ReasonCode::kSendBan, "send ban");
  q.complete(b, banned);
  EXPECT_EQ(q.release()->reason_code, ReasonCode::kSystemError);
  EXPECT_EQ(q.release()->reason_code, ReasonCode::kSendBan);
}

TEST(SendackQueue, SecondAndStaleCompletionsAreIgnored) {
  SendackQueue q(16);
  const uint64_t a = q.take(0, 1);
  q.complete(a, stored(1, 1));
  q.complete(a, stored(2, 2));
  EXPECT_EQ(q.release()->message_id, 1);
  const uint64_t b = q.take(0, 2);
  q.complete(a, stored(3, 3));  // released already: must not answer b
  EXPECT_FALSE(q.release());
  q.clear();
  const uint64_t c = q.take(0, 3);
  EXPECT_NE(b, c) << "slot numbers are never reused";
  q.complete(b, stored(4, 4));  // cleared: must not answer c
  EXPECT_FALSE(q.release());
}

TEST(SendackQueue, FullAtTheLimitDrainedBelowHalf) {
  SendackQueue q(4);
  std::vector<uint64_t> slots;
  for (uint32_t i = 0; i < 4; ++i) {
    EXPECT_FALSE(q.full());
    slots.push_back(q.take(0, i));
  }
  EXPECT_TRUE(q.full());
  EXPECT_FALSE(q.drained_enough());
  q.complete(slots[0], stored(1, 1));
  q.release();
  EXPECT_FALSE(q.full());
  EXPECT_FALSE(q.drained_enough()) << "3 left of 4: not yet below half";
  q.complete(slots[1], stored(2, 2));
  q.release();
  EXPECT_FALSE(q.drained_enough()) << "2 left of 4: half is not below half";
  q.complete(slots[2], stored(3, 3));
  q.release();
  EXPECT_TRUE(q.drained_enough());
}

}  // namespace
}  // namespace jindou::gateway
