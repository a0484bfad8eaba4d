#include "engine/presence.h"

#include <algorithm>
#include <mutex>

namespace jindou::engine {

PresenceTable::Stripe& PresenceTable::stripe_of(const std::string& uid) {
  return stripes_[std::hash<std::string>{}(uid) % kStripes];
}

const PresenceTable::Stripe& PresenceTable::stripe_of(const std::string& uid) const {
  return stripes_[std::hash<std::string>{}(uid) % kStripes];
}

void PresenceTable::add(const LinkInfo& info, std::shared_ptr<ClientLink> link) {
  Stripe& s = stripe_of(info.uid);
  std::unique_lock lock(s.mu);
  s.by_uid[info.uid].push_back(Link{info, std::move(link)});
}

void PresenceTable::remove(const std::string& uid, uint64_t id) {
  Stripe& s = stripe_of(uid);
  std::unique_lock lock(s.mu);
  auto it = s.by_uid.find(uid);
  if (it == s.by_uid.end()) return;
  auto& links = it->second;
  links.erase(
      std::remove_if(links.begin(), links.end(), [id](const Link& l) { return l.info.id == id; }),
      links.end());
  if (links.empty()) s.by_uid.erase(it);
}

void PresenceTable::for_each(const std::string& uid,
                             const std::function<void(const Link&)>& visit) const {
  const Stripe& s = stripe_of(uid);
  std::shared_lock lock(s.mu);
  auto it = s.by_uid.find(uid);
  if (it == s.by_uid.end()) return;
  for (const auto& l : it->second) visit(l);
}

std::vector<Link> PresenceTable::links_of(const std::string& uid) const {
  std::vector<Link> out;
  for_each(uid, [&](const Link& l) { out.push_back(l); });
  return out;
}

std::vector<LinkInfo> PresenceTable::page(uint64_t after_id, size_t limit) const {
  std::vector<LinkInfo> all;
  for (const auto& s : stripes_) {
    std::shared_lock lock(s.mu);
    for (const auto& [uid, links] : s.by_uid) {
      for (const auto& l : links) {
        if (l.info.id > after_id) all.push_back(l.info);
      }
    }
  }
  std::sort(all.begin(), all.end(),
            [](const LinkInfo& a, const LinkInfo& b) { return a.id < b.id; });
  if (all.size() > limit) all.resize(limit);
  return all;
}

size_t PresenceTable::connection_count() const {
  size_t n = 0;
  for (const auto& s : stripes_) {
    std::shared_lock lock(s.mu);
    for (const auto& [uid, links] : s.by_uid) n += links.size();
  }
  return n;
}

size_t PresenceTable::user_count() const {
  size_t n = 0;
  for (const auto& s : stripes_) {
    std::shared_lock lock(s.mu);
    n += s.by_uid.size();
  }
  return n;
}

}  // namespace jindou::engine
