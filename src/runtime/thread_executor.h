// ThreadExecutor: an Executor on a thread of its own. The server runs whole-store searches on
// one (so io threads keep serving); engine tests use them as shard threads.
#pragma once

#include <cstdint>
#include <functional>
#include <thread>

#include "runtime/executor.h"
#include "runtime/task_queue.h"

namespace jindou::runtime {

class ThreadExecutor final : public Executor {
 public:
  ThreadExecutor() : thread_([this] { queue_.work(); }) {}
  ~ThreadExecutor() override { stop(); }

  // Runs `task` on this executor's thread after what is queued (nothing after stop()).
  void post(std::function<void()> task) override { queue_.push(task); }

  // Tasks that ended with an exception (the thread carries on with the next one).
  uint64_t failed_tasks() const { return queue_.failed(); }

  // Runs what is queued (and what that queues), then joins.
  void stop() {
    queue_.close();
    if (thread_.joinable()) thread_.join();
  }

 private:
  TaskQueue queue_;
  std::thread thread_;
};

}  // namespace jindou::runtime
