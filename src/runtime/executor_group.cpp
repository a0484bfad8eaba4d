#include "runtime/executor_group.h"

#include <iterator>

namespace jindou::runtime {
namespace {

struct CurrentExecutor {
  ExecutorGroup* group = nullptr;
  int index = -1;
};
thread_local CurrentExecutor current;

using Batch = std::vector<std::function<void()>>;

// Runs a batch posted from another thread. Should a task throw, the rest still runs, in order,
// as a task of its own, and the io loop reports the exception.
void run_batch(Executor& executor, Batch& batch, size_t first) {
  for (size_t i = first; i < batch.size(); ++i) {
    try {
      batch[i]();
    } catch (...) {
      if (i + 1 < batch.size()) {
        executor.post([&executor, rest = std::move(batch), next = i + 1]() mutable {
          run_batch(executor, rest, next);
        });
      }
      throw;
    }
  }
}

}  // namespace

ExecutorGroup::ExecutorGroup(std::vector<Executor*> executors) : executors_(std::move(executors)) {
  for (size_t i = 0; i < executors_.size(); ++i) {
    auto o = std::make_unique<Outboxes>();
    o->to.resize(executors_.size());
    outboxes_.push_back(std::move(o));
  }
}

void ExecutorGroup::set_current(ExecutorGroup* group, int index) {
  current = CurrentExecutor{group, index};
}

void ExecutorGroup::post(size_t target, std::function<void()> task) {
  if (current.group != this || current.index < 0) {
    executors_[target]->post(std::move(task));
    return;
  }
  const auto from = static_cast<size_t>(current.index);
  Outboxes& o = *outboxes_[from];
  o.to[target].push_back(std::move(task));
  if (!o.flush_scheduled) {
    o.flush_scheduled = true;
    // Runs after what this thread already has queued: the end of the current turn.
    executors_[from]->post([this, from] { flush(from); });
  }
}

void ExecutorGroup::flush(size_t from) {
  Outboxes& o = *outboxes_[from];
  o.flush_scheduled = false;
  for (size_t target = 0; target < o.to.size(); ++target) {
    if (target == from) continue;
    auto& tasks = o.to[target];
    if (tasks.empty()) continue;
    if (tasks.size() == 1) {
      executors_[target]->post(std::move(tasks.front()));
    } else {
      Executor& executor = *executors_[target];
      executor.post(
          [&executor, batch = std::move(tasks)]() mutable { run_batch(executor, batch, 0); });
    }
    tasks = {};
  }
  // Tasks for this very thread run here, at the end of the turn they were posted in, rather
  // than one more turn later; what they post to this thread runs here too.
  while (!o.to[from].empty()) {
    auto own = std::move(o.to[from]);
    o.to[from] = {};
    for (size_t i = 0; i < own.size(); ++i) {
      try {
        own[i]();
      } catch (...) {
        // Keep what has not run (ahead of anything posted meanwhile) for the next flush, then
        // let the io loop report the exception.
        auto& rest = o.to[from];
        rest.insert(rest.begin(), std::make_move_iterator(own.begin() + static_cast<long>(i) + 1),
                    std::make_move_iterator(own.end()));
        if (!rest.empty() && !o.flush_scheduled) {
          o.flush_scheduled = true;
          executors_[from]->post([this, from] { flush(from); });
        }
        throw;
      }
    }
  }
}

void ExecutorGroup::defer(Executor& executor, std::function<void()> task) {
  ExecutorGroup* group = current.group;
  if (group != nullptr && current.index >= 0 &&
      group->executors_[static_cast<size_t>(current.index)] == &executor) {
    group->post(static_cast<size_t>(current.index), std::move(task));
    return;
  }
  executor.post(std::move(task));
}

void ExecutorGroup::flush_current() {
  if (current.group != nullptr && current.index >= 0) {
    current.group->flush(static_cast<size_t>(current.index));
  }
}

}  // namespace jindou::runtime
