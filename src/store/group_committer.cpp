#include "store/group_committer.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace jindou::store {

GroupCommitter::GroupCommitter(WriteGroup write, size_t max_group_ops, SyncWritten sync)
    : write_(std::move(write)), max_group_ops_(max_group_ops), sync_(std::move(sync)) {
  if (sync_) sync_thread_ = std::thread([this] { run_sync(); });
  thread_ = std::thread([this] { run(); });
}

GroupCommitter::~GroupCommitter() {
  stop();
}

void GroupCommitter::submit(WriteSet writes, std::function<void(const Status&)> done) {
  Status refused;
  {
    std::lock_guard lock(mu_);
    // After a failure, submissions still queue: they are refused in order, after the groups
    // submitted before them are reported.
    if (stopping_) {
      refused = Error::unavailable("the server is shutting down");
    } else {
      queue_.push_back(Pending{std::move(writes), std::move(done)});
      if (queue_.size() == 1) cv_.notify_one();
      return;
    }
  }
  done(refused);
}

void GroupCommitter::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  // One joiner: stop() may be called again (close, destructor) or from two threads.
  std::lock_guard join_lock(join_mu_);
  if (thread_.joinable()) thread_.join();
  if (sync_thread_.joinable()) sync_thread_.join();
}

uint64_t GroupCommitter::groups_written() const {
  std::lock_guard lock(mu_);
  return groups_;
}

uint64_t GroupCommitter::largest_group() const {
  std::lock_guard lock(mu_);
  return largest_;
}

bool GroupCommitter::failed() const {
  std::lock_guard lock(mu_);
  return !failure_.ok();
}

namespace {

void raise_priority() {
  // Every acknowledgement waits on these threads: when one wakes from the disk it should run
  // before the io threads' queued work, not after a time slice (best effort; needs privilege).
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), -10);
}

}  // namespace

void GroupCommitter::report(std::vector<Pending>& group, const Status& result) {
  {
    std::lock_guard lock(mu_);
    if (!result.ok() && failure_.ok()) failure_ = result;
    ++groups_;
    if (group.size() > largest_) largest_ = group.size();
  }
  for (auto& p : group) p.done(result);
}

void GroupCommitter::run() {
  pthread_setname_np(pthread_self(), "store-commit");
  raise_priority();
  std::vector<Pending> group;
  for (;;) {
    Status failed;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) break;  // stopping and drained
      size_t ops = 0;
      // Everything pending, up to the ops limit (a group always takes at least one set).
      while (!queue_.empty() &&
             (group.empty() || ops + queue_.front().writes.size() <= max_group_ops_)) {
        ops += queue_.front().writes.size();
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      failed = failure_;
    }
    const Status result = failed.ok() ? write_(group) : failed;
    if (!sync_) {
      report(group, result);
      group.clear();
      continue;
    }
    {
      std::lock_guard lock(mu_);
      // After a failed write nothing more is written (see failure_); the sync thread reports it.
      if (!result.ok() && failure_.ok()) failure_ = result;
      written_.push_back(Written{std::move(group), result});
      if (written_.size() == 1) sync_cv_.notify_one();
    }
    group.clear();
  }
  if (sync_) {
    std::lock_guard lock(mu_);
    writer_done_ = true;
    sync_cv_.notify_one();
  }
}

void GroupCommitter::run_sync() {
  pthread_setname_np(pthread_self(), "store-sync");
  raise_priority();
  std::vector<Written> batch;
  Status sync_failed;  // the first failed sync: every later group reports it
  for (;;) {
    {
      std::unique_lock lock(mu_);
      sync_cv_.wait(lock, [&] { return writer_done_ || !written_.empty(); });
      if (written_.empty()) return;  // the writer is done and everything is reported
      batch.swap(written_);
    }
    // One sync covers every group written so far; a group whose write failed is reported with
    // that failure, and nothing after it was written. Once a sync has failed, no later group is
    // acknowledged either, even if its own sync would succeed: that could leave a seq gap.
    bool any_written = false;
    for (const auto& w : batch) any_written = any_written || w.result.ok();
    Status synced = sync_failed;
    if (synced.ok() && any_written) synced = sync_();
    if (!synced.ok()) sync_failed = synced;
    for (auto& w : batch) report(w.group, w.result.ok() ? synced : w.result);
    batch.clear();
  }
}

}  // namespace jindou::store
