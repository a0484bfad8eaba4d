// ClientConnection: CONNECT handling (token check, encryption setup, kick rules, CONNACK).
#include <spdlog/spdlog.h>

#include <chrono>

#include "gateway/client_connection.h"
#include "gateway/gateway.h"
#include "model/clock.h"
#include "model/validation.h"

namespace jindou::gateway {
namespace {

constexpr std::string_view kManagerUid = "____manager";

// server_now_ms - client_timestamp without overflow, whatever the client claims.
int64_t time_diff(int64_t client_timestamp) {
  int64_t d = 0;
  if (__builtin_sub_overflow(unix_millis(), client_timestamp, &d)) {
    return client_timestamp < 0 ? INT64_MAX : INT64_MIN;
  }
  return d;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<ReasonCode> ClientConnection::authenticate(const proto::Connect& connect,
                                                         uint8_t& device_level) {
  const auto& opt = gateway_.options();
  device_level = 0;
  if (trim(connect.uid).empty() || connect.uid == kSystemUid || check_id(connect.uid, "uid")) {
    return ReasonCode::kAuthFail;
  }
  if (connect.uid == kManagerUid) {
    if (!opt.manager_token.empty() && connect.token != opt.manager_token) {
      return ReasonCode::kAuthFail;
    }
    return std::nullopt;
  }
  auto& engine = gateway_.engine();
  if (opt.token_auth_on) {
    auto token = engine.user_token(connect.uid, connect.device_flag);
    if (!token.ok()) return ReasonCode::kSystemError;
    if (!token->has_value() || (*token)->token.empty() || (*token)->token != connect.token) {
      return ReasonCode::kAuthFail;
    }
    device_level = (*token)->device_level;
  }
  auto user = engine.settings(ChannelKey{connect.uid, kChannelPerson});
  if (!user.ok()) return ReasonCode::kSystemError;
  if ((*user)->banned()) return ReasonCode::kBan;
  return std::nullopt;
}

void ClientConnection::refuse(const proto::Connect& connect, ReasonCode reason,
                              const std::string& why) {
  spdlog::info("conn {} ({} {}): CONNECT of uid '{}' refused with reason {}: {}", info_.id,
               info_.transport, info_.remote, connect.uid, static_cast<int>(reason), why);
  proto::Connack ack;
  ack.server_version = info_.version;
  ack.time_diff = time_diff(connect.client_timestamp);
  ack.reason_code = reason;
  ack.node_id = gateway_.options().node_id;
  std::string out;
  proto::encode(ack, info_.version, out);
  queue_packet(std::move(out));
  state_ = State::kClosing;
  close_after_flush_ = true;                           // close as soon as the CONNACK is written
  close_at_ = Clock::now() + std::chrono::seconds(5);  // even if the peer never reads it
}

void ClientConnection::handle_connect(const proto::Connect& connect) {
  info_.version = decoder_.version();
  uint8_t device_level = 0;
  if (auto reason = authenticate(connect, device_level)) {
    return refuse(connect, *reason,
                  *reason == ReasonCode::kBan ? "the user is banned" : "authentication failed");
  }
  proto::Connack ack;
  if (!gateway_.options().disable_encryption) {
    auto crypto = proto::SessionCrypto::accept(connect.client_key);
    if (!crypto.ok()) {
      return refuse(connect, crypto.error().reason, crypto.error().message);
    }
    ack.server_key = crypto->server_key();
    ack.salt = crypto->salt();
    crypto_.emplace(std::move(crypto.value()));
  }
  info_.uid = connect.uid;
  info_.device_flag = connect.device_flag;
  info_.device_id = connect.device_id;
  info_.device_level = device_level;
  info_.connected_at = unix_seconds();

  ack.server_version = info_.version;
  ack.time_diff = time_diff(connect.client_timestamp);
  ack.reason_code = ReasonCode::kSuccess;
  ack.node_id = gateway_.options().node_id;
  std::string out;
  proto::encode(ack, info_.version, out);
  queue_packet(std::move(out));
  state_ = State::kAuthenticated;
  last_inbound_ = Clock::now();
  // Online first, then the kick rules: two logins racing on different io threads then each see
  // the other, and only the older connection is kicked (connection ids grow with accept order).
  gateway_.engine().presence().add(info_, shared_from_this());
  registered_ = true;
  // A ban committed since authenticate() kicked whoever was online then, which may not have
  // included this connection: look again now that it is online (one side sees the other).
  auto user = gateway_.engine().settings(ChannelKey{info_.uid, kChannelPerson});
  if (user.ok() && (*user)->banned()) {
    return kick(ReasonCode::kConnectKick, "banned", false, std::chrono::seconds(2));
  }
  apply_kick_rules(device_level);
  spdlog::debug("conn {} ({} {}): uid '{}' device {} connected with protocol {}", info_.id,
                info_.transport, info_.remote, info_.uid, info_.device_flag, info_.version);
}

void ClientConnection::apply_kick_rules(uint8_t device_level) {
  auto& engine = gateway_.engine();
  for (const auto& l : engine.presence().links_of(info_.uid)) {
    if (l.info.device_flag != info_.device_flag || l.info.id >= info_.id) continue;
    const bool same_device = l.info.device_id == info_.device_id;
    if (!same_device && device_level == 0) continue;  // slaves on other devices coexist
    // A master login replaces the user's other connections of this device type; a reconnect
    // of the same device replaces its stale connection.
    const bool quietly = same_device;
    engine.post(l.info.executor, [link = l.link, quietly] {
      link->kick(ReasonCode::kConnectKick, "login in other device", quietly,
                 std::chrono::seconds(2));
    });
  }
}

}  // namespace jindou::gateway
