// ChannelSettingsCache: a channel's settings and its denylist / allowlist, read from the store
// once and kept in memory, so permission checks of a send cost no storage reads. Person
// channels are keyed by the user (`uid`, type 1): those are the user's own settings and lists.
//
// Threads: safe from any thread (lock-striped). Invalidated by the shard that commits a change
// to the channel; a load that raced with an invalidation is not cached.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/channel.h"
#include "store/store.h"

namespace jindou::engine {

struct ChannelSettings {
  std::optional<ChannelInfo> info;
  std::vector<std::string> denylist;   // sorted
  std::vector<std::string> allowlist;  // sorted

  bool banned() const { return info && info->ban; }
  bool disbanded() const { return info && info->disband; }
  bool send_banned() const { return info && info->send_ban; }
  bool denies(std::string_view uid) const;
  bool allows(std::string_view uid) const;
};

class ChannelSettingsCache {
 public:
  ChannelSettingsCache(store::Store& store, size_t capacity);

  Result<std::shared_ptr<const ChannelSettings>> get(const ChannelKey& key);
  void invalidate(const ChannelKey& key);
  void clear();

 private:
  static constexpr size_t kStripes = 64;
  struct Stripe {
    std::mutex mu;
    uint64_t generation = 0;
    std::unordered_map<ChannelKey, std::shared_ptr<const ChannelSettings>, ChannelKeyHash> map;
  };
  Stripe& stripe_of(const ChannelKey& key);

  store::Store& store_;
  size_t per_stripe_capacity_;
  Stripe stripes_[kStripes];
};

}  // namespace jindou::engine
