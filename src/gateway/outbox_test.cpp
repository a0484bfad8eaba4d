#include "gateway/outbox.h"

#include <gtest/gtest.h>

#include <string>

namespace jindou::gateway {
namespace {

TEST(Outbox, StreamPacksPacketsIntoSharedBuffers) {
  Outbox o(1u << 20, OutboxFraming::kStream);
  EXPECT_TRUE(o.push("abc"));
  EXPECT_TRUE(o.push("de"));
  EXPECT_EQ(o.cost(), 5u);
  ASSERT_TRUE(o.has_queued());
  EXPECT_EQ(o.start_write(), 2u);
  ASSERT_EQ(o.writing().size(), 1u);
  EXPECT_EQ(o.writing()[0], "abcde");
  EXPECT_EQ(o.finish_write(), 5u);
  EXPECT_EQ(o.cost(), 0u);
}

TEST(Outbox, StreamStartsANewBufferPast64KiB) {
  Outbox o(1u << 20, OutboxFraming::kStream);
  EXPECT_TRUE(o.push(std::string(Outbox::kChunkBytes - 10, 'a')));
  EXPECT_TRUE(o.push(std::string(10, 'b')));  // fits exactly
  EXPECT_TRUE(o.push("c"));
  o.start_write();
  ASSERT_EQ(o.writing().size(), 2u);
  EXPECT_EQ(o.writing()[0].size(), Outbox::kChunkBytes);
  EXPECT_EQ(o.writing()[1], "c");
}

TEST(Outbox, WebSocketGivesEachPacketItsOwnBufferAndChargesIt) {
  Outbox o(1u << 20, OutboxFraming::kBufferPerPacket);
  EXPECT_TRUE(o.push("abc"));
  std::string& out = o.buffer_for(2);
  out.append("de");
  EXPECT_TRUE(o.appended(2));
  EXPECT_EQ(o.cost(), 5u + 2 * Outbox::kBufferOverhead);
  EXPECT_EQ(o.start_write(), 2u);
  ASSERT_EQ(o.writing().size(), 2u);
  EXPECT_EQ(o.writing()[0], "abc");
  EXPECT_EQ(o.writing()[1], "de");
  EXPECT_EQ(o.finish_write(), 5u);
  EXPECT_EQ(o.cost(), 0u);
}

TEST(Outbox, OverTheBudgetIsReported) {
  Outbox o(100, OutboxFraming::kStream);
  EXPECT_TRUE(o.push(std::string(100, 'a'))) << "at the budget is still within it";
  EXPECT_FALSE(o.push("b"));
}

TEST(Outbox, PerPacketOverheadCountsAgainstTheBudget) {
  Outbox o(3 * Outbox::kBufferOverhead, OutboxFraming::kBufferPerPacket);
  EXPECT_TRUE(o.push("a"));
  EXPECT_TRUE(o.push("b"));
  EXPECT_FALSE(o.push("c")) << "three 1-byte packets cost 3 + 3 * overhead";
}

TEST(Outbox, BytesInFlightCountUntilWritten) {
  Outbox o(10, OutboxFraming::kStream);
  EXPECT_TRUE(o.push(std::string(8, 'a')));
  o.start_write();
  EXPECT_TRUE(o.write_in_flight());
  EXPECT_FALSE(o.has_queued());
  EXPECT_FALSE(o.push(std::string(3, 'b'))) << "8 being written + 3 queued > 10";
  EXPECT_EQ(o.finish_write(), 8u);
  EXPECT_FALSE(o.write_in_flight());
  EXPECT_EQ(o.cost(), 3u);
  EXPECT_EQ(o.start_write(), 1u) << "the next batch holds only what was queued meanwhile";
  EXPECT_EQ(o.writing()[0], "bbb");
}

TEST(Outbox, ClearKeepsTheWriteInFlight) {
  Outbox o(1000, OutboxFraming::kStream);
  EXPECT_TRUE(o.push("abc"));
  o.start_write();
  EXPECT_TRUE(o.push("def"));
  o.clear();
  EXPECT_FALSE(o.has_queued());
  ASSERT_EQ(o.writing().size(), 1u);
  EXPECT_EQ(o.writing()[0], "abc") << "the transport still writes these bytes";
}

}  // namespace
}  // namespace jindou::gateway
