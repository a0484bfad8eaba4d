#include "store/encoding.h"

namespace jindou::store {
namespace {

void put_string16(std::string& out, std::string_view s) {
  put_u16(out, static_cast<uint16_t>(s.size()));
  out.append(s);
}

}  // namespace

// Values use varint lengths: compact, and never limited to 64 KiB.
void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

bool take_varint(std::string_view& in, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64 && !in.empty(); shift += 7) {
    const auto b = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    v |= static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

bool take_string(std::string_view& in, std::string& out) {
  uint64_t n = 0;
  if (!take_varint(in, n) || n > in.size()) return false;
  out.assign(in.data(), n);
  in.remove_prefix(n);
  return true;
}

void put_string(std::string& out, std::string_view s) {
  put_varint(out, s.size());
  out.append(s);
}

void put_u16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}
void put_u32(std::string& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<char>(v >> s));
}
void put_u64(std::string& out, uint64_t v) {
  for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<char>(v >> s));
}
uint16_t get_u16(const char* p) {
  const auto* u = reinterpret_cast<const uint8_t*>(p);
  return static_cast<uint16_t>((u[0] << 8) | u[1]);
}
uint32_t get_u32(const char* p) {
  const auto* u = reinterpret_cast<const uint8_t*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | u[3];
}
uint64_t get_u64(const char* p) {
  return (uint64_t{get_u32(p)} << 32) | get_u32(p + 4);
}

void put_channel(std::string& out, const ChannelKey& key) {
  out.push_back(static_cast<char>(key.type));
  put_string16(out, key.id);
}

std::string channel_prefix(const ChannelKey& key) {
  std::string out;
  out.reserve(3 + key.id.size());
  put_channel(out, key);
  return out;
}

std::optional<ChannelKey> take_channel(std::string_view& in) {
  if (in.size() < 3) return std::nullopt;
  ChannelKey key;
  key.type = static_cast<uint8_t>(in[0]);
  const uint16_t n = get_u16(in.data() + 1);
  if (in.size() < 3u + n) return std::nullopt;
  key.id.assign(in.data() + 3, n);
  in.remove_prefix(3u + n);
  return key;
}

std::string message_key(const ChannelKey& key, uint64_t seq) {
  std::string out;
  out.reserve(11 + key.id.size());
  put_channel(out, key);
  put_u64(out, seq);
  return out;
}

std::string message_id_key(int64_t message_id) {
  std::string out;
  put_u64(out, static_cast<uint64_t>(message_id));
  return out;
}

std::string client_no_prefix(const ChannelKey& key, std::string_view client_msg_no) {
  std::string out = channel_prefix(key);
  put_string16(out, client_msg_no);
  return out;
}

std::string client_no_key(const ChannelKey& key, std::string_view client_msg_no,
                          std::string_view from_uid) {
  std::string out = client_no_prefix(key, client_msg_no);
  out.append(from_uid);
  return out;
}

std::string channel_record_key(const ChannelKey& key, ChannelRecord kind) {
  std::string out = channel_prefix(key);
  out.push_back(static_cast<char>(kind));
  return out;
}

std::string member_prefix(const ChannelKey& key, MemberRole role) {
  std::string out = channel_prefix(key);
  out.push_back(static_cast<char>(role));
  return out;
}

std::string member_key(const ChannelKey& key, MemberRole role, std::string_view uid) {
  std::string out = member_prefix(key, role);
  out.append(uid);
  return out;
}

std::string user_channel_prefix(std::string_view uid) {
  std::string out;
  put_string16(out, uid);
  return out;
}

std::string user_channel_key(std::string_view uid, const ChannelKey& key) {
  std::string out = user_channel_prefix(uid);
  put_channel(out, key);
  return out;
}

std::string user_token_key(std::string_view uid, uint8_t device_flag) {
  std::string out = user_channel_prefix(uid);
  out.push_back(static_cast<char>(device_flag));
  return out;
}

std::string sync_queue_prefix(std::string_view uid) {
  return user_channel_prefix(uid);
}

std::string sync_queue_key(std::string_view uid, uint64_t position) {
  std::string out = sync_queue_prefix(uid);
  put_u64(out, position);
  return out;
}

std::string encode_message(const Message& m) {
  std::string out;
  out.reserve(kMessageHeaderSize + 10 + m.client_msg_no.size() + m.from_uid.size() +
              m.payload.size() + m.stream_no.size() + m.tag_key.size() + m.topic.size());
  out.push_back(static_cast<char>(kMessageValueVersion));
  put_u64(out, static_cast<uint64_t>(m.message_id));
  out.push_back(static_cast<char>(m.header.flags()));
  out.push_back(static_cast<char>(m.setting));
  put_u32(out, m.expire);                            // offset 11
  put_u64(out, static_cast<uint64_t>(m.timestamp));  // offset 15
  put_u64(out, m.commit_version);                    // offset 23: stamped at commit
  put_u64(out, m.red_dot_total);                     // offset 31
  put_string(out, m.client_msg_no);
  put_string(out, m.from_uid);
  put_string(out, m.stream_no);
  put_string(out, m.tag_key);
  put_string(out, m.topic);
  out.append(m.payload);
  return out;
}

