// Fanout: the engine's DeliverySink. Finds every online connection of every recipient and posts
// the messages to the connections' io threads, one task per thread per batch.
//
// Thread: deliver() runs on shard threads; links are called on their own executors.
#pragma once

#include <atomic>
#include <vector>

#include "engine/delivery.h"
#include "engine/executor_group.h"
#include "engine/presence.h"

namespace jindou::engine {

// Told about recipients that had no connection (the webhook's msg.offline).
class OfflineListener {
 public:
  virtual ~OfflineListener() = default;
  virtual void offline(const std::shared_ptr<const Message>& message,
                       std::vector<std::string> uids) = 0;
};

class Fanout final : public DeliverySink {
 public:
  Fanout(PresenceTable& presence, ExecutorGroup& executors)
      : presence_(presence), executors_(executors) {}

  void set_offline_listener(OfflineListener* listener) { offline_ = listener; }
  void deliver(std::vector<Delivery> deliveries) override;

  uint64_t deliveries() const { return delivered_.load(std::memory_order_relaxed); }

 private:
  PresenceTable& presence_;
  ExecutorGroup& executors_;
  OfflineListener* offline_ = nullptr;
  std::atomic<uint64_t> delivered_{0};
};

}  // namespace jindou::engine
