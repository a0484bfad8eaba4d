// ClusterDelivery: the engine's DeliverySink in cluster mode. What the shards of this node
// deliver (stored messages after their commit, unstored ones, v5 events) goes to this node's
// connections and, published once on jd.deliver, to every other node's connections. Live
// delivery is at most once, as on one node: a client that misses a RECV finds the message with
// /channel/messagesync or a reconnect.
//
// Per channel, a message is delivered only if its seq is above the last one this node delivered:
// when a partition changes owner, the old owner may deliver late (it was paused) what the new
// owner's later messages already passed; such a message is dropped rather than delivered out of
// order (the client reads it by sync). Remembered for the most recent channels (bounded).
//
// Threads: deliver() on shard threads; deliveries of other nodes on nats.c delivery threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <unordered_map>

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
  uint64_t dropped_out_of_order() const { return dropped_.load(); }

 private:
  void on_message(const NatsMessage& m);
  // Removes the deliveries that would go out of seq order (stored messages only).
  void keep_in_order(std::vector<engine::Delivery>& deliveries);

  const uint16_t self_;
  engine::Fanout* local_ = nullptr;
  NatsLink* link_ = nullptr;
  std::atomic<uint64_t> received_{0};
  std::atomic<uint64_t> dropped_{0};
  std::mutex order_mu_;
  std::unordered_map<ChannelKey, uint64_t, ChannelKeyHash> last_delivered_;
};

}  // namespace jindou::cluster
