#include "runtime/executor_group.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/thread_executor.h"

namespace jindou::runtime {
namespace {

// Two executor threads that know themselves as members 0 and 1 of the group, and a log of what
// ran where, in order.
class ExecutorGroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 2; ++i) {
      std::promise<void> attached;
      threads_[i].post([this, i, &attached] {
        ExecutorGroup::set_current(&group_, i);
        attached.set_value();
      });
      attached.get_future().wait();
    }
  }
  void TearDown() override {
    for (auto& t : threads_) {
      t.post([] { ExecutorGroup::set_current(nullptr, -1); });
      t.stop();
    }
  }
  void log(const std::string& what) {
    std::lock_guard lock(mu_);
    log_.push_back(what);
  }
  // Waits until everything queued on both threads so far (and what it queues) has run.
  std::vector<std::string> settled() {
    for (int round = 0; round < 3; ++round) {
      for (auto& t : threads_) {
        std::promise<void> done;
        t.post([&done] { done.set_value(); });
        done.get_future().wait();
      }
    }
    std::lock_guard lock(mu_);
    return log_;
  }

  ThreadExecutor threads_[2];
  ExecutorGroup group_{{&threads_[0], &threads_[1]}};
  std::mutex mu_;
  std::vector<std::string> log_;
};

TEST_F(ExecutorGroupTest, PostsToAnotherThreadArriveInOrder) {
  threads_[0].post([this] {
    for (int i = 0; i < 5; ++i) {
      group_.post(1, [this, i] { log("b" + std::to_string(i)); });
    }
  });
  EXPECT_EQ(settled(), (std::vector<std::string>{"b0", "b1", "b2", "b3", "b4"}));
}

// A task a thread posts to itself runs at the end of the turn it was posted in, ahead of work
// queued behind that turn, and so does what it posts to itself in turn.
TEST_F(ExecutorGroupTest, OwnTasksRunAtTheEndOfTheirTurn) {
  std::promise<void> gate;
  auto open = gate.get_future().share();
  threads_[0].post([open] { open.wait(); });  // holds the thread while the turn is queued
  threads_[0].post([this] {
    log("a");
    group_.post(0, [this] {
      log("x");
      group_.post(0, [this] { log("y"); });
    });
  });
  threads_[0].post([this] {
    log("b");
    threads_[0].post([this] { log("c"); });  // behind the end of the turn
  });
  gate.set_value();
  EXPECT_EQ(settled(), (std::vector<std::string>{"a", "b", "x", "y", "c"}));
}

TEST_F(ExecutorGroupTest, DeferJoinsTheTurnOnItsOwnThreadAndPostsElsewhere) {
  threads_[0].post([this] {
    ExecutorGroup::defer(threads_[0], [this] { log("own"); });
    ExecutorGroup::defer(threads_[1], [this] { log("other"); });
    threads_[0].post([this] { log("later"); });
    log("first");
  });
  const auto order = settled();
  ASSERT_EQ(order.size(), 4u);
  // "own" runs at the end of the turn: after the task that deferred it, before "later";
  // "other" runs on the other thread, at any point.
  const auto pos = [&](const std::string& s) { return std::find(order.begin(), order.end(), s); };
  EXPECT_LT(pos("first"), pos("own"));
  EXPECT_LT(pos("own"), pos("later"));
  EXPECT_NE(pos("other"), order.end());

  // From a thread outside the group it is a plain post.
  std::promise<void> ran;
  ExecutorGroup::defer(threads_[1], [&ran] { ran.set_value(); });
  EXPECT_EQ(ran.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
}

TEST_F(ExecutorGroupTest, FlushCurrentRunsOwnTasksAtOnce) {
  threads_[0].post([this] {
    group_.post(0, [this] { log("own"); });
    ExecutorGroup::flush_current();
    log("after flush");
  });
  EXPECT_EQ(settled(), (std::vector<std::string>{"own", "after flush"}));
}

// A task that throws takes neither the rest of its batch nor later tasks with it.
TEST_F(ExecutorGroupTest, TasksAfterOneThatThrowsStillRunInOrder) {
  threads_[0].post([this] {
    group_.post(1, [this] { log("b0"); });
    group_.post(1, [] { throw std::runtime_error("task failed"); });
    group_.post(1, [this] { log("b1"); });
    group_.post(1, [this] { log("b2"); });
    group_.post(0, [] { throw std::runtime_error("own task failed"); });
    group_.post(0, [this] { log("a0"); });
  });
  const auto order = settled();
  const auto pos = [&](const std::string& s) { return std::find(order.begin(), order.end(), s); };
  ASSERT_EQ(order.size(), 4u);
  EXPECT_LT(pos("b0"), pos("b1"));
  EXPECT_LT(pos("b1"), pos("b2"));
  EXPECT_NE(pos("a0"), order.end());
  EXPECT_EQ(threads_[0].failed_tasks() + threads_[1].failed_tasks(), 2u);
}

}  // namespace
}  // namespace jindou::runtime
