// The rules of a CONNECT: who may log in (uid rules, the manager uid and its token, the user's
// token when token auth is on, bans), what the CONNACK says, and which of the user's other
// connections a login replaces.
//
// Thread: the checks that read the store (token, ban) run where authenticate() sends them: on the
// blocking-read executor when there is one, else inline; everything else runs on the calling
// connection's io thread. Nothing here keeps state between calls.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/presence.h"
#include "gateway/gateway_options.h"
#include "model/error.h"
#include "proto/packet.h"
#include "runtime/executor.h"
#include "store/write_set.h"

namespace jindou::engine {
class Engine;
}

namespace jindou::gateway {

// The user records a CONNECT is checked against. Safe to call from any thread.
class UserDirectory {
 public:
  virtual ~UserDirectory() = default;
  virtual Result<std::optional<store::UserToken>> user_token(const std::string& uid,
                                                             uint8_t device_flag) = 0;
  virtual Result<bool> banned(const std::string& uid) = 0;
};

// The engine's user tokens and the bans in the user's own settings.
class EngineUserDirectory final : public UserDirectory {
 public:
  explicit EngineUserDirectory(engine::Engine& engine) : engine_(engine) {}
  Result<std::optional<store::UserToken>> user_token(const std::string& uid,
                                                     uint8_t device_flag) override;
  Result<bool> banned(const std::string& uid) override;

 private:
  engine::Engine& engine_;
};

// What the checks decided about a CONNECT.
struct AuthVerdict {
  std::optional<ReasonCode> refusal;  // none: accepted
  uint8_t device_level = 0;           // from the user's token (0 slave, 1 master)

  bool accepted() const { return !refusal; }
  // For the log.
  std::string why() const {
    return refusal == ReasonCode::kBan ? "the user is banned" : "authentication failed";
  }
};

// The checks that need no store read (uid rules, the manager uid); none when they do not decide.
std::optional<AuthVerdict> check_connect_without_reads(const proto::Connect& connect,
                                                       const GatewayOptions& options);
// Every check, reading the user's token and settings from `users` as needed.
AuthVerdict check_connect(const proto::Connect& connect, const GatewayOptions& options,
                          UserDirectory& users);

// Carries a task back to the connection's io thread.
using PostBack = std::function<void(std::function<void()>)>;
// Checks `connect`. The store reads run on `blocking_reads` and the verdict comes back through
// `back`; with a null executor, or when no read is needed, `done` runs before this returns.
// `options` and `users` must outlive the executor's queue.
void authenticate(proto::Connect connect, const GatewayOptions& options, UserDirectory& users,
                  runtime::Executor* blocking_reads, const PostBack& back,
                  std::function<void(AuthVerdict)> done);

// server_now_ms - client_timestamp, saturated instead of overflowing, whatever the client claims.
int64_t time_diff(int64_t server_now_ms, int64_t client_timestamp);
// The CONNACK answering `connect` with `reason`; the caller adds the server key and salt when
// the session is encrypted.
proto::Connack make_connack(const proto::Connect& connect, uint8_t version, ReasonCode reason,
                            uint64_t node_id, int64_t server_now_ms);

// A connection that a login replaces.
struct LoginKick {
  engine::Link link;
  bool quietly = false;  // the same device reconnecting: no DISCONNECT to a stale socket
};
// Which of `others` (the user's connections online, including `me`) the login of `me` replaces:
// older connections of the same device flag that are the same device, or, when `me` logged in
// with a master token, every other device of that flag too. Only the older connection of two
// logins is kicked, so two racing logins never kick each other.
std::vector<LoginKick> login_kicks(const engine::LinkInfo& me,
                                   const std::vector<engine::Link>& others);

// A login on another node of a cluster, as that node tells the others (cluster_logins.h).
struct RemoteLogin {
  std::string uid;
  uint8_t device_flag = 0;
  uint8_t device_level = 0;
  std::string device_id;
  int64_t login_ms = 0;  // Unix milliseconds, by its node's clock
  uint16_t node = 0;
};
// A connection online here this much longer than a remote login counts as older than it
// whatever the two nodes' clocks say.
inline constexpr int64_t kLoginClockSlackMs = 10'000;
// Which of this node's connections `login` on another node replaces: login_kicks's rule, with
// "older" decided across nodes, where connection ids mean nothing: an earlier login time (ties:
// the smaller node id is older), or online here for more than kLoginClockSlackMs when the
// login's announcement arrived (`now_ms`). Of two logins racing on two nodes exactly one is
// kicked, as long as the clocks agree within the slack.
std::vector<LoginKick> remote_login_kicks(const RemoteLogin& login, uint16_t self_node,
                                          int64_t now_ms, const std::vector<engine::Link>& here);

}  // namespace jindou::gateway