std::optional<Message> decode_message(std::string_view key, std::string_view value) {
  Message m;
  auto channel = take_channel(key);
  if (!channel || key.size() != 8) return std::nullopt;
  m.channel = std::move(*channel);
  m.message_seq = get_u64(key.data());
  if (value.empty()) return std::nullopt;
  // Version 1 (before conversations) lacks the commit version and the red-dot total.
  const auto version = static_cast<uint8_t>(value[0]);
  const size_t header = version == kMessageValueVersion ? kMessageHeaderSize
                        : version == 1                  ? kMessageVersionOffset
                                                        : 0;
  if (header == 0 || value.size() < header) return std::nullopt;
  m.message_id = static_cast<int64_t>(get_u64(value.data() + 1));
  m.header = MessageHeader::from_flags(static_cast<uint8_t>(value[9]));
  m.setting = static_cast<uint8_t>(value[10]);
  m.expire = get_u32(value.data() + kMessageExpireOffset);
  m.timestamp = static_cast<int64_t>(get_u64(value.data() + kMessageTimestampOffset));
  if (version == kMessageValueVersion) {
    m.commit_version = get_u64(value.data() + kMessageVersionOffset);
    m.red_dot_total = get_u64(value.data() + kMessageRedDotOffset);
  }
  value.remove_prefix(header);
  if (!take_string(value, m.client_msg_no) || !take_string(value, m.from_uid) ||
      !take_string(value, m.stream_no) || !take_string(value, m.tag_key) ||
      !take_string(value, m.topic)) {
    return std::nullopt;
  }
  m.payload.assign(value.data(), value.size());
  return m;
}

std::optional<MessageTip> decode_message_tip(std::string_view value) {
  if (value.empty()) return std::nullopt;
  const auto version = static_cast<uint8_t>(value[0]);
  if (version == 1 && value.size() >= kMessageVersionOffset) return MessageTip{};
  if (version != kMessageValueVersion || value.size() < kMessageHeaderSize) return std::nullopt;
  return MessageTip{get_u64(value.data() + kMessageVersionOffset),
                    get_u64(value.data() + kMessageRedDotOffset)};
}

std::string encode_max_seq_record(uint64_t seq, uint64_t red_dots) {
  std::string out;
  put_u64(out, seq);
  put_u64(out, red_dots);
  return out;
}

std::optional<MaxSeqRecord> decode_max_seq_record(std::string_view value) {
  if (value.size() == 8) return MaxSeqRecord{get_u64(value.data()), std::nullopt};
  if (value.size() == 16) return MaxSeqRecord{get_u64(value.data()), get_u64(value.data() + 8)};
  return std::nullopt;
}

std::string conversation_prefix(std::string_view uid) {
  return user_channel_prefix(uid);
}

std::string conversation_key(std::string_view uid, const ChannelKey& key,
                             ConversationRecordKind kind) {
  std::string out = conversation_prefix(uid);
  put_channel(out, key);
  out.push_back(static_cast<char>(kind));
  return out;
}

std::string encode_read_mark(const ReadMark& mark) {
  std::string out;
  out.reserve(41);
  out.push_back(static_cast<char>(kValueVersion));
  put_u64(out, mark.version);  // offset 1: filled at commit
  put_u64(out, mark.read_seq);
  put_u64(out, mark.read_red_dots);
  put_u64(out, mark.unread_offset);
  put_u64(out, mark.deleted_to);
  return out;
}

std::optional<ReadMark> decode_read_mark(std::string_view value) {
  if (value.size() != 41 || static_cast<uint8_t>(value[0]) != kValueVersion) return std::nullopt;
  const char* p = value.data();
  return ReadMark{get_u64(p + 9), get_u64(p + 17), get_u64(p + 25), get_u64(p + 33),
                  get_u64(p + 1)};
}

std::string encode_own_mark(const OwnMark& mark) {
  std::string out;
  out.reserve(25);
  out.push_back(static_cast<char>(kValueVersion));
  put_u64(out, mark.version);  // offset 1: filled at commit
  put_u64(out, mark.seq);
  put_u64(out, mark.red_dots);
  return out;
}

std::optional<OwnMark> decode_own_mark(std::string_view value) {
  if (value.size() != 25 || static_cast<uint8_t>(value[0]) != kValueVersion) return std::nullopt;
  const char* p = value.data();
  return OwnMark{get_u64(p + 9), get_u64(p + 17), get_u64(p + 1)};
}

std::string event_key(uint8_t queue, uint64_t id) {
  std::string out(1, static_cast<char>(queue));
  put_u64(out, id);
  return out;
}

std::string stream_record_key(std::string_view stream_no) {
  std::string out(1, 'm');
  out.append(stream_no);
  return out;
}

