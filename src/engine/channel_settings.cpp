#include "engine/channel_settings.h"

#include <algorithm>

namespace jindou::engine {

bool ChannelSettings::denies(std::string_view uid) const {
  return std::binary_search(denylist.begin(), denylist.end(), uid);
}

bool ChannelSettings::allows(std::string_view uid) const {
  return std::binary_search(allowlist.begin(), allowlist.end(), uid);
}

ChannelSettingsCache::ChannelSettingsCache(store::Store& store, size_t capacity)
    : store_(store), per_stripe_capacity_(std::max<size_t>(1, capacity / kStripes)) {}

ChannelSettingsCache::Stripe& ChannelSettingsCache::stripe_of(const ChannelKey& key) {
  return stripes_[ChannelKeyHash{}(key) % kStripes];
}

Result<std::shared_ptr<const ChannelSettings>> ChannelSettingsCache::get(const ChannelKey& key) {
  Stripe& s = stripe_of(key);
  uint64_t generation = 0;
  {
    std::lock_guard lock(s.mu);
    if (auto it = s.map.find(key); it != s.map.end()) return it->second;
    generation = s.generation;
  }
  auto loaded = std::make_shared<ChannelSettings>();
  auto info = store_.channel_info(key);
  if (!info.ok()) return info.error();
  loaded->info = *info;
  auto deny = store_.members(key, MemberRole::kDenylist);
  if (!deny.ok()) return deny.error();
  loaded->denylist = std::move(*deny);
  auto allow = store_.members(key, MemberRole::kAllowlist);
  if (!allow.ok()) return allow.error();
  loaded->allowlist = std::move(*allow);
  std::shared_ptr<const ChannelSettings> result = std::move(loaded);
  std::lock_guard lock(s.mu);
  // A change committed while we read may not be in what we read: use it, don't keep it.
  if (s.generation != generation) return result;
  if (s.map.size() >= per_stripe_capacity_) s.map.erase(s.map.begin());
  s.map.emplace(key, result);
  return result;
}

void ChannelSettingsCache::invalidate(const ChannelKey& key) {
  Stripe& s = stripe_of(key);
  std::lock_guard lock(s.mu);
  ++s.generation;
  s.map.erase(key);
}

void ChannelSettingsCache::clear() {
  for (Stripe& s : stripes_) {
    std::lock_guard lock(s.mu);
    ++s.generation;
    s.map.clear();
  }
}

}  // namespace jindou::engine
