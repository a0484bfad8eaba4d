#include "store/group_committer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

namespace jindou::store {
namespace {

WriteSet one_op(int i) {
  WriteSet ws;
  ws.put_cursor("k" + std::to_string(i), "v");
  return ws;
}

// Records the order in which callbacks report; wait() returns once `expected` have.
class ReportLog {
 public:
  explicit ReportLog(size_t expected) : expected_(expected) {}
  std::function<void(const Status&)> callback(int i) {
    return [this, i](const Status& s) {
      EXPECT_TRUE(s.ok()) << "submission " << i;
      bool last = false;
      {
        std::lock_guard lock(mu_);
        order_.push_back(i);
        last = order_.size() == expected_;
      }
      if (last) done_.set_value();  // after unlocking: the waiter may destroy this log
    };
  }
  void wait() { done_.get_future().wait(); }
  std::vector<int> order() {
    std::lock_guard lock(mu_);
    return order_;
  }

 private:
  const size_t expected_;
  std::mutex mu_;
  std::vector<int> order_;
  std::promise<void> done_;
};

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
  constexpr int kCount = 50;
  ReportLog log(kCount);
  committer.submit(one_op(0), log.callback(0));
  first_write_started.get_future().wait();
  for (int i = 1; i < kCount; ++i) committer.submit(one_op(i), log.callback(i));
  release_first_write.set_value();
  log.wait();
  committer.stop();
  ASSERT_EQ(group_sizes.size(), 2u);  // the 49 that queued during the first write went together
  EXPECT_EQ(group_sizes[0], 1u);
  EXPECT_EQ(group_sizes[1], 49u);
  const std::vector<int> order = log.order();
  for (int i = 0; i < kCount; ++i) EXPECT_EQ(order[static_cast<size_t>(i)], i);
}

// Submits one set, which fails, then another, which fails with the same 503.
void ExpectFailureSticks(GroupCommitter& committer) {
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

TEST(GroupCommitter, AFailedWriteFailsEverythingAfterIt) {
  GroupCommitter committer(
      [](const std::vector<GroupCommitter::Pending>&) -> Status {
        return Error::unavailable("disk on fire");
      },
      1000);
  ExpectFailureSticks(committer);
}

// stop() writes (and, with a sync function, syncs) what is pending before it returns.
TEST(GroupCommitter, StopWritesPendingWork) {
  for (const bool with_sync : {false, true}) {
    SCOPED_TRACE(with_sync ? "with a sync function" : "without a sync function");
    std::atomic<int> written{0};
    std::atomic<int> synced{0};
    std::atomic<int> completed{0};
    std::atomic<int> synced_when_reported{0};
    {
      GroupCommitter::SyncWritten sync;
      if (with_sync) {
        sync = [&]() -> Status {
          synced = written.load();
          return Status{};
        };
      }
      GroupCommitter committer(
          [&](const std::vector<GroupCommitter::Pending>& group) {
            written += static_cast<int>(group.size());
            return Status{};
          },
          1000, sync);
      for (int i = 0; i < 100; ++i) {
        committer.submit(one_op(i), [&](const Status& s) {
          if (s.ok()) ++completed;
          if (synced.load() > synced_when_reported.load()) synced_when_reported = synced.load();
        });
      }
      committer.stop();
    }
    EXPECT_EQ(written.load(), 100);
    EXPECT_EQ(completed.load(), 100);
    if (with_sync) {
      EXPECT_EQ(synced_when_reported.load(), 100);
    }
  }
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

// With a sync function: groups keep being written while a sync runs, nothing is reported before
// the sync that covers it, one sync covers every group written before it, and reports keep
// submission order.
TEST(GroupCommitter, WritesOverlapTheSyncAndReportsWaitForIt) {
  std::mutex mu;
  std::vector<int> written;  // first op index of each written group
  std::promise<void> first_sync_started;
  std::promise<void> release_first_sync;
  auto release = release_first_sync.get_future().share();
  std::atomic<int> syncs{0};
  std::vector<size_t> written_before_sync;  // groups written when each sync began
  GroupCommitter committer(
      [&](const std::vector<GroupCommitter::Pending>& group) {
        std::lock_guard lock(mu);
        written.push_back(static_cast<int>(group.size()));
        return Status{};
      },
      1000,
      [&]() -> Status {
        {
          std::lock_guard lock(mu);
          written_before_sync.push_back(written.size());
        }
        if (syncs.fetch_add(1) == 0) {
          first_sync_started.set_value();
          release.wait();
        }
        return Status{};
      });
  constexpr int kCount = 20;
  ReportLog log(kCount);
  committer.submit(one_op(0), log.callback(0));
  first_sync_started.get_future().wait();
  // While the first sync is held, more groups are written but none is reported.
  for (int i = 1; i < kCount; ++i) {
    committer.submit(one_op(i), log.callback(i));
    for (;;) {  // each waits for the previous to be written: one group each
      {
        std::lock_guard lock(mu);
        if (written.size() == static_cast<size_t>(i + 1)) break;
      }
      std::this_thread::yield();
    }
  }
  EXPECT_TRUE(log.order().empty()) << "reported before its sync";
  release_first_sync.set_value();
  log.wait();
  committer.stop();
  EXPECT_EQ(syncs.load(), 2) << "one sync for the 19 groups written during the first";
  ASSERT_EQ(written_before_sync.size(), 2u);
  EXPECT_EQ(written_before_sync[1], static_cast<size_t>(kCount));
  const std::vector<int> order = log.order();
  for (int i = 0; i < kCount; ++i) EXPECT_EQ(order[static_cast<size_t>(i)], i);
}

// A failed sync fails the groups it covered and every later one, even if a later sync would
// succeed: acknowledging a later seq after an earlier one was lost would leave a gap.
TEST(GroupCommitter, AFailedSyncFailsEverythingAfterIt) {
  std::atomic<int> syncs{0};
  GroupCommitter committer([](const std::vector<GroupCommitter::Pending>&) { return Status{}; },
                           1000,
                           [&]() -> Status {
                             if (syncs.fetch_add(1) == 0) return Error::unavailable("fsync failed");
                             return Status{};
                           });
  ExpectFailureSticks(committer);
}

// After a failed write, later submissions are refused in order: after the groups submitted
// before them have been reported.
TEST(GroupCommitter, RefusalsAfterAFailureKeepSubmissionOrder) {
  std::promise<void> sync_started;
  std::promise<void> release_sync;
  auto release = release_sync.get_future().share();
  std::atomic<int> writes{0};
  std::atomic<bool> first_sync{true};
  GroupCommitter committer(
      [&](const std::vector<GroupCommitter::Pending>&) -> Status {
        return writes.fetch_add(1) == 0 ? Status{} : Status(Error::unavailable("disk gone"));
      },
      1000,
      [&]() -> Status {
        if (first_sync.exchange(false)) {
          sync_started.set_value();
          release.wait();
        }
        return Status{};
      });
  std::mutex mu;
  std::vector<std::pair<char, bool>> reported;
  std::promise<void> all;
  auto record = [&](char name) {
    return [&, name](const Status& s) {
      bool last = false;
      {
        std::lock_guard lock(mu);
        reported.emplace_back(name, s.ok());
        last = reported.size() == 3;
      }
      if (last) all.set_value();
    };
  };
  committer.submit(one_op(1), record('a'));
  sync_started.get_future().wait();          // a is written, its sync is held
  committer.submit(one_op(2), record('b'));  // its write fails
  while (!committer.failed()) std::this_thread::yield();
  committer.submit(one_op(3), record('c'));  // refused, but not before a is reported
  release_sync.set_value();
  all.get_future().wait();
  committer.stop();
  const std::vector<std::pair<char, bool>> expected = {{'a', true}, {'b', false}, {'c', false}};
  EXPECT_EQ(reported, expected);
}

}  // namespace
}  // namespace jindou::store
