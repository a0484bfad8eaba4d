// GroupCommitter: turns everything pending into one write, and makes writes durable.
//
// Without a sync function, one thread ("store-commit") writes each group and reports its result.
// With one, writing and syncing overlap: the commit thread writes group after group (unsynced)
// while a second thread ("store-sync") makes everything written so far durable with one sync
// and then reports every group that sync covered. Acknowledgements therefore still follow the
// sync, but the next group's CPU work no longer waits for the disk.
//
// Thread: owns those threads. submit() is safe from any thread. Callbacks run on the reporting
// thread, in submission order. Lifecycle: started by the constructor; stop() (or the
// destructor) writes and syncs what is pending and joins.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "model/error.h"
#include "store/write_set.h"

namespace jindou::store {

class GroupCommitter {
 public:
  struct Pending {
    WriteSet writes;
    std::function<void(const Status&)> done;
  };
  // Writes a group; the committer reports its result to every member of the group.
  using WriteGroup = std::function<Status(const std::vector<Pending>& group)>;
  // Makes every group written before the call durable.
  using SyncWritten = std::function<Status()>;

  // `max_group_ops`: ops per write (bounds one write's memory; the rest goes in the next write).
  // `sync` empty: each write is durable by itself (or durability is not asked for).
  GroupCommitter(WriteGroup write, size_t max_group_ops, SyncWritten sync = {});
  ~GroupCommitter();
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  void submit(WriteSet writes, std::function<void(const Status&)> done);
  void stop();

  uint64_t groups_written() const;
  uint64_t largest_group() const;
  bool failed() const;

 private:
  struct Written {
    std::vector<Pending> group;
    Status result;  // of the write
  };
  void run();
  void run_sync();
  void report(std::vector<Pending>& group, const Status& result);

  WriteGroup write_;
  const size_t max_group_ops_;
  SyncWritten sync_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  // Written, waiting for the sync thread (with sync_ only).
  std::condition_variable sync_cv_;
  std::vector<Written> written_;
  bool writer_done_ = false;
  // After a failed write nothing more is written: a later write could otherwise make a later
  // seq durable while an earlier one was lost, leaving a gap.
  Status failure_;
  uint64_t groups_ = 0;
  uint64_t largest_ = 0;
  std::mutex join_mu_;
  std::thread sync_thread_;
  std::thread thread_;
};

}  // namespace jindou::store
