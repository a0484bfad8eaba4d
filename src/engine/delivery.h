// DeliverySink: how the engine hands committed messages to whoever holds client connections.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/client_event.h"
#include "engine/send_types.h"
#include "model/message.h"

namespace jindou::engine {

struct Delivery {
  std::shared_ptr<const Message> message;
  // uids; the gateway finds their connections. Shared: a group's subscriber list is not copied.
  std::shared_ptr<const std::vector<std::string>> recipients;
  uint64_t skip_connection = 0;  // the sending connection (gets a SENDACK, no RECV)
};

class DeliverySink {
 public:
  virtual ~DeliverySink() = default;
  // Called on a shard thread, in commit order per channel, with the batch of one shard flush.
  virtual void deliver(std::vector<Delivery> deliveries) = 0;
  // Events for v5 connections, after the deliveries of the same flush (same thread rules).
  virtual void deliver_events(std::vector<EventDelivery> events) = 0;
};

}  // namespace jindou::engine
