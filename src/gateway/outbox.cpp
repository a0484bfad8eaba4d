#include "gateway/outbox.h"

#include <algorithm>

namespace jindou::gateway {

std::string& Outbox::buffer_for(size_t expected) {
  const bool shared = framing_ == OutboxFraming::kStream;
  if (shared && !queued_.empty() && queued_.back().size() + expected <= kChunkBytes) {
    return queued_.back();
  }
  queued_.emplace_back();
  queued_.back().reserve(shared ? std::max(expected, kChunkBytes) : expected);
  return queued_.back();
}

bool Outbox::appended(size_t bytes) {
  cost_ += cost_of(bytes);
  ++queued_packets_;
  return cost_ <= max_bytes_;
}

bool Outbox::push(std::string packet) {
  const size_t n = packet.size();
  std::string& out = buffer_for(n);
  if (out.empty()) {
    out = std::move(packet);
  } else {
    out.append(packet);
  }
  return appended(n);
}

size_t Outbox::start_write() {
  in_flight_ = true;
  writing_.swap(queued_);
  return std::exchange(queued_packets_, 0);
}

size_t Outbox::finish_write() {
  in_flight_ = false;
  size_t bytes = 0;
  for (const auto& b : writing_) {
    bytes += b.size();
    // A shared buffer's packets were each charged their bytes only, so its cost is its size.
    cost_ -= framing_ == OutboxFraming::kStream ? b.size() : cost_of(b.size());
  }
  writing_.clear();
  return bytes;
}

}  // namespace jindou::gateway
