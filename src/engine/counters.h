// Node-wide counters shown by /varz and /metrics. Relaxed atomics: cheap to bump from any thread.
#pragma once

#include <atomic>
#include <cstdint>

namespace jindou::engine {

struct Counters {
  std::atomic<uint64_t> connections_accepted{0};
  std::atomic<uint64_t> connections_closed{0};
  std::atomic<uint64_t> in_packets{0};
  std::atomic<uint64_t> out_packets{0};
  std::atomic<uint64_t> in_bytes{0};
  std::atomic<uint64_t> out_bytes{0};
  std::atomic<uint64_t> client_sends{0};
  std::atomic<uint64_t> recvs_sent{0};
  std::atomic<uint64_t> recv_retries{0};
  std::atomic<uint64_t> slow_consumers{0};
  std::atomic<uint64_t> read_pauses{0};  // connections that stopped reading until acks drained
  std::atomic<uint64_t> protocol_errors{0};

  static void add(std::atomic<uint64_t>& c, uint64_t n = 1) {
    c.fetch_add(n, std::memory_order_relaxed);
  }
};

}  // namespace jindou::engine
