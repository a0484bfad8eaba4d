// Packet body decoders (wkproto.md §2.6, §4). Fields are read strictly in layout order; reading
// past the body is an error, surplus bytes after a fixed layout are ignored.
#include <string>
#include <variant>

#include "proto/codec.h"
#include "proto/wire.h"

namespace jindou::proto {
namespace {

using wire::Reader;

// The alternative T of `out`, reused when present so its strings keep their capacity.
template <class T>
T& reuse(Packet& out) {
  if (auto* p = std::get_if<T>(&out)) return *p;
  return out.emplace<T>();
}

ReasonCode reason(uint8_t v) {
  return static_cast<ReasonCode>(v);
}

bool has_expire(uint8_t version) {
  return version >= 3;
}
bool has_stream_fields(uint8_t setting, uint8_t version) {
  return (setting & kSettingStream) != 0 && version >= 2 && version < 5;
}

bool finish(const Reader& r, PacketType type, std::string& error) {
  if (r.ok()) return true;
  error.assign(packet_name(type));
  if (r.string_too_long()) {
    error.append(": length of ").append(r.failed_field()).append(" exceeds 32767 bytes");
  } else {
    error.append(": body ends inside ").append(r.failed_field());
  }
  return false;
}

bool connect(Reader& r, Packet& out, std::string& error) {
  auto& p = reuse<Connect>(out);
  p.version = r.u8("version");
  p.device_flag = r.u8("device_flag");
  r.str(p.device_id, "device_id");
  r.str(p.uid, "uid");
  r.str(p.token, "token");
  p.client_timestamp = r.i64("client_timestamp");
  r.str(p.client_key, "client_key");
  return finish(r, PacketType::kConnect, error);
}

bool connack(Reader& r, uint8_t flags, uint8_t version, Packet& out, std::string& error) {
  auto& p = reuse<Connack>(out);
  p.server_version = (flags & kFlagHasServerVersion) != 0 ? r.u8("server_version") : 0;
  p.time_diff = r.i64("time_diff");
  p.reason_code = reason(r.u8("reason_code"));
  r.str(p.server_key, "server_key");
  r.str(p.salt, "salt");
  p.node_id = version >= 4 ? r.u64("node_id") : 0;
  return finish(r, PacketType::kConnack, error);
}

bool send(Reader& r, uint8_t flags, uint8_t version, Packet& out, std::string& error) {
  auto& p = reuse<Send>(out);
  p.flags = flags;
  p.setting = r.u8("setting");
  p.client_seq = r.u32("client_seq");
  // Up to here the layout is the same for the legacy stream bit; the server answers such a SEND
  // with reason 20 echoing client_seq, so everything after it is best effort.
  p.legacy_stream = (p.setting & kSettingLegacyStream) != 0;
  if (p.legacy_stream && !r.ok()) return finish(r, PacketType::kSend, error);
  r.str(p.client_msg_no, "client_msg_no");
  p.stream_no.clear();
  const bool stream = has_stream_fields(p.setting, version);
  if (p.legacy_stream || stream) r.str(p.stream_no, "stream_no");
  r.str(p.channel_id, "channel_id");
  p.channel_type = r.u8("channel_type");
  p.expire = has_expire(version) ? r.u32("expire") : 0;
  r.str(p.msg_key, "msg_key");
  p.topic.clear();
  if ((p.setting & kSettingTopic) != 0) r.str(p.topic, "topic");
  p.payload.clear();
  if (r.ok()) r.rest(p.payload);
  if (p.legacy_stream) return true;
  // Streaming is not offered over SEND: the message is handled as a plain one (§4.4 rule 2).
  if (stream) {
    p.stream_no.clear();
    p.setting = static_cast<uint8_t>(p.setting & ~kSettingStream);
  }
  return finish(r, PacketType::kSend, error);
}

bool sendack(Reader& r, uint8_t flags, Packet& out, std::string& error) {
  auto& p = reuse<Sendack>(out);
  p.flags = flags;
  p.message_id = r.i64("message_id");
  p.client_seq = r.u32("client_seq");
  p.message_seq = r.u32("message_seq");
  p.reason_code = reason(r.u8("reason_code"));
  return finish(r, PacketType::kSendack, error);
}

bool recv(Reader& r, uint8_t flags, uint8_t version, Packet& out, std::string& error) {
  auto& p = reuse<Recv>(out);
  p.flags = flags;
  p.setting = r.u8("setting");
  r.str(p.msg_key, "msg_key");
  r.str(p.from_uid, "from_uid");
  r.str(p.channel_id, "channel_id");
  p.channel_type = r.u8("channel_type");
  p.expire = has_expire(version) ? r.u32("expire") : 0;
  r.str(p.client_msg_no, "client_msg_no");
  p.stream_flag = 0;
  p.stream_no.clear();
  p.stream_id = 0;
  if (has_stream_fields(p.setting, version)) {
    p.stream_flag = r.u8("stream_flag");
    r.str(p.stream_no, "stream_no");
    p.stream_id = r.u64("stream_id");
  }
  p.message_id = r.i64("message_id");
  p.message_seq = r.u32("message_seq");
  p.timestamp = r.i32("timestamp");
  p.topic.clear();
  if ((p.setting & kSettingTopic) != 0) r.str(p.topic, "topic");
  p.payload.clear();
  if (r.ok()) r.rest(p.payload);
  return finish(r, PacketType::kRecv, error);
}

bool recvack(Reader& r, uint8_t flags, Packet& out, std::string& error) {
  auto& p = reuse<Recvack>(out);
  p.flags = flags;
  p.message_id = r.i64("message_id");
  p.message_seq = r.u32("message_seq");
  return finish(r, PacketType::kRecvack, error);
}

bool disconnect(Reader& r, Packet& out, std::string& error) {
  auto& p = reuse<Disconnect>(out);
  p.reason_code = reason(r.u8("reason_code"));
  r.str(p.reason, "reason");
  return finish(r, PacketType::kDisconnect, error);
}

bool sub(Reader& r, Packet& out, std::string& error) {
  auto& p = reuse<Sub>(out);
  p.setting = r.u8("setting");
  r.str(p.sub_no, "sub_no");
  r.str(p.channel_id, "channel_id");
  p.channel_type = r.u8("channel_type");
  p.action = r.u8("action");
  r.str(p.param, "param");
  return finish(r, PacketType::kSub, error);
}

bool suback(Reader& r, Packet& out, std::string& error) {
  auto& p = reuse<Suback>(out);
  r.str(p.sub_no, "sub_no");
  r.str(p.channel_id, "channel_id");
  p.channel_type = r.u8("channel_type");
  p.action = r.u8("action");
  p.reason_code = reason(r.u8("reason_code"));
  return finish(r, PacketType::kSuback, error);
}

bool event(Reader& r, Packet& out, std::string& error) {
  auto& p = reuse<Event>(out);
  r.str(p.id, "id");
  r.str(p.type, "type");
  p.timestamp = r.i64("timestamp");
  p.data.clear();
  if (r.ok()) r.rest(p.data);
  return finish(r, PacketType::kEvent, error);
}

}  // namespace

bool decode_body(uint8_t header, std::string_view body, uint8_t version, Packet& out,
                 std::string& error) {
  const uint8_t flags = header & kFlagMask;
  Reader r(body);
  switch (header >> 4) {
    case 1:
      return connect(r, out, error);
    case 2:
      return connack(r, flags, version, out, error);
    case 3:
      return send(r, flags, version, out, error);
    case 4:
      return sendack(r, flags, out, error);
    case 5:
      return recv(r, flags, version, out, error);
    case 6:
      return recvack(r, flags, out, error);
    case 7:
      reuse<Ping>(out);
      return true;
    case 8:
      reuse<Pong>(out);
      return true;
    case 9:
      return disconnect(r, out, error);
    case 10:
      return sub(r, out, error);
    case 11:
      return suback(r, out, error);
    case 12:
      return event(r, out, error);
    default:
      error = "packet type " + std::to_string(header >> 4) + " is not defined";
      return false;
  }
}

}  // namespace jindou::proto
