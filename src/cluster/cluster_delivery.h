// ClusterDelivery: the engine's DeliverySink in cluster mode. What the shards of this node
// deliver (stored messages after their commit, unstored ones, v5 events) goes to this node's
// connections and, published once on jd.deliver, to every other node's connections. Live
// delivery is at most once, as on one node: a client that misses a RECV finds the message with
// /channel/messagesync or a reconnect.
//
// Threads: deliver() on shard threads; deliveries of other nodes on nats.c delivery threads.
#pragma once

#include <atomic>
#include <cstdint>

#include "cluster/nats_link.h"
#include "engine/delivery.h"
#include "engine/fanout.h"

namespace jindou::cluster {

class ClusterDelivery : public engine::DeliverySink {
 public:
  explicit ClusterDelivery(uint16_t self) : self_(self) {}

  // Set before the first delivery.
  void set_local(engine::Fanout* local) { local_ = local; }
  Status start(NatsLink& link);

  void deliver(std::vector<engine::Delivery> deliveries) override;
  void deliver_events(std::vector<engine::EventDelivery> events) override;

  uint64_t received_from_others() const { return received_.load(); }

 private:
  void on_message(NatsMessage m);

  const uint16_t self_;
  engine::Fanout* local_ = nullptr;
  NatsLink* link_ = nullptr;
  std::atomic<uint64_t> received_{0};
};

}  // namespace jindou::cluster
