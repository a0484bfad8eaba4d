// Logins across the nodes of a cluster: a login replaces the user's older connections of its
// device flag (login_kicks: the same device, or every device after a master login) on every
// node, not only on its own. Each login is announced to the other nodes (Cluster::ask_all,
// topic presence.login); each applies remote_login_kicks to its own connections.
//
// Threads: LoginAnnouncer::announce from any thread (io threads), never waiting: a thread of
// its own sends what queued up since its last request in one request. Announcements are answered
// on NATS delivery threads, which post the kicks to the connections' io threads.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cluster/cluster.h"
#include "engine/engine.h"
#include "gateway/connect_checks.h"

namespace jindou::gateway {

// Answers the other nodes' login announcements. Call before cluster.start().
void answer_login_asks(cluster::Cluster& cluster, engine::Engine& engine);

class LoginAnnouncer {
 public:
  // At most this many logins wait; more are dropped (and counted) until the queue drains.
  static constexpr size_t kMaxQueued = 100'000;
  // At most this many logins go in one request.
  static constexpr size_t kMaxBatch = 1000;

  explicit LoginAnnouncer(cluster::Cluster& cluster);
  ~LoginAnnouncer();
  LoginAnnouncer(const LoginAnnouncer&) = delete;
  LoginAnnouncer& operator=(const LoginAnnouncer&) = delete;

  // Queues the announcement of the login of `info` on this node.
  void announce(const engine::LinkInfo& info);
  // Stops sending (what is queued is dropped) and joins the thread.
  void stop();

  uint64_t dropped() const;

 private:
  void run();

  cluster::Cluster& cluster_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<RemoteLogin> queue_;
  uint64_t dropped_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

// The wire format of presence.login (cluster/wire.h encoding, a version byte first); the answer
// is the number of connections kicked.
std::string encode_logins(const std::vector<RemoteLogin>& logins);
std::optional<std::vector<RemoteLogin>> decode_logins(std::string_view data);
std::string encode_login_answer(uint64_t kicked);
std::optional<uint64_t> decode_login_answer(std::string_view data);

}  // namespace jindou::gateway
