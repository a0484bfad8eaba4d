#include "json/message_object.h"

#include "model/base64.h"

namespace jindou {

void write_message(JsonWriter& w, const Message& m, std::string_view login_uid) {
  w.begin_object();
  write_message_fields(w, m, login_uid);
  w.end_object();
}

void write_message_fields(JsonWriter& w, const Message& m, std::string_view login_uid) {
  const ChannelView view = view_for(m.channel, m.from_uid, login_uid);
  w.field("message_id", m.message_id);
  w.field("message_idstr", std::to_string(m.message_id));
  w.field("message_seq", m.message_seq);
  w.field("client_msg_no", m.client_msg_no);
  w.field("from_uid", m.from_uid);
  w.field("channel_id", view.channel_id);
  w.field("channel_type", static_cast<int>(m.channel.type));
  w.field("target_uid", view.target_uid);
  w.field("timestamp", m.timestamp);
  std::string payload;
  base64_encode_to(m.payload, payload);
  w.field("payload", payload);
  w.field("setting", static_cast<int>(m.setting));
  w.field("expire", static_cast<uint64_t>(m.expire));
  w.key("header").begin_object();
  w.field("no_persist", m.header.no_persist ? 1 : 0);
  w.field("red_dot", m.header.red_dot ? 1 : 0);
  w.field("sync_once", m.header.sync_once ? 1 : 0);
  w.end_object();
  if (!m.stream_no.empty()) w.field("stream_no", m.stream_no);
  if (!m.tag_key.empty()) w.field("tag_key", m.tag_key);
}

}  // namespace jindou
