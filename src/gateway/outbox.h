// Outbox: a connection's output between the io loop turn that queued it and the transport that
// writes it. Everything queued in one turn goes out in one write; while a write is in flight the
// next batch gathers behind it.
//
// Over raw TCP packets share 64 KiB buffers (one gathered write, few allocations). Over
// WebSocket every packet is a message of its own, so it gets a buffer of its own, and that
// buffer's overhead counts against the budget too: many tiny packets must not slip past it.
// Bytes queued or being written beyond max_outbound_bytes mean the client does not read fast
// enough (a slow consumer): the caller closes the connection.
//
// Thread: owned by one connection, used on its io thread only. The buffers handed to the
// transport by start_write() stay untouched until finish_write(), even across clear().
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace jindou::gateway {

enum class OutboxFraming {
  kStream,           // TCP: packets packed into shared buffers
  kBufferPerPacket,  // WebSocket: one buffer (one message) per packet
};

class Outbox {
 public:
  Outbox(size_t max_bytes, OutboxFraming framing) : max_bytes_(max_bytes), framing_(framing) {}

  // The buffer the next packet of about `expected` bytes is appended to; report it with
  // appended() once written.
  std::string& buffer_for(size_t expected);
  // Accounts one packet of `bytes` just appended. False when the output is now over budget.
  bool appended(size_t bytes);
  // Queues one encoded packet. False when the output is now over budget.
  bool push(std::string packet);

  bool has_queued() const { return !queued_.empty(); }
  bool write_in_flight() const { return in_flight_; }
  // Hands the queued buffers to the transport (see writing()); returns how many packets they
  // hold. Only when has_queued() and no write is in flight.
  size_t start_write();
  std::vector<std::string>& writing() { return writing_; }
  // The transport is done with writing(); returns the bytes it held.
  size_t finish_write();
  // Drops what is queued (the connection closed); a write in flight stays until it finishes.
  void clear() { queued_.clear(); }

  // Bytes queued or being written, with the per-buffer overhead where it applies.
  size_t cost() const { return cost_; }
  size_t max_bytes() const { return max_bytes_; }

  // What a shared buffer holds at most, and what a buffer of its own costs beyond its bytes (a
  // string object and its heap block, roughly).
  static constexpr size_t kChunkBytes = 64 * 1024;
  static constexpr size_t kBufferOverhead = 64;

 private:
  size_t cost_of(size_t bytes) const {
    return bytes + (framing_ == OutboxFraming::kBufferPerPacket ? kBufferOverhead : 0);
  }

  size_t max_bytes_;
  OutboxFraming framing_;
  std::vector<std::string> queued_;   // not yet handed to the transport
  std::vector<std::string> writing_;  // handed to the transport
  size_t queued_packets_ = 0;
  size_t cost_ = 0;
  bool in_flight_ = false;
};

}  // namespace jindou::gateway
