#include "engine/presence.h"

#include <algorithm>
#include <mutex>
#include <optional>

namespace jindou::engine {

PresenceTable::Stripe& PresenceTable::stripe_of(const std::string& uid) {
  return stripes_[std::hash<std::string>{}(uid) % kStripes];
}

const PresenceTable::Stripe& PresenceTable::stripe_of(const std::string& uid) const {
  return stripes_[std::hash<std::string>{}(uid) % kStripes];
}

namespace {

// Connections of one user: on `device_flag`, and in all.
std::pair<size_t, size_t> counts(const std::vector<Link>& links, uint8_t device_flag) {
  size_t device = 0;
  for (const auto& l : links) device += l.info.device_flag == device_flag ? 1 : 0;
  return {device, links.size()};
}

}  // namespace

void PresenceTable::add(const LinkInfo& info, std::shared_ptr<ClientLink> link) {
  Stripe& s = stripe_of(info.uid);
  std::pair<size_t, size_t> after;
  {
    std::unique_lock lock(s.mu);
    auto& links = s.by_uid[info.uid];
    links.push_back(Link{info, std::move(link)});
    after = counts(links, info.device_flag);
  }
  if (listener_ != nullptr) listener_->presence_changed(info, true, after.first, after.second);
}

void PresenceTable::remove(const std::string& uid, uint64_t id) {
  Stripe& s = stripe_of(uid);
  std::optional<LinkInfo> removed;
  std::pair<size_t, size_t> after;
  {
    std::unique_lock lock(s.mu);
    auto it = s.by_uid.find(uid);
    if (it == s.by_uid.end()) return;
    auto& links = it->second;
    auto gone =
        std::find_if(links.begin(), links.end(), [id](const Link& l) { return l.info.id == id; });
    if (gone == links.end()) return;
    removed = std::move(gone->info);
    links.erase(gone);
    after = counts(links, removed->device_flag);
    if (links.empty()) s.by_uid.erase(it);
  }
  if (listener_ != nullptr) listener_->presence_changed(*removed, false, after.first, after.second);
}

bool PresenceTable::online(const std::string& uid) const {
  const Stripe& s = stripe_of(uid);
  std::shared_lock lock(s.mu);
  return s.by_uid.contains(uid);
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
