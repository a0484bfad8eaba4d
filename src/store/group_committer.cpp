#include "store/group_committer.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <optional>

namespace jindou::store {

GroupCommitter::GroupCommitter(WriteGroup write, size_t max_group_ops, SyncWritten sync,
                               std::chrono::milliseconds max_ticket_wait)
    : write_(std::move(write)),
      max_group_ops_(max_group_ops),
      sync_(std::move(sync)),
      max_ticket_wait_(max_ticket_wait) {
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

void GroupCommitter::drop_item(CommitTicket& ticket) {
  ticket.settle(1);
  std::lock_guard lock(mu_);  // a waiting commit thread re-checks under this lock
  cv_.notify_one();
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
    if (!result.ok() && failure_.ok()) {
      failure_ = result;
      cv_.notify_one();  // a commit thread waiting for a ticket stops waiting
    }
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
      // Tickets with a part in this group: the group stays open until none has items to come.
      std::vector<const CommitTicket*> tickets;
      std::optional<std::chrono::steady_clock::time_point> waiting_since;
      const auto incomplete = [&] {
        std::erase_if(tickets, [](const CommitTicket* t) { return t->outstanding() <= 0; });
        return !tickets.empty();
      };
      for (;;) {
        while (!queue_.empty() &&
               (group.empty() || ops + queue_.front().writes.size() <= max_group_ops_ ||
                incomplete())) {
          Pending& next = queue_.front();
          ops += next.writes.size();
          for (const auto& t : next.writes.tickets()) {
            t.ticket->settle(t.items);
            tickets.push_back(t.ticket.get());
          }
          group.push_back(std::move(next));
          queue_.pop_front();
        }
        if (stopping_ || !failure_.ok() || !incomplete()) break;
        // The rest of a ticket is being built on a shard and arrives within its turn. Under a
        // stream of batches from many callers tickets could chain without end: the wait is
        // bounded (a batch may then span two group commits).
        if (!waiting_since) waiting_since = std::chrono::steady_clock::now();
        const bool woke = cv_.wait_until(lock, *waiting_since + max_ticket_wait_, [&] {
          return stopping_ || !failure_.ok() || !queue_.empty() || !incomplete();
        });
        if (!woke) break;
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
