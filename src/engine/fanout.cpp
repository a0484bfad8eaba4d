#include "engine/fanout.h"

namespace jindou::engine {

namespace {
struct Item {
  std::shared_ptr<ClientLink> link;
  std::shared_ptr<const Message> message;
};
}  // namespace

void Fanout::deliver(std::vector<Delivery> deliveries) {
  std::vector<std::vector<Item>> per_executor(executors_.size());
  uint64_t count = 0;
  for (auto& d : deliveries) {
    if (!d.recipients) continue;
    for (const auto& uid : *d.recipients) {
      presence_.for_each(uid, [&](const Link& l) {
        if (l.info.id == d.skip_connection) return;
        per_executor[l.info.executor % executors_.size()].push_back(Item{l.link, d.message});
        ++count;
      });
    }
  }
  delivered_.fetch_add(count, std::memory_order_relaxed);
  for (size_t i = 0; i < per_executor.size(); ++i) {
    if (per_executor[i].empty()) continue;
    executors_.post(i, [items = std::move(per_executor[i])] {
      for (const auto& item : items) item.link->deliver(item.message);
    });
  }
}

void Fanout::deliver_events(std::vector<EventDelivery> events) {
  struct EventItem {
    std::shared_ptr<ClientLink> link;
    std::shared_ptr<const ClientEvent> event;
  };
  std::vector<std::vector<EventItem>> per_executor(executors_.size());
  uint64_t count = 0;
  for (auto& e : events) {
    if (!e.recipients) continue;
    for (const auto& uid : *e.recipients) {
      presence_.for_each(uid, [&](const Link& l) {
        if (l.info.version < 5) return;  // older clients have no EVENT packet
        per_executor[l.info.executor % executors_.size()].push_back(EventItem{l.link, e.event});
        ++count;
      });
    }
  }
  events_.fetch_add(count, std::memory_order_relaxed);
  for (size_t i = 0; i < per_executor.size(); ++i) {
    if (per_executor[i].empty()) continue;
    executors_.post(i, [items = std::move(per_executor[i])] {
      for (const auto& item : items) item.link->deliver_event(item.event);
    });
  }
}

}  // namespace jindou::engine
