// ChannelShard: send permissions and metadata changes.
#include <algorithm>

#include "engine/channel_shard.h"

namespace jindou::engine {
namespace {

// Channel types whose ban / disband flags are not checked (WuKongIM's exemptions).
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
  if (exempt_from_channel_state(st.key.type)) return std::nullopt;
  if (st.key.is_person()) {
    // A banned user can neither send nor receive.
    auto [a, b] = person_parties(st.key.id);
    for (std::string_view uid : {a, b}) {
      auto info = store_.channel_info(ChannelKey{std::string(uid), kChannelPerson});
      if (!info.ok()) return info.error();
      if (info->has_value() && (*info)->ban) {
        return Error::forbidden(ReasonCode::kBan, "user " + std::string(uid) + " is banned");
      }
    }
    return std::nullopt;
  }
  auto info = info_of(st);
  if (!info.ok()) return info.error();
  if (info->has_value() && (*info)->disband) {
    return Error::forbidden(ReasonCode::kDisband, "the channel is disbanded");
  }
  if (info->has_value() && (*info)->ban) {
    return Error::forbidden(ReasonCode::kBan, "the channel is banned");
  }
  return std::nullopt;
}

std::optional<Error> ChannelShard::check_client_send(ChannelState& st, const SendRequest& request,
                                                     std::string_view from_uid) {
  const ChannelKey self{std::string(from_uid), kChannelPerson};
  auto own = store_.channel_info(self);
  if (!own.ok()) return own.error();
  if (own->has_value() && (*own)->send_ban) {
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
    const ChannelKey peer_key{peer, kChannelPerson};
    auto peer_info = store_.channel_info(peer_key);
    if (!peer_info.ok()) return peer_info.error();
    if (peer_info->has_value() && (*peer_info)->ban) {
      return Error::forbidden(ReasonCode::kBan, "the recipient is banned");
    }
    auto denied = store_.is_member(peer_key, MemberRole::kDenylist, from_uid);
    if (!denied.ok()) return denied.error();
    if (*denied) return Error::forbidden(ReasonCode::kInBlacklist, "the sender is in the denylist");
    if (!options_.whitelist_off_of_person && peer != from_uid) {
      auto allowed = store_.is_member(peer_key, MemberRole::kAllowlist, from_uid);
      if (!allowed.ok()) return allowed.error();
      if (!*allowed) {
        return Error::forbidden(ReasonCode::kNotInWhitelist, "the sender is not in the allowlist");
      }
    }
    return std::nullopt;
  }
  if (!exempt_from_channel_state(st.key.type)) {
    auto info = info_of(st);
    if (!info.ok()) return info.error();
    if (info->has_value() && (*info)->ban) {
      return Error::forbidden(ReasonCode::kBan, "the channel is banned");
    }
    if (info->has_value() && (*info)->disband) {
      return Error::forbidden(ReasonCode::kDisband, "the channel is disbanded");
    }
  }
  auto denied = store_.is_member(st.key, MemberRole::kDenylist, from_uid);
  if (!denied.ok()) return denied.error();
  if (*denied) return Error::forbidden(ReasonCode::kInBlacklist, "the sender is in the denylist");
  auto subscribers = subscribers_of(st);
  if (!subscribers.ok()) return subscribers.error();
  const auto& list = **subscribers;
  if (std::find(list.begin(), list.end(), from_uid) == list.end()) {
    return Error::forbidden(ReasonCode::kSubscriberNotExist,
                            "the sender is not a subscriber of the channel");
  }
  auto has_allowlist = store_.has_members(st.key, MemberRole::kAllowlist);
  if (!has_allowlist.ok()) return has_allowlist.error();
  if (*has_allowlist) {
    auto allowed = store_.is_member(st.key, MemberRole::kAllowlist, from_uid);
    if (!allowed.ok()) return allowed.error();
    if (!*allowed) {
      return Error::forbidden(ReasonCode::kNotInWhitelist, "the sender is not in the allowlist");
    }
  }
  return std::nullopt;
}

void ChannelShard::run_meta(std::function<void(StatusCallback)> op, StatusCallback done) {
  auto start = [this, op = std::move(op), done = std::move(done)]() mutable {
    meta_busy_ = true;
    op([this, done = std::move(done)](Status s) {
      done(std::move(s));
      meta_busy_ = false;
      if (!meta_waiting_.empty()) {
        auto next = std::move(meta_waiting_.front());
        meta_waiting_.pop_front();
        next();
      }
    });
  };
  if (meta_busy_) {
    meta_waiting_.push_back(std::move(start));
  } else {
    start();
  }
}

void ChannelShard::change_channel(const ChannelKey& key, std::optional<ChannelInfo> info,
                                  std::optional<MemberChange> members, StatusCallback done) {
  run_meta(
      [this, key, info = std::move(info), members = std::move(members)](StatusCallback finish) {
        store::WriteSet& ws = open_->writes;
        if (info) ws.put_channel_info(key, *info);
        if (members) {
          using Mode = MemberChange::Mode;
          if (members->mode == Mode::kSet || members->mode == Mode::kRemoveAll) {
            if (members->role == MemberRole::kSubscriber) {
              // Delete one by one so the reverse (uid -> channels) index follows.
              auto current = store_.members(key, MemberRole::kSubscriber);
              if (!current.ok()) {
                finish(current.error());
                return;
              }
              for (const auto& uid : *current) ws.delete_member(key, members->role, uid);
            } else {
              ws.delete_all_members(key, members->role);
            }
          }
          if (members->mode == Mode::kRemove) {
            for (const auto& uid : members->uids) ws.delete_member(key, members->role, uid);
          } else if (members->mode != Mode::kRemoveAll) {
            for (const auto& uid : members->uids) ws.put_member(key, members->role, uid);
          }
        }
        open_->meta.emplace_back(key, std::move(finish));
        schedule_flush();
      },
      std::move(done));
}

void ChannelShard::disband_channel(const ChannelKey& key, StatusCallback done) {
  run_meta(
      [this, key](StatusCallback finish) {
        // Metadata changes are serialized, so the stored info is current here.
        auto current = store_.channel_info(key);
        if (!current.ok()) {
          finish(current.error());
          return;
        }
        ChannelInfo info = current->value_or(ChannelInfo{});
        info.disband = true;
        open_->writes.put_channel_info(key, info);
        open_->meta.emplace_back(key, std::move(finish));
        schedule_flush();
      },
      std::move(done));
}

void ChannelShard::commit_writes(store::WriteSet writes, StatusCallback done) {
  run_meta(
      [this, writes = std::move(writes)](StatusCallback finish) mutable {
        open_->writes.append(std::move(writes));
        open_->meta.emplace_back(std::nullopt, std::move(finish));
        schedule_flush();
      },
      std::move(done));
}

}  // namespace jindou::engine
