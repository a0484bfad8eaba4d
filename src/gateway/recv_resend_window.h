// RecvResendWindow: the RECVs a connection wrote that still await their RECVACK, kept so they
// can be written again when the client does not acknowledge them in time.
//
// Entries are in the order they were written, which is also the order of their deadlines (the
// retry interval is fixed and a resent entry moves to the back); clients acknowledge in order,
// so acknowledging and resending both work at the front. The window is bounded by a count and
// by payload bytes: over either, the oldest entries are no longer resent (the client can still
// sync them). RECVACKs are only looked up while the client has an allowance for them, earned one
// per RECV written and capped at twice the window, so a client cannot make the server search the
// window for acknowledgements of nothing, over and over.
//
// Thread: owned by one connection, used on its io thread only. Lifecycle: lives as long as the
// connection; clear() on close.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <vector>

#include "model/message.h"

namespace jindou::gateway {

using Clock = std::chrono::steady_clock;

struct RecvResendOptions {
  size_t max_count = 4096;
  size_t max_payload_bytes = 32u << 20;
  std::chrono::milliseconds retry_interval{std::chrono::seconds(60)};
  int retry_max = 5;  // resends per RECV
};

class RecvResendWindow {
 public:
  struct Entry {
    std::shared_ptr<const Message> message;  // null once acknowledged
    int64_t message_id = 0;
    int attempts = 0;  // resends so far
    Clock::time_point next_at;
  };

  explicit RecvResendWindow(RecvResendOptions options) : options_(options) {}

  // A RECV (first write or resend, stored or not) went into the output: one more RECVACK is
  // worth looking up.
  void count_written();
  // Keeps `message`, just written for the first time, for resending after the retry interval.
  void keep(std::shared_ptr<const Message> message, Clock::time_point now);
  // A RECVACK arrived. True when it acknowledged a kept RECV.
  bool acknowledge(int64_t message_id);
  // Removes and returns the entries due at `now` that may still be resent, their attempt
  // counted and their next deadline set; those out of attempts are dropped. Hand each one
  // actually written again back with requeue().
  std::vector<Entry> take_due(Clock::time_point now);
  void requeue(Entry entry);
  void clear();

  size_t size() const { return live_; }
  size_t payload_bytes() const { return bytes_; }
  size_t ack_allowance() const { return allowance_; }

 private:
  void add(Entry entry);
  void forget(const Entry& e) {
    --live_;
    bytes_ -= e.message->payload.size();
  }
  void pop_acknowledged();

  RecvResendOptions options_;
  std::deque<Entry> entries_;
  size_t live_ = 0;   // entries with a message
  size_t bytes_ = 0;  // their payload bytes
  size_t allowance_ = 0;
};

}  // namespace jindou::gateway
