// Node-wide counters shown by /varz and /metrics, bumped from every io thread.
//
// Each counter keeps one cache line per thread slot, so two io threads bumping the same counter
// (a RECV delivered, a packet read) never contend for a line; a reader sums the slots.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace jindou::engine {

class ShardedCounter {
 public:
  void add(uint64_t n = 1) {
    slots_[slot_of_this_thread()].value.fetch_add(n, std::memory_order_relaxed);
  }
  uint64_t load() const {
    uint64_t sum = 0;
    for (const auto& s : slots_) sum += s.value.load(std::memory_order_relaxed);
    return sum;
  }

 private:
  static constexpr size_t kSlots = 16;  // threads beyond 16 share slots (still correct)
  struct alignas(64) Slot {
    std::atomic<uint64_t> value{0};
  };
  static size_t slot_of_this_thread() {
    static std::atomic<size_t> next{0};
    thread_local const size_t slot = next.fetch_add(1, std::memory_order_relaxed) % kSlots;
    return slot;
  }
  std::array<Slot, kSlots> slots_{};
};

struct Counters {
  ShardedCounter connections_accepted;
  ShardedCounter connections_closed;
  ShardedCounter in_packets;
  ShardedCounter out_packets;
  ShardedCounter in_bytes;
  ShardedCounter out_bytes;
  ShardedCounter client_sends;
  ShardedCounter recvs_sent;
  ShardedCounter events_sent;  // EVENT packets (v5 connections)
  ShardedCounter recv_retries;
  ShardedCounter slow_consumers;
  ShardedCounter read_pauses;  // connections that stopped reading until acks drained
  ShardedCounter protocol_errors;

  static void add(ShardedCounter& c, uint64_t n = 1) { c.add(n); }
};

}  // namespace jindou::engine
