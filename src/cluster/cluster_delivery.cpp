#include "cluster/cluster_delivery.h"

#include <spdlog/spdlog.h>

#include "cluster/wire.h"
#include "store/encoding.h"

namespace jindou::cluster {

namespace {
constexpr const char* kSubject = "jd.deliver";
// Channels whose last delivered seq is remembered; beyond it the memory starts over.
constexpr size_t kRememberedChannels = 200'000;
}  // namespace

void ClusterDelivery::keep_in_order(std::vector<engine::Delivery>& deliveries) {
  std::lock_guard lock(order_mu_);
  if (last_delivered_.size() > kRememberedChannels) last_delivered_.clear();
  size_t kept = 0;
  for (auto& d : deliveries) {
    const Message& m = *d.message;
    if (m.message_seq != 0) {
      uint64_t& last = last_delivered_[m.channel];
      if (m.message_seq <= last) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      last = m.message_seq;
    }
    if (&deliveries[kept] != &d) deliveries[kept] = std::move(d);
    ++kept;
  }
  deliveries.resize(kept);
}

Status ClusterDelivery::start(NatsLink& link) {
  link_ = &link;
  auto sub = link.subscribe(kSubject, [this](const NatsMessage& m) { on_message(m); });
  if (!sub.ok()) return sub.error();
  return Status{};
}

void ClusterDelivery::deliver(std::vector<engine::Delivery> deliveries) {
  if (deliveries.empty()) return;
  if (link_ != nullptr) {
    std::string data;
    store::put_u16(data, self_);
    data += encode_deliveries(deliveries);
    (void)link_->publish(kSubject, data);
  }
  keep_in_order(deliveries);
  if (local_ != nullptr && !deliveries.empty()) local_->deliver(std::move(deliveries));
}

void ClusterDelivery::deliver_events(std::vector<engine::EventDelivery> events) {
  if (events.empty()) return;
  if (link_ != nullptr) {
    std::string data;
    store::put_u16(data, self_);
    data += encode_events(events);
    (void)link_->publish(kSubject, data);
  }
  if (local_ != nullptr) local_->deliver_events(std::move(events));
}

void ClusterDelivery::on_message(const NatsMessage& m) {
  if (m.data.size() < 3 || local_ == nullptr) return;
  if (store::get_u16(m.data.data()) == self_) return;  // delivered here already
  const std::string_view body = std::string_view(m.data).substr(2);
  received_.fetch_add(1, std::memory_order_relaxed);
  if (body.front() == 'm') {
    auto deliveries = decode_deliveries(body);
    if (!deliveries) {
      spdlog::warn("a malformed delivery from another node was dropped");
      return;
    }
    keep_in_order(*deliveries);
    if (!deliveries->empty()) local_->deliver(std::move(*deliveries));
  } else {
    auto events = decode_events(body);
    if (!events) {
      spdlog::warn("a malformed event delivery from another node was dropped");
      return;
    }
    local_->deliver_events(std::move(*events));
  }
}

}  // namespace jindou::cluster
