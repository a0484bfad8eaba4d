// Membership: which nodes are alive, from the heartbeats every node publishes every 500 ms, and
// which node should own each partition (rendezvous hashing over the live nodes, so a node's
// death moves only its own partitions).
//
// Threads: any; one mutex.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace jindou::cluster {

struct NodeInfo {
  uint16_t id = 0;
  uint64_t boot = 0;  // random per process start
  std::string api_url;
  std::string tcp_addr;
  std::string ws_addr;
  std::string wss_addr;
  uint32_t partitions_owned = 0;
  bool healthy = false;  // reaches JetStream and serves
  // Filled on receipt.
  std::chrono::steady_clock::time_point first_seen;
  std::chrono::steady_clock::time_point last_seen;
};

std::string encode_heartbeat(const NodeInfo& info);
std::optional<NodeInfo> decode_heartbeat(std::string_view data);

class Membership {
 public:
  static constexpr std::chrono::milliseconds kHeartbeatEvery{500};
  // A node not heard from for this long is taken for dead.
  static constexpr std::chrono::milliseconds kDeadAfter{2000};

  void heard(NodeInfo info, std::chrono::steady_clock::time_point now);
  // Whether `node` (in run `boot`; 0: any run) was heard from lately.
  bool live(uint16_t node, uint64_t boot, std::chrono::steady_clock::time_point now) const;
  // Every node heard from, alive or not, by id.
  std::vector<NodeInfo> nodes() const;
  // The healthy live nodes, by id.
  std::vector<NodeInfo> live_nodes(std::chrono::steady_clock::time_point now) const;
  // The live healthy node that should own `partition`; 0 when none is known.
  uint16_t preferred_owner(uint32_t partition, std::chrono::steady_clock::time_point now) const;
  std::optional<NodeInfo> node(uint16_t id) const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<uint16_t, NodeInfo> nodes_;
};

}  // namespace jindou::cluster
