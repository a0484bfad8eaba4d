#include "model/snowflake.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

namespace jindou {
namespace {

TEST(Snowflake, LayoutCarriesTimeAndNode) {
  SnowflakeGenerator gen(7);
  const int64_t now = 1'700'000'000'000;
  const int64_t id = gen.next_at(now);
  EXPECT_GT(id, 0);
  EXPECT_EQ(SnowflakeGenerator::unix_ms_of(id), now);
  EXPECT_EQ(SnowflakeGenerator::node_of(id), 7);
}

TEST(Snowflake, IncreasesWithinAMillisecondAndWhenClockStepsBack) {
  SnowflakeGenerator gen(1);
  const int64_t a = gen.next_at(1'700'000'000'000);
  const int64_t b = gen.next_at(1'700'000'000'000);
  const int64_t c = gen.next_at(1'699'999'999'000);  // clock stepped back one second
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
}

TEST(Snowflake, SequenceOverflowBorrowsTheNextMillisecond) {
  SnowflakeGenerator gen(3);
  int64_t prev = 0;
  for (int i = 0; i < 5000; ++i) {
    const int64_t id = gen.next_at(1'700'000'000'000);
    ASSERT_GT(id, prev);
    ASSERT_EQ(SnowflakeGenerator::node_of(id), 3);
    prev = id;
  }
  EXPECT_EQ(SnowflakeGenerator::unix_ms_of(prev), 1'700'000'000'001);
}

TEST(Snowflake, AdvancePastSkipsStoredIds) {
  SnowflakeGenerator earlier(2);
  const int64_t stored = earlier.next_at(1'800'000'000'000);
  SnowflakeGenerator gen(2);
  gen.advance_past(stored);
  EXPECT_GT(gen.next_at(1'700'000'000'000), stored);
}

TEST(Snowflake, UniqueAcrossThreads) {
  SnowflakeGenerator gen(9);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20000;
  std::vector<std::vector<int64_t>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) ids[t].push_back(gen.next());
    });
  }
  for (auto& th : threads) th.join();
  std::set<int64_t> all;
  for (auto& v : ids) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));
}

TEST(Snowflake, RejectsNodeIdAbove1023) {
  EXPECT_THROW(SnowflakeGenerator(1024), std::invalid_argument);
}

}  // namespace
}  // namespace jindou
