#include "gateway/sendack_queue.h"

namespace jindou::gateway {

uint64_t SendackQueue::take(uint8_t flags, uint32_t client_seq) {
  Slot slot;
  slot.ack.flags = flags;
  slot.ack.client_seq = client_seq;
  slots_.push_back(slot);
  return base_ + slots_.size() - 1;
}

void SendackQueue::take_answered(uint8_t flags, uint32_t client_seq, ReasonCode reason) {
  Slot slot;
  slot.answered = true;
  slot.ack.flags = flags;
  slot.ack.client_seq = client_seq;
  slot.ack.reason_code = reason;
  slots_.push_back(slot);
}

void SendackQueue::complete(uint64_t slot, const engine::SendResult& result) {
  if (slot < base_ || slot - base_ >= slots_.size()) return;
  Slot& s = slots_[slot - base_];
  if (s.answered) return;
  s.answered = true;
  if (result.status.ok()) {
    s.ack.message_id = result.message_id;
    s.ack.message_seq = static_cast<uint32_t>(result.message_seq);
    s.ack.reason_code = ReasonCode::kSuccess;
  } else {
    // Every failure names a reason on the wire; one without a wkproto reason is the server's.
    const ReasonCode reason = result.status.error().reason;
    s.ack.reason_code = reason == ReasonCode::kUnknown ? ReasonCode::kSystemError : reason;
  }
}

std::optional<proto::Sendack> SendackQueue::release() {
  if (slots_.empty() || !slots_.front().answered) return std::nullopt;
  proto::Sendack ack = slots_.front().ack;
  slots_.pop_front();
  ++base_;
  return ack;
}

}  // namespace jindou::gateway
