// ExecutorGroup: the io threads as the engine sees them, with batched cross-thread posting.
//
// A task posted from one io thread to another joins that pair's outbox; at the end of the
// current turn of the posting thread's loop each non-empty outbox goes over as one task. Under
// load this turns one wake-up per message into one per batch. Tasks a thread posts to itself run
// in that same flush rather than a turn later. Posts from threads that are not executors (tests,
// the commit thread) go straight through.
//
// Threads: post() is safe from any thread; each outbox is touched only by its owning thread.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "runtime/executor.h"

namespace jindou::runtime {

class ExecutorGroup {
 public:
  explicit ExecutorGroup(std::vector<Executor*> executors);
  ExecutorGroup(const ExecutorGroup&) = delete;
  ExecutorGroup& operator=(const ExecutorGroup&) = delete;

  size_t size() const { return executors_.size(); }
  Executor& operator[](size_t i) const { return *executors_[i]; }
  const std::vector<Executor*>& executors() const { return executors_; }

  // Runs `task` on executor `target`, batched with the other posts of this turn.
  void post(size_t target, std::function<void()> task);

  // Marks the calling thread as executor `index` of this group (called once by each io thread
  // at start); -1 for other threads.
  static void set_current(ExecutorGroup* group, int index);

  // Runs `task` on `executor`: at the end of the current turn when that is the calling thread's
  // own executor in its group (after the other tasks of the turn, before the next turn), else
  // posted. For work that should gather what a turn produced (one commit per turn).
  static void defer(Executor& executor, std::function<void()> task);

  // Sends what the calling executor thread has in its outboxes now and runs its own tasks,
  // instead of at the end of the turn (for a task that is itself the end of a batch).
  static void flush_current();

 private:
  struct Outboxes {
    std::vector<std::vector<std::function<void()>>> to;  // by target
    bool flush_scheduled = false;
  };
  void flush(size_t from);

  std::vector<Executor*> executors_;
  std::vector<std::unique_ptr<Outboxes>> outboxes_;  // by posting executor
};

}  // namespace jindou::runtime
