// GroupCommitter: one thread that turns everything pending into one durable write.
//
// Thread: owns one thread ("store-commit"). submit() is safe from any thread. Callbacks run on
// the commit thread after the write returns, in submission order. Lifecycle: started by the
// constructor; stop() (or the destructor) writes what is pending and joins.
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
  // Writes a group durably; the committer reports its result to every member of the group.
  using WriteGroup = std::function<Status(const std::vector<Pending>& group)>;

  // `max_group_ops`: ops per write (bounds one write's memory; the rest goes in the next write).
  GroupCommitter(WriteGroup write, size_t max_group_ops);
  ~GroupCommitter();
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  void submit(WriteSet writes, std::function<void(const Status&)> done);
  void stop();

  uint64_t groups_written() const;
  uint64_t largest_group() const;
  bool failed() const;

 private:
  void run();

  WriteGroup write_;
  const size_t max_group_ops_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  // After a failed write nothing more is written: a later write could otherwise make a later
  // seq durable while an earlier one was lost, leaving a gap.
  Status failure_;
  uint64_t groups_ = 0;
  uint64_t largest_ = 0;
  std::mutex join_mu_;
  std::thread thread_;
};

}  // namespace jindou::store
