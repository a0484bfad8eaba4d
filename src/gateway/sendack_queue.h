// SendackQueue: the SENDACKs a connection owes, in the order of its SENDs. Each SEND taken gets
// a slot; the engine may complete slots in any order (different channels live on different
// shards), but clients match SENDACKs to SENDs by order as much as by client_seq, so an answer
// leaves only when every earlier one has. The number of open slots also decides when the
// connection stops reading (at max_inflight) and when it reads again (below half of that).
//
// Thread: owned by one connection, used on its io thread only. Lifecycle: lives as long as the
// connection; clear() on close makes completions that arrive later harmless.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

#include "engine/send_types.h"
#include "proto/packet.h"

namespace jindou::gateway {

class SendackQueue {
 public:
  explicit SendackQueue(size_t max_inflight) : max_inflight_(max_inflight) {}

  // Takes the next slot for a SEND handed to the engine; returns its number.
  uint64_t take(uint8_t flags, uint32_t client_seq);
  // Takes a slot already answered (a SEND refused before reaching the engine): it still waits
  // for the SENDACKs of earlier SENDs.
  void take_answered(uint8_t flags, uint32_t client_seq, ReasonCode reason);
  // Records the engine's answer for `slot`. Unknown slots (already released, or the queue was
  // cleared) and slots already answered are ignored.
  void complete(uint64_t slot, const engine::SendResult& result);
  // The next SENDACK that may leave now (the oldest slot, when answered), removed from the queue.
  std::optional<proto::Sendack> release();

  size_t size() const { return slots_.size(); }
  bool empty() const { return slots_.empty(); }
  // Too many SENDs await their SENDACK: stop reading.
  bool full() const { return slots_.size() >= max_inflight_; }
  // Few enough are left to read again (hysteresis, so reading does not flap at the limit).
  bool drained_enough() const { return slots_.size() < max_inflight_ / 2; }
  // Forgets every open slot; their numbers are never reused, so late completions stay ignored.
  void clear() {
    base_ += slots_.size();
    slots_.clear();
  }

 private:
  struct Slot {
    bool answered = false;
    proto::Sendack ack;
  };
  size_t max_inflight_;
  std::deque<Slot> slots_;
  uint64_t base_ = 0;  // slot number of slots_.front()
};

}  // namespace jindou::gateway
