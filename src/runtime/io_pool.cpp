#include "runtime/io_pool.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

namespace jindou::runtime {

IoPool::IoPool(size_t threads) {
  for (size_t i = 0; i < threads; ++i) {
    contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
    executors_.push_back(std::make_unique<IoExecutor>(*contexts_.back()));
  }
  group_ = std::make_unique<ExecutorGroup>(executors());
}

IoPool::~IoPool() {
  stop();
}

void IoPool::start() {
  for (size_t i = 0; i < contexts_.size(); ++i) {
    guards_.emplace_back(contexts_[i]->get_executor());
    threads_.emplace_back([this, i] {
      const std::string name = "io-" + std::to_string(i);
      pthread_setname_np(pthread_self(), name.c_str());
      ExecutorGroup::set_current(group_.get(), static_cast<int>(i));
      for (;;) {
        try {
          contexts_[i]->run();
          return;
        } catch (const std::exception& e) {
          // A handler threw: log it and keep the thread serving.
          spdlog::error("{}: unexpected exception in a handler: {}", name, e.what());
        }
      }
    });
  }
}

void IoPool::stop() {
  guards_.clear();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

std::vector<boost::asio::io_context*> IoPool::contexts() {
  std::vector<boost::asio::io_context*> out;
  for (auto& c : contexts_) out.push_back(c.get());
  return out;
}

std::vector<runtime::Executor*> IoPool::executors() {
  std::vector<runtime::Executor*> out;
  for (auto& e : executors_) out.push_back(e.get());
  return out;
}

}  // namespace jindou::runtime
