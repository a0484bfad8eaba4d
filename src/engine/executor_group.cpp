#include "engine/executor_group.h"

namespace jindou::engine {
namespace {

struct CurrentExecutor {
  const ExecutorGroup* group = nullptr;
  int index = -1;
};
thread_local CurrentExecutor current;

}  // namespace

ExecutorGroup::ExecutorGroup(std::vector<Executor*> executors) : executors_(std::move(executors)) {
  for (size_t i = 0; i < executors_.size(); ++i) {
    auto o = std::make_unique<Outboxes>();
    o->to.resize(executors_.size());
    outboxes_.push_back(std::move(o));
  }
}

void ExecutorGroup::set_current(const ExecutorGroup* group, int index) {
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
    auto& tasks = o.to[target];
    if (tasks.empty()) continue;
    if (tasks.size() == 1) {
      executors_[target]->post(std::move(tasks.front()));
    } else {
      executors_[target]->post([batch = std::move(tasks)] {
        for (const auto& t : batch) t();
      });
    }
    tasks = {};
  }
}

}  // namespace jindou::engine
