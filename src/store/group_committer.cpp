#include "store/group_committer.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace jindou::store {

GroupCommitter::GroupCommitter(WriteGroup write, size_t max_group_ops)
    : write_(std::move(write)), max_group_ops_(max_group_ops), thread_([this] { run(); }) {}

GroupCommitter::~GroupCommitter() {
  stop();
}

void GroupCommitter::submit(WriteSet writes, std::function<void(const Status&)> done) {
  Status refused;
  {
    std::lock_guard lock(mu_);
    if (!failure_.ok()) {
      refused = failure_;
    } else if (stopping_) {
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

void GroupCommitter::run() {
  pthread_setname_np(pthread_self(), "store-commit");
  // Every acknowledgement waits on this thread: when it wakes from an fsync it should run
  // before the io threads' queued work, not after a time slice (best effort; needs privilege).
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), -10);
  std::vector<Pending> group;
  for (;;) {
    Status failed;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      size_t ops = 0;
      while (!queue_.empty() &&
             (group.empty() || ops + queue_.front().writes.size() <= max_group_ops_)) {
        ops += queue_.front().writes.size();
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      failed = failure_;
    }
    const Status result = failed.ok() ? write_(group) : failed;
    {
      std::lock_guard lock(mu_);
      if (!result.ok()) failure_ = result;
      ++groups_;
      if (group.size() > largest_) largest_ = group.size();
    }
    for (auto& p : group) p.done(result);
    group.clear();
  }
}

}  // namespace jindou::store
