#include "store/group_committer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <vector>

namespace jindou::store {
namespace {

WriteSet one_op(int i) {
  WriteSet ws;
  ws.put_cursor("k" + std::to_string(i), "v");
  return ws;
}

TEST(GroupCommitter, BatchesWhatArrivesDuringAWriteAndKeepsOrder) {
  std::promise<void> first_write_started;
  std::promise<void> release_first_write;
  auto release = release_first_write.get_future().share();
  std::vector<size_t> group_sizes;
  std::atomic<int> writes{0};
  GroupCommitter committer(
      [&](const std::vector<GroupCommitter::Pending>& group) {
        group_sizes.push_back(group.size());
        if (writes.fetch_add(1) == 0) {
          first_write_started.set_value();
          release.wait();
        }
        return Status{};
      },
      1000);
  std::mutex mu;
  std::vector<int> completed;
  std::promise<void> all_done;
  constexpr int kCount = 50;
  auto record = [&](int i) {
    return [&, i](const Status& s) {
      ASSERT_TRUE(s.ok());
      std::lock_guard lock(mu);
      completed.push_back(i);
      if (completed.size() == kCount) all_done.set_value();
    };
  };
  committer.submit(one_op(0), record(0));
  first_write_started.get_future().wait();
  for (int i = 1; i < kCount; ++i) committer.submit(one_op(i), record(i));
  release_first_write.set_value();
  all_done.get_future().wait();
  committer.stop();
  ASSERT_EQ(group_sizes.size(), 2u);  // the 49 that queued during the first write went together
  EXPECT_EQ(group_sizes[0], 1u);
  EXPECT_EQ(group_sizes[1], 49u);
  for (int i = 0; i < kCount; ++i) EXPECT_EQ(completed[i], i);
}

TEST(GroupCommitter, AFailedWriteFailsEverythingAfterIt) {
  GroupCommitter committer(
      [](const std::vector<GroupCommitter::Pending>&) -> Status {
        return Error::unavailable("disk on fire");
      },
      1000);
  std::promise<Status> first;
  committer.submit(one_op(1), [&](const Status& s) { first.set_value(s); });
  EXPECT_FALSE(first.get_future().get().ok());
  EXPECT_TRUE(committer.failed());
  std::promise<Status> second;
  committer.submit(one_op(2), [&](const Status& s) { second.set_value(s); });
  auto s = second.get_future().get();
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.error().status, 503);
}

TEST(GroupCommitter, StopWritesPendingWork) {
  std::atomic<int> written{0};
  std::atomic<int> completed{0};
  {
    GroupCommitter committer(
        [&](const std::vector<GroupCommitter::Pending>& group) {
          written += static_cast<int>(group.size());
          return Status{};
        },
        1000);
    for (int i = 0; i < 100; ++i) {
      committer.submit(one_op(i), [&](const Status& s) {
        if (s.ok()) ++completed;
      });
    }
    committer.stop();
  }
  EXPECT_EQ(written.load(), 100);
  EXPECT_EQ(completed.load(), 100);
}

TEST(GroupCommitter, RespectsTheOpsLimitPerGroup) {
  std::vector<size_t> group_sizes;
  std::promise<void> gate_open;
  auto gate = gate_open.get_future().share();
  GroupCommitter committer(
      [&](const std::vector<GroupCommitter::Pending>& group) {
        gate.wait();
        group_sizes.push_back(group.size());
        return Status{};
      },
      10);
  std::atomic<int> done{0};
  for (int i = 0; i < 35; ++i) committer.submit(one_op(i), [&](const Status&) { ++done; });
  gate_open.set_value();
  committer.stop();
  EXPECT_EQ(done.load(), 35);
  for (size_t n : group_sizes) EXPECT_LE(n, 10u);
}

}  // namespace
}  // namespace jindou::store
