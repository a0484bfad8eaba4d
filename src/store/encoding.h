// Byte layouts of keys and values in the store. Keys sort so that one channel's messages form one
// contiguous range ordered by seq; values start with a format version byte.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "model/channel.h"
#include "model/message.h"
#include "store/conversation_record.h"
#include "store/stream_record.h"

namespace jindou::store {

inline constexpr uint8_t kValueVersion = 1;

// Big-endian fixed-width helpers (keys must sort bytewise).
void put_u16(std::string& out, uint16_t v);
void put_u32(std::string& out, uint32_t v);
void put_u64(std::string& out, uint64_t v);
uint16_t get_u16(const char* p);
uint32_t get_u32(const char* p);
uint64_t get_u64(const char* p);

// Varint (LEB128) numbers and varint-length-prefixed strings, for values.
void put_varint(std::string& out, uint64_t v);
bool take_varint(std::string_view& in, uint64_t& v);
void put_string(std::string& out, std::string_view s);
bool take_string(std::string_view& in, std::string& out);

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

// Message value: version (2), message_id, header flags, setting, expire, timestamp, commit
// version, red-dot total, strings, payload. Offsets up to the red-dot total are fixed: the
// compaction filter reads expire and timestamp without parsing, and the committer writes the
// commit version in place. Version 1 values (no commit version, no red-dot total) still read.
inline constexpr uint8_t kMessageValueVersion = 2;
inline constexpr size_t kMessageExpireOffset = 11;
inline constexpr size_t kMessageTimestampOffset = 15;
inline constexpr size_t kMessageVersionOffset = 23;
inline constexpr size_t kMessageRedDotOffset = 31;
inline constexpr size_t kMessageHeaderSize = 39;
std::string encode_message(const Message& m);
// `key` is the msg CF key the value was stored under (carries channel and seq).
std::optional<Message> decode_message(std::string_view key, std::string_view value);
// The conversation fields of a stored message without decoding the rest (zeros for version 1).
struct MessageTip {
  uint64_t commit_version = 0;
  uint64_t red_dot_total = 0;
};
std::optional<MessageTip> decode_message_tip(std::string_view value);

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

// Max-seq record (channel CF, kind 's'): seq, then the red-dot total at that seq (absent in
// records written before conversations).
std::string encode_max_seq_record(uint64_t seq, uint64_t red_dots);
struct MaxSeqRecord {
  uint64_t seq = 0;
  std::optional<uint64_t> red_dots;
};
std::optional<MaxSeqRecord> decode_max_seq_record(std::string_view value);

// conv CF: uid (u16-prefixed) + channel prefix + record kind.
enum class ConversationRecordKind : uint8_t { kRead = 'r', kOwn = 'o' };
std::string conversation_prefix(std::string_view uid);
std::string conversation_key(std::string_view uid, const ChannelKey& key,
                             ConversationRecordKind kind);
// Values: version byte, then the commit version (filled at commit), then the fields.
inline constexpr size_t kReadMarkVersionOffset = 1;
inline constexpr size_t kOwnMarkVersionOffset = 1;
std::string encode_read_mark(const ReadMark& mark);
std::optional<ReadMark> decode_read_mark(std::string_view value);
std::string encode_own_mark(const OwnMark& mark);
std::optional<OwnMark> decode_own_mark(std::string_view value);

// event CF: queue byte + id (u64).
std::string event_key(uint8_t queue, uint64_t id);

// stream CF: 'm' + stream_no (the record), 'o' + stream_no (present while open), 'c' + stream_no
// (u16-prefixed) + chunk seq (u32) (a chunk's payload).
std::string stream_record_key(std::string_view stream_no);
std::string open_stream_key(std::string_view stream_no);
std::string stream_chunk_prefix(std::string_view stream_no);
std::string stream_chunk_key(std::string_view stream_no, uint32_t chunk_seq);
// 'k' + stream_no (u16-prefixed) + a chunk's client_msg_no -> its chunk seq (u32): retries.
std::string stream_chunk_no_key(std::string_view stream_no, std::string_view client_msg_no);
inline constexpr char kOpenStreamPrefix = 'o';
std::string encode_stream_record(const StreamRecord& r);
std::optional<StreamRecord> decode_stream_record(std::string_view stream_no,
                                                 std::string_view value);

// Channel info value.
std::string encode_channel_info(const ChannelInfo& info);
std::optional<ChannelInfo> decode_channel_info(std::string_view value);

}  // namespace jindou::store
