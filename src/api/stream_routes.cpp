// Streams: /stream/open, /stream/close, chunks through /message/send (stream_no), and WuKongIM
// 2.2's /event, whose text-message events map onto the same streams.
#include <boost/json/serialize.hpp>

#include <algorithm>

#include "api/json_input.h"
#include "api/message_json.h"
#include "api/routes.h"
#include "api/stream_json.h"
#include "model/base64.h"
#include "model/clock.h"
#include "model/validation.h"

namespace jindou::api {
namespace {

void write_stream_result(JsonWriter& w, const engine::StreamResult& r, bool chunk) {
  w.begin_object()
      .field("message_id", r.message_id)
      .field("message_idstr", std::to_string(r.message_id))
      .field("message_seq", r.message_seq)
      .field("client_msg_no", r.client_msg_no)
      .field("stream_no", r.stream_no);
  if (chunk) w.field("stream_seq", static_cast<uint64_t>(r.chunk_seq));
  w.end_object();
}

void answer_stream(const Respond& respond, const engine::StreamResult& r, bool chunk) {
  if (!r.status.ok()) return respond(HttpResponse::send_error(r.status.error()));
  std::string out;
  JsonWriter w(out);
  write_stream_result(w, r, chunk);
  respond(HttpResponse::json(std::move(out)));
}

// The answer to an open: the stream and its anchor (`with_client_msg_no`: also the anchor's
// client_msg_no, as /stream/open answers).
void answer_open(const Respond& respond, const engine::SendResult& r, bool with_client_msg_no) {
  if (!r.status.ok()) return respond(HttpResponse::send_error(r.status.error()));
  std::string out;
  JsonWriter w(out);
  w.begin_object()
      .field("stream_no", r.stream_no)
      .field("message_id", r.message_id)
      .field("message_idstr", std::to_string(r.message_id))
      .field("message_seq", r.message_seq);
  if (with_client_msg_no) w.field("client_msg_no", r.client_msg_no);
  w.end_object();
  respond(HttpResponse::json(std::move(out)));
}

std::optional<Error> stream_no_error(const std::string& stream_no, const std::string& field) {
  if (stream_no.empty()) return Error::bad_request(field + " is required");
  if (stream_no.size() > 128) return Error::bad_request(field + " is longer than 128 bytes");
  return check_id(stream_no, field);
}

void open_stream(ApiContext& ctx, HttpRequest& request, const Respond& respond) {
  auto body = body_object(request);
  if (!body.ok()) return respond(HttpResponse::send_error(body.error()));
  auto send = parse_send_request(*body, ctx.limits);
  if (!send.ok()) return respond(HttpResponse::send_error(send.error()));
  if (!send->stream_no.empty()) {
    return respond(HttpResponse::send_error(
        Error::bad_request("stream_no is named by the server: leave it out")));
  }
  if (send->channel_id.empty()) {
    return respond(HttpResponse::send_error(Error::bad_request("channel_id is required")));
  }
  if (!send->subscribers.empty()) {
    return respond(HttpResponse::send_error(
        Error::bad_request("a stream goes to a channel: leave out subscribers")));
  }
  ctx.engine.open_stream(std::move(*send),
                         [respond](const engine::SendResult& r) { answer_open(respond, r, true); });
}

void close_stream(ApiContext& ctx, HttpRequest& request, const Respond& respond) {
  auto body = body_object(request);
  if (!body.ok()) return respond(HttpResponse::send_error(body.error()));
  FieldReader f(*body);
  std::string stream_no = f.string("stream_no");
  const int64_t reason = f.integer("end_reason", 0, 0, 1);
  if (f.error()) return respond(HttpResponse::send_error(*f.error()));
  if (auto e = stream_no_error(stream_no, "stream_no"))
    return respond(HttpResponse::send_error(*e));
  ctx.engine.close_stream(
      std::move(stream_no), static_cast<store::StreamEnd>(reason),
      [respond](const engine::StreamResult& r) { answer_stream(respond, r, false); });
}

}  // namespace

void send_chunk(ApiContext& ctx, const boost::json::object& body, const Respond& respond) {
  FieldReader f(body);
  engine::ChunkRequest chunk;
  chunk.stream_no = f.string("stream_no");
  chunk.client_msg_no = f.string("client_msg_no");
  const std::string payload_text = f.string("payload");
  const bool has_payload = f.has("payload");
  if (f.error()) return respond(HttpResponse::send_error(*f.error()));
  if (auto e = stream_no_error(chunk.stream_no, "stream_no"))
    return respond(HttpResponse::send_error(*e));
  if (!has_payload)
    return respond(HttpResponse::send_error(Error::bad_request("payload is required")));
  if (chunk.client_msg_no.size() > 256) {
    return respond(
        HttpResponse::send_error(Error::bad_request("client_msg_no is longer than 256 bytes")));
  }
  auto payload = base64_decode(payload_text);
  if (!payload)
    return respond(HttpResponse::send_error(Error::bad_request("payload is not valid base64")));
  // A chunk reaches v5 clients as one EVENT packet, which must fit wkproto's 1 MiB.
  const size_t limit = std::min(ctx.limits.max_payload_bytes, engine::kMaxChunkBytes);
  if (payload->size() > limit) {
    return respond(HttpResponse::send_error(
        Error::too_large("payload of a chunk is larger than " + std::to_string(limit) + " bytes")));
  }
  chunk.payload = std::move(*payload);
  ctx.engine.append_chunk(std::move(chunk), [respond](const engine::StreamResult& r) {
    answer_stream(respond, r, true);
  });
}

namespace {

// POST /event: WuKongIM 2.2's events. The three text-message types drive a stream named by the
// event's client_msg_no; any other type is relayed to the channel's v5 connections.
void post_event(ApiContext& ctx, HttpRequest& request, const Respond& respond) {
  auto body = body_object(request);
  if (!body.ok()) return respond(HttpResponse::send_error(body.error()));
  FieldReader f(*body);
  const std::string client_msg_no = f.string("client_msg_no");
  const std::string channel_id = f.string("channel_id");
  const auto channel_type = static_cast<uint8_t>(f.integer("channel_type", 0, 0, 255));
  const std::string from_uid = f.string("from_uid");
  const boost::json::object* event = f.object("event");
  if (f.error()) return respond(HttpResponse::send_error(*f.error()));
  if (event == nullptr)
    return respond(HttpResponse::send_error(Error::bad_request("event is required")));
  FieldReader e(*event, "event.");
  std::string id = e.string("id");
  const std::string type = e.string("type");
  const int64_t timestamp = e.integer("timestamp", 0, 0);
  if (e.error()) return respond(HttpResponse::send_error(*e.error()));
  if (type.empty())
    return respond(HttpResponse::send_error(Error::bad_request("event.type is required")));
  if (auto err = check_id(channel_id, "channel_id")) return respond(HttpResponse::send_error(*err));
  if (auto err = check_channel_type(channel_type, "channel_type")) {
    return respond(HttpResponse::send_error(*err));
  }
  if (!from_uid.empty()) {
    if (auto err = check_id(from_uid, "from_uid")) return respond(HttpResponse::send_error(*err));
  }
  if (id.size() > 256) {
    return respond(
        HttpResponse::send_error(Error::bad_request("event.id is longer than 256 bytes")));
  }
  // data: a string is taken as its text, anything else as its JSON.
  const boost::json::value* data = event->if_contains("data");
  std::string data_json = data != nullptr ? boost::json::serialize(*data) : std::string("null");
  std::string data_text = data == nullptr     ? std::string()
                          : data->is_string() ? std::string(data->get_string())
                                              : data_json;
  const size_t limit = std::min(ctx.limits.max_payload_bytes, engine::kMaxEventDataBytes);
  if (data_text.size() > ctx.limits.max_payload_bytes || data_json.size() > limit) {
    return respond(HttpResponse::send_error(
        Error::too_large("event.data is larger than " + std::to_string(limit) + " bytes")));
  }

  const bool text_message = type == engine::kEventTextMessageStart ||
                            type == engine::kEventTextMessageContent ||
                            type == engine::kEventTextMessageEnd;
  if (!text_message) {
    engine::ClientEvent relayed;
    relayed.id = std::move(id);
    relayed.type = type;
    relayed.timestamp_ms = timestamp;
    relayed.data = std::move(data_json);
    ctx.engine.relay_event(channel_id, channel_type, from_uid, std::move(relayed),
                           respond_status(respond));
    return;
  }
  if (auto err = stream_no_error(client_msg_no, "client_msg_no")) {
    return respond(HttpResponse::send_error(*err));
  }
  if (type == engine::kEventTextMessageStart) {
    engine::SendRequest send;
    send.from_uid = from_uid;
    send.channel_id = channel_id;
    send.channel_type = channel_type;
    send.header.red_dot = true;
    send.client_msg_no = client_msg_no;
    send.stream_no = client_msg_no;
    send.payload = std::move(data_text);
    ctx.engine.open_stream(std::move(send), [respond](const engine::SendResult& r) {
      answer_open(respond, r, false);
    });
    return;
  }
  if (type == engine::kEventTextMessageContent) {
    // event.id is not a retry key: backends may give every Content event of an answer the
    // same id.
    engine::ChunkRequest chunk;
    chunk.stream_no = client_msg_no;
    chunk.payload = std::move(data_text);
    chunk.event_json = std::move(data_json);
    ctx.engine.append_chunk(std::move(chunk), [respond](const engine::StreamResult& r) {
      answer_stream(respond, r, true);
    });
    return;
  }
  // End: data "error" (or an object with an error) ends the stream with end_reason 1.
  const bool error =
      data != nullptr && !data->is_null() &&
      (data_text == "error" || (data->is_object() && data->get_object().contains("error")));
  ctx.engine.close_stream(
      client_msg_no, error ? store::StreamEnd::kError : store::StreamEnd::kNormal,
      [respond](const engine::StreamResult& r) { answer_stream(respond, r, false); });
}

}  // namespace

void add_stream_routes(Router& router, ApiContext& ctx) {
  router.add("POST", "/stream/open", bind_route(ctx, open_stream));
  router.add("POST", "/stream/close", bind_route(ctx, close_stream));
  router.add("POST", "/event", bind_route(ctx, post_event));
}

}  // namespace jindou::api
