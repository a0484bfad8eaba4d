// The message as the server stores and delivers it.
#pragma once

#include <cstdint>
#include <string>

#include "model/channel.h"

namespace jindou {

// wkproto header flags a message carries (RECV header bits 0..2).
struct MessageHeader {
  bool no_persist = false;
  bool red_dot = false;
  bool sync_once = false;

  uint8_t flags() const {
    return static_cast<uint8_t>((no_persist ? 1 : 0) | (red_dot ? 2 : 0) | (sync_once ? 4 : 0));
  }
  static MessageHeader from_flags(uint8_t f) { return {(f & 1) != 0, (f & 2) != 0, (f & 4) != 0}; }
  friend bool operator==(const MessageHeader&, const MessageHeader&) = default;
};

// wkproto setting bits (SEND / RECV setting byte).
inline constexpr uint8_t kSettingReceipt = 0x80;
inline constexpr uint8_t kSettingTopic = 0x08;
inline constexpr uint8_t kSettingLegacyStream = 0x04;
inline constexpr uint8_t kSettingStream = 0x02;

struct Message {
  int64_t message_id = 0;    // snowflake, 1 .. 2^63-1
  uint64_t message_seq = 0;  // per stored channel, gap-free from 1; 0 when not persisted
  std::string client_msg_no;
  std::string from_uid;
  ChannelKey channel;  // stored channel (person: derived `a@b` id)
  MessageHeader header;
  uint8_t setting = 0;
  uint32_t expire = 0;    // seconds of life after `timestamp`; 0 = forever
  int64_t timestamp = 0;  // Unix seconds, server clock at acceptance
  std::string stream_no;
  std::string tag_key;
  std::string topic;
  std::string payload;  // plaintext bytes, opaque to the server
  // Kept by the store for conversations: red_dot messages in the channel up to and including
  // this one (so unread counts are differences), and the commit version the store gave the
  // message (increasing in commit order; Unix nanoseconds unless the clock lags).
  uint64_t red_dot_total = 0;
  uint64_t commit_version = 0;

  // Unix second at which the message stops being visible; 0 = never.
  int64_t expires_at() const { return expire == 0 ? 0 : timestamp + expire; }
  bool expired_at(int64_t now_seconds) const {
    return expire != 0 && now_seconds >= timestamp + static_cast<int64_t>(expire);
  }
};

}  // namespace jindou
