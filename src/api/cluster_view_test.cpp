// Which node /route sends a user to, and how many hash slots a partition holds.
#include "api/cluster_view.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>

namespace jindou::api {
namespace {

TEST(NodeForUid, NoNodesIsZero) {
  EXPECT_EQ(node_for_uid("alice", {}), 0);
}

TEST(NodeForUid, OneNodeTakesEveryone) {
  for (const char* uid : {"alice", "bob", ""}) EXPECT_EQ(node_for_uid(uid, {7}), 7);
}

TEST(NodeForUid, TheOrderOfTheNodesDoesNotMatter) {
  std::vector<uint16_t> nodes = {1, 2, 3, 4, 5};
  for (int i = 0; i < 200; ++i) {
    const std::string uid = "user-" + std::to_string(i);
    const uint16_t chosen = node_for_uid(uid, nodes);
    std::vector<uint16_t> shuffled = nodes;
    do {
      ASSERT_EQ(node_for_uid(uid, shuffled), chosen) << uid;
    } while (std::next_permutation(shuffled.begin(), shuffled.end()) && i < 3);
    std::reverse(shuffled.begin(), shuffled.end());
    ASSERT_EQ(node_for_uid(uid, shuffled), chosen) << uid;
  }
}

TEST(NodeForUid, UsersSpreadEvenly) {
  const std::vector<uint16_t> nodes = {1, 2, 3};
  std::map<uint16_t, int> count;
  constexpr int kUsers = 30000;
  for (int i = 0; i < kUsers; ++i) ++count[node_for_uid("u" + std::to_string(i), nodes)];
  ASSERT_EQ(count.size(), 3u);
  for (const auto& [node, n] : count) {
    EXPECT_NEAR(n, kUsers / 3, kUsers / 30) << "node " << node;  // within 10 %
  }
}

TEST(NodeForUid, ANodeLeavingMovesOnlyItsOwnUsers) {
  const std::vector<uint16_t> three = {1, 2, 3};
  const std::vector<uint16_t> two = {1, 3};
  int moved = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::string uid = "u" + std::to_string(i);
    const uint16_t before = node_for_uid(uid, three);
    const uint16_t after = node_for_uid(uid, two);
    if (before != 2) {
      EXPECT_EQ(after, before) << uid;
    } else {
      ++moved;
    }
  }
  EXPECT_GT(moved, 0);
  // And coming back, each returns where it was.
  for (int i = 0; i < 3000; ++i) {
    const std::string uid = "u" + std::to_string(i);
    if (node_for_uid(uid, two) != node_for_uid(uid, three)) {
      EXPECT_EQ(node_for_uid(uid, three), 2) << uid;
    }
  }
}

TEST(NodeForUid, StableAcrossBuilds) {
  // Pinned: every node of a cluster, whatever its build, must send a user to the same node.
  const std::vector<uint16_t> nodes = {1, 2, 3};
  std::string seen;
  for (const char* uid : {"alice", "bob", "carol", "dave", "erin", "frank"}) {
    seen += std::to_string(node_for_uid(uid, nodes));
  }
  EXPECT_EQ(seen, "112323");
}

TEST(SlotsOfPartition, SpreadsTheRemainderOverTheFirstPartitions) {
  EXPECT_EQ(slots_of_partition(1024, 32, 0), 32u);
  EXPECT_EQ(slots_of_partition(1024, 32, 31), 32u);
  EXPECT_EQ(slots_of_partition(10, 4, 0), 3u);  // slots 0, 4, 8
  EXPECT_EQ(slots_of_partition(10, 4, 1), 3u);  // 1, 5, 9
  EXPECT_EQ(slots_of_partition(10, 4, 2), 2u);  // 2, 6
  EXPECT_EQ(slots_of_partition(10, 4, 3), 2u);  // 3, 7
  EXPECT_EQ(slots_of_partition(10, 4, 4), 0u);  // no such partition
  EXPECT_EQ(slots_of_partition(10, 0, 0), 0u);
  uint32_t total = 0;
  for (uint32_t p = 0; p < 7; ++p) total += slots_of_partition(100, 7, p);
  EXPECT_EQ(total, 100u);
}

}  // namespace
}  // namespace jindou::api
