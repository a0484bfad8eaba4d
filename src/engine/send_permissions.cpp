// ChannelShard: who may send to a channel (client sends and HTTP sends).
#include <algorithm>

#include "engine/channel_shard.h"

namespace jindou::engine {
namespace {

// Channel types whose ban / disband flags are not checked for client sends (WuKongIM's
// exemptions, kept for wkproto compatibility).
bool exempt_from_channel_state(uint8_t type) {
  return type == kChannelCustomerService || type == kChannelInfo || type == kChannelVisitors ||
         type == kChannelAgent;
}

}  // namespace

std::optional<Error> ChannelShard::check_send(ChannelState& st, const SendRequest& request,
                                              std::string_view from_uid) {
  if (request.origin.kind == SendOrigin::Kind::kClient) {
    return check_client_send(st, request, from_uid);
  }
  // HTTP sends: every banned or disbanded channel refuses (no per-type exemptions).
  if (st.key.is_person()) {
    // A banned user can neither send nor receive.
    auto [a, b] = person_parties(st.key.id);
    for (std::string_view uid : {a, b}) {
      auto user = settings_.get(ChannelKey{std::string(uid), kChannelPerson});
      if (!user.ok()) return user.error();
      if ((*user)->banned()) {
        return Error::forbidden(ReasonCode::kBan, "user " + std::string(uid) + " is banned");
      }
    }
    return std::nullopt;
  }
  if (from_uid != kSystemUid) {
    auto sender = settings_.get(ChannelKey{std::string(from_uid), kChannelPerson});
    if (!sender.ok()) return sender.error();
    if ((*sender)->banned()) {
      return Error::forbidden(ReasonCode::kBan, "user " + std::string(from_uid) + " is banned");
    }
  }
  auto settings = settings_.get(st.key);
  if (!settings.ok()) return settings.error();
  if ((*settings)->disbanded()) {
    return Error::forbidden(ReasonCode::kDisband, "the channel is disbanded");
  }
  if ((*settings)->banned()) return Error::forbidden(ReasonCode::kBan, "the channel is banned");
  return std::nullopt;
}

std::optional<Error> ChannelShard::check_client_send(ChannelState& st, const SendRequest& request,
                                                     std::string_view from_uid) {
  auto sender = settings_.get(ChannelKey{std::string(from_uid), kChannelPerson});
  if (!sender.ok()) return sender.error();
  if ((*sender)->banned()) return Error::forbidden(ReasonCode::kBan, "the sender is banned");
  if ((*sender)->send_banned()) {
    return Error::forbidden(ReasonCode::kSendBan, "the sender may not send messages");
  }
  if (request.channel_type < 1 || request.channel_type > kChannelAgentGroup) {
    return Error::forbidden(ReasonCode::kNotSupportChannelType, "unsupported channel_type");
  }
  if (request.channel_id.empty()) {
    return Error::forbidden(ReasonCode::kChannelIdError, "channel_id is empty");
  }
  if (st.key.is_person()) {
    auto [a, b] = person_parties(st.key.id);
    const std::string peer(a == from_uid ? b : a);
    auto recipient = settings_.get(ChannelKey{peer, kChannelPerson});
    if (!recipient.ok()) return recipient.error();
    const ChannelSettings& r = **recipient;
    if (r.banned()) return Error::forbidden(ReasonCode::kBan, "the recipient is banned");
    if (r.denies(from_uid)) {
      return Error::forbidden(ReasonCode::kInBlacklist, "the sender is in the denylist");
    }
    if (!options_.whitelist_off_of_person && peer != from_uid && !r.allows(from_uid)) {
      return Error::forbidden(ReasonCode::kNotInWhitelist, "the sender is not in the allowlist");
    }
    return std::nullopt;
  }
  auto settings = settings_.get(st.key);
  if (!settings.ok()) return settings.error();
  const ChannelSettings& c = **settings;
  if (!exempt_from_channel_state(st.key.type)) {
    if (c.banned()) return Error::forbidden(ReasonCode::kBan, "the channel is banned");
    if (c.disbanded()) return Error::forbidden(ReasonCode::kDisband, "the channel is disbanded");
  }
  if (c.denies(from_uid)) {
    return Error::forbidden(ReasonCode::kInBlacklist, "the sender is in the denylist");
  }
  auto subscribers = subscribers_of(st);
  if (!subscribers.ok()) return subscribers.error();
  // Member lists come from the store in key order, i.e. sorted bytewise.
  if (!std::binary_search((*subscribers)->begin(), (*subscribers)->end(), from_uid)) {
    return Error::forbidden(ReasonCode::kSubscriberNotExist,
                            "the sender is not a subscriber of the channel");
  }
  if (!c.allowlist.empty() && !c.allows(from_uid)) {
    return Error::forbidden(ReasonCode::kNotInWhitelist, "the sender is not in the allowlist");
  }
  return std::nullopt;
}

}  // namespace jindou::engine