std::string open_stream_key(std::string_view stream_no) {
  std::string out(1, kOpenStreamPrefix);
  out.append(stream_no);
  return out;
}

std::string stream_chunk_prefix(std::string_view stream_no) {
  std::string out(1, 'c');
  put_string16(out, stream_no);
  return out;
}

std::string stream_chunk_key(std::string_view stream_no, uint32_t chunk_seq) {
  std::string out = stream_chunk_prefix(stream_no);
  put_u32(out, chunk_seq);
  return out;
}

std::string stream_chunk_no_key(std::string_view stream_no, std::string_view client_msg_no) {
  std::string out(1, 'k');
  put_string16(out, stream_no);
  out.append(client_msg_no);
  return out;
}

std::string encode_stream_record(const StreamRecord& r) {
  std::string out;
  out.push_back(static_cast<char>(kValueVersion));
  put_channel(out, r.channel);
  put_varint(out, r.anchor_seq);
  put_varint(out, static_cast<uint64_t>(r.anchor_message_id));
  put_string(out, r.client_msg_no);
  put_string(out, r.from_uid);
  put_varint(out, r.chunks);
  put_varint(out, r.bytes);
  out.push_back(static_cast<char>(r.ended ? 1 : 0));
  out.push_back(static_cast<char>(r.end_reason));
  put_varint(out, static_cast<uint64_t>(r.updated_ms));
  return out;
}

std::optional<StreamRecord> decode_stream_record(std::string_view stream_no,
                                                 std::string_view value) {
  if (value.empty() || static_cast<uint8_t>(value[0]) != kValueVersion) return std::nullopt;
  value.remove_prefix(1);
  StreamRecord r;
  r.stream_no = std::string(stream_no);
  auto channel = take_channel(value);
  if (!channel) return std::nullopt;
  r.channel = std::move(*channel);
  uint64_t id = 0, chunks = 0, updated = 0;
  if (!take_varint(value, r.anchor_seq) || !take_varint(value, id) ||
      !take_string(value, r.client_msg_no) || !take_string(value, r.from_uid) ||
      !take_varint(value, chunks) || !take_varint(value, r.bytes) || value.size() < 2) {
    return std::nullopt;
  }
  r.anchor_message_id = static_cast<int64_t>(id);
  if (chunks > UINT32_MAX) return std::nullopt;
  r.chunks = static_cast<uint32_t>(chunks);
  r.ended = value[0] != 0;
  const auto reason = static_cast<uint8_t>(value[1]);
  if (reason > 2) return std::nullopt;
  r.end_reason = static_cast<StreamEnd>(reason);
  value.remove_prefix(2);
  if (!take_varint(value, updated) || !value.empty()) return std::nullopt;
  r.updated_ms = static_cast<int64_t>(updated);
  return r;
}

std::string encode_index(const Message& m) {
  std::string out;
  out.reserve(36 + m.channel.id.size());
  out.push_back(static_cast<char>(kValueVersion));
  put_u64(out, static_cast<uint64_t>(m.expires_at()));
  put_u64(out, static_cast<uint64_t>(m.timestamp));
  put_u64(out, static_cast<uint64_t>(m.message_id));
  put_channel(out, m.channel);
  put_u64(out, m.message_seq);
  return out;
}

std::optional<IndexEntry> decode_index(std::string_view value) {
  if (value.size() < 25 || static_cast<uint8_t>(value[0]) != kValueVersion) return std::nullopt;
  IndexEntry e;
  e.expires_at = static_cast<int64_t>(get_u64(value.data() + kIndexExpiresAtOffset));
  e.timestamp = static_cast<int64_t>(get_u64(value.data() + kIndexTimestampOffset));
  e.message_id = static_cast<int64_t>(get_u64(value.data() + 17));
  value.remove_prefix(25);
  auto channel = take_channel(value);
  if (!channel || value.size() != 8) return std::nullopt;
  e.channel = std::move(*channel);
  e.seq = get_u64(value.data());
  return e;
}

std::string encode_channel_info(const ChannelInfo& info) {
  std::string out;
  out.push_back(static_cast<char>(kValueVersion));
  const uint8_t bits =
      static_cast<uint8_t>((info.ban ? 1 : 0) | (info.disband ? 2 : 0) | (info.send_ban ? 4 : 0) |
                           (info.large ? 8 : 0) | (info.allow_stranger ? 16 : 0));
  out.push_back(static_cast<char>(bits));
  return out;
}

std::optional<ChannelInfo> decode_channel_info(std::string_view value) {
  if (value.size() < 2 || static_cast<uint8_t>(value[0]) != kValueVersion) return std::nullopt;
  const auto bits = static_cast<uint8_t>(value[1]);
  ChannelInfo info;
  info.ban = (bits & 1) != 0;
  info.disband = (bits & 2) != 0;
  info.send_ban = (bits & 4) != 0;
  info.large = (bits & 8) != 0;
  info.allow_stranger = (bits & 16) != 0;
  return info;
}

}  // namespace jindou::store
