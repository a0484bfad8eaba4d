// Fanout: the engine's DeliverySink. Finds every online connection of every recipient and posts
// the messages to the connections' io threads, one task per thread per batch.
//
// Thread: deliver() runs on shard threads; links are called on their own executors.
#pragma once

#include <atomic>
#include <vector>

#include "engine/delivery.h"
#include "engine/presence.h"
#include "runtime/executor_group.h"

namespace jindou::engine {

class Fanout final : public DeliverySink {
 public:
  Fanout(PresenceTable& presence, runtime::ExecutorGroup& executors)
      : presence_(presence), executors_(executors) {}

  void deliver(std::vector<Delivery> deliveries) override;
  void deliver_events(std::vector<EventDelivery> events) override;

  uint64_t deliveries() const { return delivered_.load(std::memory_order_relaxed); }
  uint64_t events() const { return events_.load(std::memory_order_relaxed); }

 private:
  PresenceTable& presence_;
  runtime::ExecutorGroup& executors_;
  std::atomic<uint64_t> delivered_{0};
  std::atomic<uint64_t> events_{0};
};

}  // namespace jindou::engine
