// Channels: types, the stored channel key, and WuKongIM's person-channel id rule.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

namespace jindou {

enum ChannelType : uint8_t {
  kChannelPerson = 1,
  kChannelGroup = 2,
  kChannelCustomerService = 3,
  kChannelCommunity = 4,
  kChannelCommunityTopic = 5,
  kChannelInfo = 6,
  kChannelData = 7,
  kChannelTemp = 8,
  kChannelLive = 9,
  kChannelVisitors = 10,
  kChannelAgent = 11,
  kChannelAgentGroup = 12,
};

// The reserved uid HTTP sends use when `from_uid` is empty.
inline constexpr std::string_view kSystemUid = "____system";

// A channel as stored: for person channels `id` is the derived `a@b` id.
struct ChannelKey {
  std::string id;
  uint8_t type = 0;

  bool is_person() const { return type == kChannelPerson; }
  friend bool operator==(const ChannelKey&, const ChannelKey&) = default;
};

// Whether users keep a conversation (chat list entry, unread count) with channels of `type`:
// not for data, temporary and live channels (as WuKongIM).
inline bool has_conversations(uint8_t type) {
  return type != kChannelData && type != kChannelTemp && type != kChannelLive;
}

// Settings of a channel (for a person channel `uid`/type 1: settings of that user).
struct ChannelInfo {
  bool ban = false;             // nobody but the system may send; a banned user can't connect
  bool disband = false;         // the group no longer exists
  bool send_ban = false;        // members may not send (person: the user may not send)
  bool large = false;           // large group hint
  bool allow_stranger = false;  // person: strangers may message this user
  friend bool operator==(const ChannelInfo&, const ChannelInfo&) = default;
};

// Member roles kept per channel.
enum class MemberRole : uint8_t { kSubscriber = 's', kDenylist = 'd', kAllowlist = 'a' };

struct ChannelKeyHash {
  size_t operator()(const ChannelKey& k) const noexcept {
    return std::hash<std::string>{}(k.id) * 31 + k.type;
  }
};

// CRC-32/IEEE (the zlib one) of the bytes of `s`.
uint32_t crc32_ieee(std::string_view s);

// The stored id of the person channel between `a` and `b`: the uid with the larger CRC-32 first,
// joined by '@'; on equal CRCs the bytewise larger uid first. Symmetric in its arguments.
std::string person_channel_id(std::string_view a, std::string_view b);

// True when `id` is a derived person-channel id (`a@b`).
inline bool is_derived_person_id(std::string_view id) {
  return id.find('@') != std::string_view::npos;
}

// The two parties of a derived person id; {id, ""} when `id` is not derived.
std::pair<std::string_view, std::string_view> person_parties(std::string_view id);

// The stored channel a send or read addresses. For person channels `channel_id` is the peer's uid
// (or already a derived id) and `self_uid` the sender / login uid.
ChannelKey stored_channel(std::string_view channel_id, uint8_t channel_type,
                          std::string_view self_uid);

// How a stored person message is presented to `login_uid` (http-api.md "Person channels"):
// channel_id is the peer of login_uid when login_uid is a party, else the party that is not from;
// target_uid is the party that is not the sender. Group-like channels return their own id twice.
struct ChannelView {
  std::string channel_id;
  std::string target_uid;
};
ChannelView view_for(const ChannelKey& stored, std::string_view from_uid,
                     std::string_view login_uid);

}  // namespace jindou
