#include "runtime/read_pool.h"

#include <pthread.h>

#include <algorithm>

namespace jindou::runtime {

ReadPool::ReadPool(size_t threads, const std::string& name) {
  for (size_t i = 0; i < std::max<size_t>(1, threads); ++i) {
    threads_.emplace_back([this, thread_name = name + "-" + std::to_string(i)] {
      pthread_setname_np(pthread_self(), thread_name.substr(0, 15).c_str());
      queue_.work();
    });
  }
}

ReadPool::~ReadPool() {
  stop();
}

void ReadPool::post(std::function<void()> task) {
  // Stopped: nobody would run it later, so it runs now (a completion must not be lost).
  if (!queue_.push(task)) queue_.run(task);
}

void ReadPool::stop() {
  queue_.close();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

}  // namespace jindou::runtime
