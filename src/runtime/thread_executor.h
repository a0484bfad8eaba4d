// ThreadExecutor: an Executor on a thread of its own. The server runs whole-store searches on
// one (so io threads keep serving); engine tests use them as shard threads.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "runtime/executor.h"

namespace jindou::runtime {

class ThreadExecutor final : public Executor {
 public:
  ThreadExecutor() : thread_([this] { run(); }) {}
  ~ThreadExecutor() override { stop(); }

  void post(std::function<void()> task) override {
    {
      std::lock_guard lock(mu_);
      tasks_.push_back(std::move(task));
    }
    cv_.notify_one();
  }

  // Tasks that ended with an exception (the thread carries on with the next one).
  uint64_t failed_tasks() const { return failed_tasks_.load(std::memory_order_relaxed); }

  // Runs what is queued (and what that queues), then joins.
  void stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void run() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
        if (tasks_.empty()) return;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      try {
        task();
      } catch (...) {
        failed_tasks_.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::atomic<uint64_t> failed_tasks_{0};
  std::thread thread_;
};

}  // namespace jindou::runtime
