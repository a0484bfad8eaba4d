#include "cluster/membership.h"

#include <algorithm>

#include "cluster/wire.h"

namespace jindou::cluster {

std::string encode_heartbeat(const NodeInfo& info) {
  std::string out;
  WireWriter w(out);
  w.u8(1).u64(info.id).u64(info.boot).str(info.api_url).str(info.tcp_addr).str(info.ws_addr);
  w.str(info.wss_addr).u64(info.partitions_owned).flag(info.healthy);
  return out;
}

std::optional<NodeInfo> decode_heartbeat(std::string_view data) {
  WireReader r(data);
  if (r.u8() != 1) return std::nullopt;
  NodeInfo n;
  n.id = static_cast<uint16_t>(r.u64());
  n.boot = r.u64();
  n.api_url = r.str();
  n.tcp_addr = r.str();
  n.ws_addr = r.str();
  n.wss_addr = r.str();
  n.partitions_owned = static_cast<uint32_t>(r.u64());
  n.healthy = r.flag();
  if (!r.done() || n.id == 0) return std::nullopt;
  return n;
}

void Membership::heard(NodeInfo info, std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(info.id);
  const bool continuing = it != nodes_.end() && it->second.boot == info.boot &&
                          now - it->second.last_seen < kDeadAfter;
  info.first_seen = continuing ? it->second.first_seen : now;
  info.last_seen = now;
  nodes_[info.id] = std::move(info);
}

bool Membership::live(uint16_t node, uint64_t boot,
                      std::chrono::steady_clock::time_point now) const {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(node);
  if (it == nodes_.end()) return false;
  if (boot != 0 && it->second.boot != boot) return false;
  return now - it->second.last_seen < kDeadAfter;
}

std::vector<NodeInfo> Membership::nodes() const {
  std::lock_guard lock(mu_);
  std::vector<NodeInfo> out;
  for (const auto& [id, n] : nodes_) out.push_back(n);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

std::vector<NodeInfo> Membership::live_nodes(std::chrono::steady_clock::time_point now) const {
  std::vector<NodeInfo> out;
  for (auto& n : nodes()) {
    if (n.healthy && now - n.last_seen < kDeadAfter) out.push_back(std::move(n));
  }
  return out;
}

uint16_t Membership::preferred_owner(uint32_t partition,
                                     std::chrono::steady_clock::time_point now) const {
  uint16_t best = 0;
  uint64_t best_score = 0;
  for (const auto& n : live_nodes(now)) {
    // splitmix64 of (partition, node): a fixed pseudo-random order of nodes per partition.
    uint64_t z = (static_cast<uint64_t>(partition) << 16 | n.id) + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    if (best == 0 || z > best_score) {
      best = n.id;
      best_score = z;
    }
  }
  return best;
}

std::optional<NodeInfo> Membership::node(uint16_t id) const {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(id);
  if (it == nodes_.end()) return std::nullopt;
  return it->second;
}

}  // namespace jindou::cluster
