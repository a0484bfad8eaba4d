#include "gateway/connect_checks.h"

#include "engine/engine.h"
#include "model/validation.h"

namespace jindou::gateway {
namespace {

constexpr std::string_view kManagerUid = "____manager";

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<std::optional<store::UserToken>> EngineUserDirectory::user_token(const std::string& uid,
                                                                        uint8_t device_flag) {
  return engine_.user_token(uid, device_flag);
}

Result<bool> EngineUserDirectory::banned(const std::string& uid) {
  auto user = engine_.settings(ChannelKey{uid, kChannelPerson});
  if (!user.ok()) return user.error();
  return (*user)->banned();
}

std::optional<AuthVerdict> check_connect_without_reads(const proto::Connect& connect,
                                                       const GatewayOptions& options) {
  if (trim(connect.uid).empty() || connect.uid == kSystemUid || check_id(connect.uid, "uid")) {
    return AuthVerdict{ReasonCode::kAuthFail};
  }
  if (connect.uid == kManagerUid) {
    // The manager uid is never looked up: its token, when configured, is the only check.
    if (!options.manager_token.empty() && connect.token != options.manager_token) {
      return AuthVerdict{ReasonCode::kAuthFail};
    }
    return AuthVerdict{};
  }
  return std::nullopt;
}

AuthVerdict check_connect(const proto::Connect& connect, const GatewayOptions& options,
                          UserDirectory& users) {
  if (auto verdict = check_connect_without_reads(connect, options)) return *verdict;
  AuthVerdict verdict;
  if (options.token_auth_on) {
    auto token = users.user_token(connect.uid, connect.device_flag);
    if (!token.ok()) return AuthVerdict{ReasonCode::kSystemError};
    if (!token->has_value() || (*token)->token.empty() || (*token)->token != connect.token) {
      return AuthVerdict{ReasonCode::kAuthFail};
    }
    verdict.device_level = (*token)->device_level;
  }
  auto banned = users.banned(connect.uid);
  if (!banned.ok()) return AuthVerdict{ReasonCode::kSystemError};
  if (*banned) return AuthVerdict{ReasonCode::kBan};
  return verdict;
}

void authenticate(proto::Connect connect, const GatewayOptions& options, UserDirectory& users,
                  runtime::Executor* blocking_reads, const PostBack& back,
                  std::function<void(AuthVerdict)> done) {
  if (auto verdict = check_connect_without_reads(connect, options)) return done(*verdict);
  if (blocking_reads == nullptr) return done(check_connect(connect, options, users));
  // A store read may wait on the disk: it must not hold up the io thread's other connections.
  blocking_reads->post(
      [connect = std::move(connect), &options, &users, back, done = std::move(done)]() mutable {
        AuthVerdict verdict = check_connect(connect, options, users);
        back([done = std::move(done), verdict] { done(verdict); });
      });
}

int64_t time_diff(int64_t server_now_ms, int64_t client_timestamp) {
  int64_t d = 0;
  if (__builtin_sub_overflow(server_now_ms, client_timestamp, &d)) {
    return client_timestamp < 0 ? INT64_MAX : INT64_MIN;
  }
  return d;
}

proto::Connack make_connack(const proto::Connect& connect, uint8_t version, ReasonCode reason,
                            uint64_t node_id, int64_t server_now_ms) {
  proto::Connack ack;
  ack.server_version = version;
  ack.time_diff = time_diff(server_now_ms, connect.client_timestamp);
  ack.reason_code = reason;
  ack.node_id = node_id;
  return ack;
}

std::vector<LoginKick> login_kicks(const engine::LinkInfo& me,
                                   const std::vector<engine::Link>& others) {
  std::vector<LoginKick> kicks;
  for (const auto& l : others) {
    if (l.info.device_flag != me.device_flag || l.info.id >= me.id) continue;
    const bool same_device = l.info.device_id == me.device_id;
    if (!same_device && me.device_level == 0) continue;  // slaves on other devices coexist
    // A master login replaces the user's other connections of this device type; a reconnect
    // of the same device replaces its stale connection.
    kicks.push_back(LoginKick{l, same_device});
  }
  return kicks;
}

std::vector<LoginKick> remote_login_kicks(const RemoteLogin& login, uint16_t self_node,
                                          int64_t now_ms, const std::vector<engine::Link>& here) {
  std::vector<LoginKick> kicks;
  for (const auto& l : here) {
    if (l.info.uid != login.uid || l.info.device_flag != login.device_flag) continue;
    const bool same_device = l.info.device_id == login.device_id;
    if (!same_device && login.device_level == 0) continue;  // slaves on other devices coexist
    const bool older = l.info.connected_at_ms < login.login_ms ||
                       (l.info.connected_at_ms == login.login_ms && self_node < login.node) ||
                       now_ms - l.info.connected_at_ms > kLoginClockSlackMs;
    if (older) kicks.push_back(LoginKick{l, same_device});
  }
  return kicks;
}

}  // namespace jindou::gateway
