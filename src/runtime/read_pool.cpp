#include "runtime/read_pool.h"

#include <pthread.h>

#include <algorithm>

namespace jindou::runtime {

ReadPool::ReadPool(size_t threads, const std::string& name) {
  for (size_t i = 0; i < std::max<size_t>(1, threads); ++i) {
    threads_.emplace_back([this, thread_name = name + "-" + std::to_string(i)] {
      pthread_setname_np(pthread_self(), thread_name.substr(0, 15).c_str());
      run();
    });
  }
}

ReadPool::~ReadPool() {
  stop();
}

void ReadPool::post(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      tasks_.push_back(std::move(task));
      cv_.notify_one();
      return;
    }
  }
  // Stopped: nobody would run it later, so it runs now (a completion must not be lost).
  try {
    task();
  } catch (...) {
    failed_tasks_.fetch_add(1, std::memory_order_relaxed);
  }
}

size_t ReadPool::queued() const {
  std::lock_guard lock(mu_);
  return tasks_.size();
}

void ReadPool::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void ReadPool::run() {
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

}  // namespace jindou::runtime
