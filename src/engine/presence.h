// Presence: which client connections each user has, and the interface through which the engine
// reaches a connection (ClientLink, implemented by the gateway).
//
// Threads: PresenceTable is safe from any thread (lock-striped by uid). ClientLink methods must
// be called on the link's own executor (LinkInfo::executor).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/client_event.h"
#include "model/error.h"
#include "model/message.h"

namespace jindou::engine {

class ClientLink {
 public:
  virtual ~ClientLink() = default;
  // Queues RECVs of committed (or unstored) messages; written out once per executor turn.
  virtual void deliver(const std::shared_ptr<const Message>& message) = 0;
  // Queues an EVENT packet (the link's protocol version is 5 or more).
  virtual void deliver_event(const std::shared_ptr<const ClientEvent>& event) = 0;
  // Sends DISCONNECT(reason, text) unless `quietly`, then closes after `close_after`.
  virtual void kick(ReasonCode reason, const std::string& text, bool quietly,
                    std::chrono::milliseconds close_after) = 0;
};

struct LinkInfo {
  uint64_t id = 0;
  std::string uid;
  uint8_t device_flag = 0;
  uint8_t device_level = 0;  // 0 slave, 1 master
  std::string device_id;
  size_t executor = 0;  // index of the io thread the link lives on
  uint8_t version = 0;
  std::string transport;     // "tcp", "ws", "wss"
  std::string remote;        // peer address
  int64_t connected_at = 0;  // Unix seconds
  // Unix milliseconds, by this node's clock: orders logins across the nodes of a cluster.
  int64_t connected_at_ms = 0;
};

struct Link {
  LinkInfo info;
  std::shared_ptr<ClientLink> link;
};

// Told about every connection that comes online or goes (the webhook's user.onlinestatus), with
// the user's connection counts after the change: on that device flag, and in all. Called on the
// thread that made the change, after the table is updated; must not block.
class PresenceListener {
 public:
  virtual ~PresenceListener() = default;
  virtual void presence_changed(const LinkInfo& info, bool online, size_t device_connections,
                                size_t user_connections) = 0;
};

class PresenceTable {
 public:
  PresenceTable() = default;
  PresenceTable(const PresenceTable&) = delete;
  PresenceTable& operator=(const PresenceTable&) = delete;

  // Set before any connection is added.
  void set_listener(PresenceListener* listener) { listener_ = listener; }
  void add(const LinkInfo& info, std::shared_ptr<ClientLink> link);
  void remove(const std::string& uid, uint64_t id);
  bool online(const std::string& uid) const;
  // Visits the links of `uid` under the stripe's read lock (keep `visit` short).
  void for_each(const std::string& uid, const std::function<void(const Link&)>& visit) const;
  std::vector<Link> links_of(const std::string& uid) const;
  // Every link, ordered by id, starting after `after_id`; at most `limit`.
  std::vector<LinkInfo> page(uint64_t after_id, size_t limit) const;
  size_t connection_count() const;
  size_t user_count() const;

 private:
  static constexpr size_t kStripes = 64;
  struct Stripe {
    mutable std::shared_mutex mu;
    std::unordered_map<std::string, std::vector<Link>> by_uid;
  };
  Stripe& stripe_of(const std::string& uid);
  const Stripe& stripe_of(const std::string& uid) const;

  Stripe stripes_[kStripes];
  PresenceListener* listener_ = nullptr;
};

}  // namespace jindou::engine
