// Byte layouts of keys and values in the store. Keys sort so that one channel's messages form one
// contiguous range ordered by seq; values start with a format version byte.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "model/channel.h"
#include "model/message.h"

namespace jindou::store {

inline constexpr uint8_t kValueVersion = 1;

// Big-endian fixed-width helpers (keys must sort bytewise).
void put_u16(std::string& out, uint16_t v);
void put_u32(std::string& out, uint32_t v);
void put_u64(std::string& out, uint64_t v);
uint16_t get_u16(const char* p);
uint32_t get_u32(const char* p);
uint64_t get_u64(const char* p);

// Channel key prefix: type u8, id length u16, id bytes.
void put_channel(std::string& out, const ChannelKey& key);
std::string channel_prefix(const ChannelKey& key);
// Parses a channel prefix at the start of `in`; advances `in` past it.
std::optional<ChannelKey> take_channel(std::string_view& in);

// msg CF: channel prefix + seq.
std::string message_key(const ChannelKey& key, uint64_t seq);
// msg_id CF: message_id.
std::string message_id_key(int64_t message_id);
// client_no CF: channel prefix + client_msg_no (u16-prefixed) + from_uid.
std::string client_no_prefix(const ChannelKey& key, std::string_view client_msg_no);
std::string client_no_key(const ChannelKey& key, std::string_view client_msg_no,
                          std::string_view from_uid);
// channel CF: channel prefix + record kind.
enum class ChannelRecord : uint8_t { kInfo = 'i', kMaxSeq = 's' };
std::string channel_record_key(const ChannelKey& key, ChannelRecord kind);
// member CF: channel prefix + role + uid.
std::string member_prefix(const ChannelKey& key, MemberRole role);
std::string member_key(const ChannelKey& key, MemberRole role, std::string_view uid);
// user_channel CF: uid (u16-prefixed) + channel prefix; the reverse subscriber index.
std::string user_channel_prefix(std::string_view uid);
std::string user_channel_key(std::string_view uid, const ChannelKey& key);
// user CF: uid (u16-prefixed) + device flag.
std::string user_token_key(std::string_view uid, uint8_t device_flag);
// sync_queue CF: uid (u16-prefixed) + queue position.
std::string sync_queue_prefix(std::string_view uid);
std::string sync_queue_key(std::string_view uid, uint64_t position);

// Message value: version, message_id, header flags, setting, expire, timestamp, strings, payload.
// Offsets of expire and timestamp are fixed so the compaction filter reads them without parsing.
inline constexpr size_t kMessageExpireOffset = 11;
inline constexpr size_t kMessageTimestampOffset = 15;
std::string encode_message(const Message& m);
// `key` is the msg CF key the value was stored under (carries channel and seq).
std::optional<Message> decode_message(std::string_view key, std::string_view value);

// Index value (msg_id, client_no): version, expires_at, timestamp, message_id, then the msg key.
inline constexpr size_t kIndexExpiresAtOffset = 1;
inline constexpr size_t kIndexTimestampOffset = 9;
struct IndexEntry {
  int64_t expires_at = 0;
  int64_t timestamp = 0;
  int64_t message_id = 0;
  ChannelKey channel;
  uint64_t seq = 0;
};
std::string encode_index(const Message& m);
std::optional<IndexEntry> decode_index(std::string_view value);

// Channel info value.
std::string encode_channel_info(const ChannelInfo& info);
std::optional<ChannelInfo> decode_channel_info(std::string_view value);

}  // namespace jindou::store
