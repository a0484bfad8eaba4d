// IoPool: the server's io threads, one io_context each, and their ExecutorGroup. Shards and
// connections run on them.
//
// Lifecycle: start() launches the threads; stop() lets queued work finish, then joins.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "runtime/executor.h"
#include "runtime/executor_group.h"

namespace jindou::runtime {

class IoExecutor final : public runtime::Executor {
 public:
  explicit IoExecutor(boost::asio::io_context& ctx) : ctx_(ctx) {}
  void post(std::function<void()> task) override { boost::asio::post(ctx_, std::move(task)); }

 private:
  boost::asio::io_context& ctx_;
};

class IoPool {
 public:
  explicit IoPool(size_t threads);
  ~IoPool();

  void start();
  // Releases the keep-alive guards and joins: threads exit once their queues are empty.
  void stop();

  size_t size() const { return contexts_.size(); }
  boost::asio::io_context& context(size_t i) { return *contexts_[i]; }
  std::vector<boost::asio::io_context*> contexts();
  std::vector<runtime::Executor*> executors();
  // The io threads as one group with batched cross-thread posting; each thread is marked as its
  // member before it serves anything.
  ExecutorGroup& group() { return *group_; }

 private:
  using Guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<std::unique_ptr<IoExecutor>> executors_;
  std::unique_ptr<ExecutorGroup> group_;
  std::vector<Guard> guards_;
  std::vector<std::thread> threads_;
};

}  // namespace jindou::runtime
