// Packet encoders (wkproto.md §2–§4). Each computes the exact body size first, so a packet is
// written with one resize of `out` and no reallocation when it has the capacity.
#include <variant>

#include "proto/codec.h"
#include "proto/wire.h"

namespace jindou::proto {
namespace {

using wire::string_size;
using wire::varint_size;
using wire::Writer;

uint8_t code(ReasonCode rc) {
  return static_cast<uint8_t>(rc);
}

// Opens a packet with a body of `body` bytes; the caller writes exactly that many.
Writer begin(std::string& out, PacketType type, uint8_t flags, size_t body) {
  const auto remaining = static_cast<uint32_t>(body);
  Writer w(out, 1 + varint_size(remaining) + body);
  w.fixed_header(type, flags, remaining);
  return w;
}

bool has_expire(uint8_t version) {
  return version >= 3;
}
bool send_has_stream_no(uint8_t setting, uint8_t version) {
  // The legacy bit puts stream_no at the same place in every version (SDK 1.0.4's layout).
  return (setting & kSettingLegacyStream) != 0 ||
         ((setting & kSettingStream) != 0 && version >= 2 && version < 5);
}

}  // namespace

void encode(const Connect& p, uint8_t /*version*/, std::string& out) {
  const size_t body = 2 + string_size(p.device_id) + string_size(p.uid) + string_size(p.token) + 8 +
                      string_size(p.client_key);
  Writer w = begin(out, PacketType::kConnect, 0, body);
  w.u8(p.version);
  w.u8(p.device_flag);
  w.str(p.device_id);
  w.str(p.uid);
  w.str(p.token);
  w.i64(p.client_timestamp);
  w.str(p.client_key);
}

void encode(const Connack& p, uint8_t version, std::string& out) {
  // server_version (flagged in the header) is for c > 3, node_id for v >= 4: the same versions.
  const bool modern = version > 3;
  const size_t body =
      (modern ? 1 : 0) + 8 + 1 + string_size(p.server_key) + string_size(p.salt) + (modern ? 8 : 0);
  Writer w = begin(out, PacketType::kConnack, modern ? kFlagHasServerVersion : 0, body);
  if (modern) w.u8(p.server_version);
  w.i64(p.time_diff);
  w.u8(code(p.reason_code));
  w.str(p.server_key);
  w.str(p.salt);
  if (modern) w.u64(p.node_id);
}

void encode(const Send& p, uint8_t version, std::string& out) {
  const bool stream_no = send_has_stream_no(p.setting, version);
  const bool topic = (p.setting & kSettingTopic) != 0;
  const size_t body = 1 + 4 + string_size(p.client_msg_no) +
                      (stream_no ? string_size(p.stream_no) : 0) + string_size(p.channel_id) + 1 +
                      (has_expire(version) ? 4 : 0) + string_size(p.msg_key) +
                      (topic ? string_size(p.topic) : 0) + p.payload.size();
  Writer w = begin(out, PacketType::kSend, p.flags, body);
  w.u8(p.setting);
  w.u32(p.client_seq);
  w.str(p.client_msg_no);
  if (stream_no) w.str(p.stream_no);
  w.str(p.channel_id);
  w.u8(p.channel_type);
  if (has_expire(version)) w.u32(p.expire);
  w.str(p.msg_key);
  if (topic) w.str(p.topic);
  w.bytes(p.payload);
}

void encode(const Sendack& p, uint8_t /*version*/, std::string& out) {
  Writer w = begin(out, PacketType::kSendack, p.flags, 17);
  w.i64(p.message_id);
  w.u32(p.client_seq);
  w.u32(p.message_seq);
  w.u8(code(p.reason_code));
}

namespace {

size_t recv_body_size(const RecvView& p, uint8_t version, uint8_t setting) {
  return 1 + string_size(p.msg_key) + string_size(p.from_uid) + string_size(p.channel_id) + 1 +
         (has_expire(version) ? 4 : 0) + string_size(p.client_msg_no) + 8 + 4 + 4 +
         ((setting & kSettingTopic) != 0 ? string_size(p.topic) : 0) + p.payload.size();
}

}  // namespace

size_t encoded_size(const RecvView& p, uint8_t version) {
  const size_t body = recv_body_size(p, version, recv_setting_for(p.setting, version));
  return 1 + varint_size(static_cast<uint32_t>(body)) + body;
}

void encode(const RecvView& p, uint8_t version, std::string& out) {
  // Stream fields are never written: the stream bits are dropped where they would imply them.
  const uint8_t setting = recv_setting_for(p.setting, version);
  Writer w = begin(out, PacketType::kRecv, p.flags, recv_body_size(p, version, setting));
  w.u8(setting);
  w.str(p.msg_key);
  w.str(p.from_uid);
  w.str(p.channel_id);
  w.u8(p.channel_type);
  if (has_expire(version)) w.u32(p.expire);
  w.str(p.client_msg_no);
  w.i64(p.message_id);
  w.u32(p.message_seq);
  w.i32(p.timestamp);
  if ((setting & kSettingTopic) != 0) w.str(p.topic);
  w.bytes(p.payload);
}

void encode(const Recv& p, uint8_t version, std::string& out) {
  encode(RecvView::of(p), version, out);
}

void encode(const Recvack& p, uint8_t /*version*/, std::string& out) {
  Writer w = begin(out, PacketType::kRecvack, p.flags, 12);
  w.i64(p.message_id);
  w.u32(p.message_seq);
}

// PING and PONG are the header byte alone: no remaining length.
void encode(const Ping& /*p*/, uint8_t /*version*/, std::string& out) {
  out.push_back(static_cast<char>(static_cast<uint8_t>(PacketType::kPing) << 4));
}

void encode(const Pong& /*p*/, uint8_t /*version*/, std::string& out) {
  out.push_back(static_cast<char>(static_cast<uint8_t>(PacketType::kPong) << 4));
}

void encode(const Disconnect& p, uint8_t /*version*/, std::string& out) {
  Writer w = begin(out, PacketType::kDisconnect, 0, 1 + string_size(p.reason));
  w.u8(code(p.reason_code));
  w.str(p.reason);
}

void encode(const Sub& p, uint8_t /*version*/, std::string& out) {
  const size_t body =
      1 + string_size(p.sub_no) + string_size(p.channel_id) + 1 + 1 + string_size(p.param);
  Writer w = begin(out, PacketType::kSub, 0, body);
  w.u8(p.setting);
  w.str(p.sub_no);
  w.str(p.channel_id);
  w.u8(p.channel_type);
  w.u8(p.action);
  w.str(p.param);
}

void encode(const Suback& p, uint8_t /*version*/, std::string& out) {
  const size_t body = string_size(p.sub_no) + string_size(p.channel_id) + 1 + 1 + 1;
  Writer w = begin(out, PacketType::kSuback, 0, body);
  w.str(p.sub_no);
  w.str(p.channel_id);
  w.u8(p.channel_type);
  w.u8(p.action);
  w.u8(code(p.reason_code));
}

void encode(const Event& p, uint8_t /*version*/, std::string& out) {
  const size_t body = string_size(p.id) + string_size(p.type) + 8 + p.data.size();
  Writer w = begin(out, PacketType::kEvent, 0, body);
  w.str(p.id);
  w.str(p.type);
  w.i64(p.timestamp);
  w.bytes(p.data);
}

void encode(const Packet& p, uint8_t version, std::string& out) {
  std::visit([&](const auto& packet) { encode(packet, version, out); }, p);
}

std::string encoded(const Packet& p, uint8_t version) {
  std::string out;
  encode(p, version, out);
  return out;
}

std::string_view packet_name(PacketType type) {
  switch (type) {
    case PacketType::kConnect:
      return "CONNECT";
    case PacketType::kConnack:
      return "CONNACK";
    case PacketType::kSend:
      return "SEND";
    case PacketType::kSendack:
      return "SENDACK";
    case PacketType::kRecv:
      return "RECV";
    case PacketType::kRecvack:
      return "RECVACK";
    case PacketType::kPing:
      return "PING";
    case PacketType::kPong:
      return "PONG";
    case PacketType::kDisconnect:
      return "DISCONNECT";
    case PacketType::kSub:
      return "SUB";
    case PacketType::kSuback:
      return "SUBACK";
    case PacketType::kEvent:
      return "EVENT";
  }
  return "UNKNOWN";
}

}  // namespace jindou::proto
