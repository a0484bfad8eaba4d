#include "api/message_json.h"

#include <algorithm>

#include "api/json_input.h"
#include "model/base64.h"
#include "model/validation.h"

namespace jindou::api {

void write_send_result(JsonWriter& w, const engine::SendResult& r) {
  w.begin_object();
  w.field("message_id", r.message_id);
  w.field("message_idstr", std::to_string(r.message_id));
  w.field("message_seq", r.message_seq);
  w.field("client_msg_no", r.client_msg_no);
  w.end_object();
}

Result<engine::SendRequest> parse_send_request(const boost::json::object& body,
                                               const ApiLimits& limits, const std::string& prefix) {
  FieldReader f(body, prefix);
  engine::SendRequest r;
  // Without a header, or without red_dot in it, a message counts toward unread (as WuKongIM
  // counts every message): apps that never set the header still get badges.
  r.header.red_dot = true;
  if (const auto* header = f.object("header")) {
    FieldReader h(*header, prefix + "header.");
    r.header.no_persist = h.flag("no_persist");
    if (h.has("red_dot")) r.header.red_dot = h.flag("red_dot");
    r.header.sync_once = h.flag("sync_once");
    if (h.error()) return *h.error();
  }
  r.client_msg_no = f.string("client_msg_no");
  r.stream_no = f.string("stream_no");
  r.from_uid = f.string("from_uid");
  r.channel_id = f.string("channel_id");
  r.channel_type = static_cast<uint8_t>(f.integer("channel_type", 0, 0, 255));
  r.expire = static_cast<uint32_t>(f.integer("expire", 0, 0, UINT32_MAX));
  r.subscribers = f.strings("subscribers");
  r.tag_key = f.string("tag_key");
  const std::string payload_text = f.string("payload");
  const bool has_payload = f.has("payload");
  if (f.error()) return *f.error();

  if (!has_payload) return Error::bad_request(f.name("payload") + " is required");
  // Cheap size check before decoding: base64 is 4 bytes per 3.
  if (payload_text.size() / 4 * 3 > limits.max_payload_bytes + 2) {
    return Error::too_large(f.name("payload") + " is larger than " +
                            std::to_string(limits.max_payload_bytes) + " bytes");
  }
  auto payload = base64_decode(payload_text);
  if (!payload) return Error::bad_request(f.name("payload") + " is not valid base64");
  if (payload->size() > limits.max_payload_bytes) {
    return Error::too_large(f.name("payload") + " is larger than " +
                            std::to_string(limits.max_payload_bytes) + " bytes");
  }
  r.payload = std::move(*payload);

  if (!r.from_uid.empty()) {
    if (auto e = check_id(r.from_uid, f.name("from_uid"))) return *e;
  }
  if (r.client_msg_no.size() > 256) {
    return Error::bad_request(f.name("client_msg_no") + " is longer than 256 bytes");
  }
  if (r.tag_key.size() > 256) {
    return Error::bad_request(f.name("tag_key") + " is longer than 256 bytes");
  }
  if (r.subscribers.size() > limits.max_subscribers) {
    return Error::bad_request(f.name("subscribers") + " has more than " +
                              std::to_string(limits.max_subscribers) + " uids");
  }
  for (const auto& uid : r.subscribers) {
    if (auto e = check_id(uid, f.name("subscribers"))) return *e;
  }
  // Each uid once: a uid listed twice must not receive the message twice.
  std::sort(r.subscribers.begin(), r.subscribers.end());
  r.subscribers.erase(std::unique(r.subscribers.begin(), r.subscribers.end()), r.subscribers.end());
  if (r.channel_id.empty() && r.subscribers.empty()) {
    return Error::bad_request(f.name("channel_id") + " is required (or give subscribers)");
  }
  if (!r.channel_id.empty()) {
    if (auto e = check_id(r.channel_id, f.name("channel_id"))) return *e;
    if (auto e = check_channel_type(r.channel_type, f.name("channel_type"))) return *e;
  }
  return r;
}

}  // namespace jindou::api
