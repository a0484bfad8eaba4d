#include "api/cluster_view.h"

namespace jindou::api {
namespace {

// FNV-1a, 64 bits: the same on every node and every build (unlike std::hash).
uint64_t fnv1a(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

// splitmix64's finaliser: spreads nearby inputs apart.
uint64_t mix(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

uint16_t node_for_uid(std::string_view uid, const std::vector<uint16_t>& nodes) {
  const uint64_t h = fnv1a(uid);
  uint16_t best = 0;
  uint64_t best_score = 0;
  bool any = false;
  for (uint16_t node : nodes) {
    const uint64_t score = mix(h ^ mix(node));
    // Ties (practically never) go to the smaller id, so the order of `nodes` never matters.
    if (!any || score > best_score || (score == best_score && node < best)) {
      any = true;
      best = node;
      best_score = score;
    }
  }
  return best;
}

uint32_t slots_of_partition(uint32_t slot_count, uint32_t log_count, uint32_t partition) {
  if (log_count == 0 || partition >= log_count) return 0;
  return slot_count / log_count + (partition < slot_count % log_count ? 1 : 0);
}

}  // namespace jindou::api
