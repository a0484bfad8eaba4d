// TaskQueue: the queue behind ThreadExecutor and ReadPool — tasks taken in order by the worker
// threads that call work(); a task that throws is counted and its worker goes on.
//
// Threads: push(), close(), size() from any thread. Lifecycle: close() lets the workers finish
// what is queued (and what those tasks queue), then their work() returns; once no worker is
// left, push() queues nothing.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>

namespace jindou::runtime {

class TaskQueue {
 public:
  // Queues `task` (moving it out); false, leaving it as it was, once closed with no worker left
  // to run it.
  bool push(std::function<void()>& task) {
    {
      std::lock_guard lock(mu_);
      if (closed_ && workers_ == 0) return false;
      tasks_.push_back(std::move(task));
    }
    cv_.notify_one();
    return true;
  }

  // Runs tasks on the calling thread until the queue is closed and empty.
  void work() {
    {
      std::lock_guard lock(mu_);
      ++workers_;
    }
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return closed_ || !tasks_.empty(); });
        if (tasks_.empty()) {
          --workers_;
          return;
        }
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      run(task);
    }
  }

  void close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }

  // Runs `task` here, counting it as failed if it throws.
  void run(const std::function<void()>& task) {
    try {
      task();
    } catch (...) {
      failed_.fetch_add(1, std::memory_order_relaxed);
    }
  }

  size_t size() const {
    std::lock_guard lock(mu_);
    return tasks_.size();
  }
  uint64_t failed() const { return failed_.load(std::memory_order_relaxed); }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool closed_ = false;
  int workers_ = 0;
  std::atomic<uint64_t> failed_{0};
};

}  // namespace jindou::runtime
