// ReadPool: a few threads of their own for work that may wait for the disk (store reads on a
// cache miss, history pages), so that io threads — which also run the shards — never do.
// Callers post a read and post its completion back to where it belongs (a shard's or a
// connection's executor).
//
// Threads: post() is safe from any thread; tasks run on any pool thread, in no particular
// order. Lifecycle: stop() runs what is queued, then joins (posts after that run inline).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "runtime/executor.h"
#include "runtime/task_queue.h"

namespace jindou::runtime {

class ReadPool final : public Executor {
 public:
  explicit ReadPool(size_t threads, const std::string& name = "read");
  ~ReadPool() override;
  ReadPool(const ReadPool&) = delete;
  ReadPool& operator=(const ReadPool&) = delete;

  void post(std::function<void()> task) override;
  void stop();

  size_t threads() const { return threads_.size(); }
  // Tasks that ended with an exception (the thread carries on with the next one).
  uint64_t failed_tasks() const { return queue_.failed(); }
  // Tasks queued and not yet started.
  size_t queued() const { return queue_.size(); }

 private:
  TaskQueue queue_;
  std::vector<std::thread> threads_;
};

}  // namespace jindou::runtime
