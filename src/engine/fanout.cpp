#include "engine/fanout.h"

namespace jindou::engine {
namespace {

// Hands every batch in `batches` (each with `recipients` and a shared payload) to the online
// links of its recipients that `accepts`, one posted task per io thread, where `hand` gives the
// payload to the link. Returns how many links got one.
template <class Batch, class Payload, class Accepts, class Hand>
uint64_t fan_out(const PresenceTable& presence, runtime::ExecutorGroup& executors,
                 std::vector<Batch>& batches, Payload Batch::*payload, Accepts accepts, Hand hand) {
  using Value = std::remove_cvref_t<decltype(std::declval<Batch&>().*payload)>;
  struct Item {
    std::shared_ptr<ClientLink> link;
    Value value;
  };
  std::vector<std::vector<Item>> per_executor(executors.size());
  uint64_t count = 0;
  for (auto& b : batches) {
    if (!b.recipients) continue;
    for (const auto& uid : *b.recipients) {
      presence.for_each(uid, [&](const Link& l) {
        if (!accepts(b, l)) return;
        per_executor[l.info.executor % executors.size()].push_back(Item{l.link, b.*payload});
        ++count;
      });
    }
  }
  for (size_t i = 0; i < per_executor.size(); ++i) {
    if (per_executor[i].empty()) continue;
    executors.post(i, [items = std::move(per_executor[i]), hand] {
      for (const auto& item : items) hand(*item.link, item.value);
    });
  }
  return count;
}

}  // namespace

void Fanout::deliver(std::vector<Delivery> deliveries) {
  const uint64_t n = fan_out(
      presence_, executors_, deliveries, &Delivery::message,
      [](const Delivery& d, const Link& l) { return l.info.id != d.skip_connection; },
      [](ClientLink& link, const std::shared_ptr<const Message>& m) { link.deliver(m); });
  delivered_.fetch_add(n, std::memory_order_relaxed);
}

void Fanout::deliver_events(std::vector<EventDelivery> events) {
  const uint64_t n = fan_out(
      presence_, executors_, events, &EventDelivery::event,
      // Older clients have no EVENT packet.
      [](const EventDelivery&, const Link& l) { return l.info.version >= 5; },
      [](ClientLink& link, const std::shared_ptr<const ClientEvent>& e) { link.deliver_event(e); });
  events_.fetch_add(n, std::memory_order_relaxed);
}

}  // namespace jindou::engine
