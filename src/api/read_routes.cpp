// Routes that read messages: /messages, /message, /channel/messagesync,
// /channel/max_message_seq, /cluster/messages, and the deprecated /message/sync(ack).
#include <charconv>
#include <exception>

#include "api/channel_fields.h"
#include "api/json_input.h"
#include "api/message_json.h"
#include "api/query_params.h"
#include "api/routes.h"
#include "api/stream_json.h"
#include "model/base64.h"
#include "model/validation.h"

namespace jindou::api {
namespace {

HttpResponse messages_array(ApiContext& ctx, const std::vector<Message>& messages,
                            std::string_view login_uid, bool stream_v2) {
  std::string out;
  if (auto s = write_messages(ctx, out, messages, login_uid, stream_v2); !s.ok()) {
    return HttpResponse::error(s.error());
  }
  return HttpResponse::json(std::move(out));
}

void query_messages(ApiContext& ctx, HttpRequest& request, const Respond& respond) {
  auto body = body_object(request);
  if (!body.ok()) return respond(HttpResponse::error(body.error()));
  FieldReader f(*body);
  const ReadChannelFields where(f);
  const auto seqs = f.unsigned_integers("message_seqs");
  const auto ids = f.message_ids("message_ids");
  const auto cmns = f.strings("client_msg_nos");
  const bool stream_v2 = f.flag("stream_v2");
  if (respond_if_error(f.error(), respond)) return;
  auto channel = where.key();
  if (!channel.ok()) return respond(HttpResponse::error(channel.error()));
  if (seqs.empty() && ids.empty() && cmns.empty()) {
    return respond(HttpResponse::error(Error::bad_request(
        "one of message_seqs, message_ids or client_msg_nos must be non-empty")));
  }
  if (seqs.size() + ids.size() + cmns.size() > ctx.limits.max_query_keys) {
    return respond(HttpResponse::error(Error::bad_request(
        "at most " + std::to_string(ctx.limits.max_query_keys) + " keys per call")));
  }
  auto messages = ctx.engine.reader().query(*channel, seqs, ids, cmns);
  if (!messages.ok()) return respond(HttpResponse::error(messages.error()));
  respond(messages_array(ctx, *messages, where.login_uid, stream_v2));
}

void find_message(ApiContext& ctx, HttpRequest& request, const Respond& respond) {
  auto body = body_object(request);
  if (!body.ok()) return respond(HttpResponse::error(body.error()));
  FieldReader f(*body);
  const ReadChannelFields where(f);
  const int64_t message_id = f.message_id("message_id");
  const std::string client_msg_no = f.string("client_msg_no");
  const bool stream_v2 = f.flag("stream_v2");
  if (respond_if_error(f.error(), respond)) return;
  auto channel = where.key();
  if (!channel.ok()) return respond(HttpResponse::error(channel.error()));
  if (message_id == 0 && client_msg_no.empty()) {
    return respond(
        HttpResponse::error(Error::bad_request("message_id or client_msg_no is required")));
  }
  auto m = ctx.engine.reader().find(
      *channel, message_id != 0 ? std::optional<int64_t>(message_id) : std::nullopt, client_msg_no);
  if (!m.ok()) return respond(HttpResponse::error(m.error()));
  if (!m->has_value()) return respond(HttpResponse::error(Error::not_found("message not found")));
  std::string out;
  if (auto s = write_one_message(ctx, out, **m, where.login_uid, stream_v2); !s.ok()) {
    return respond(HttpResponse::error(s.error()));
  }
  respond(HttpResponse::json(std::move(out)));
}

void sync_channel(ApiContext& ctx, HttpRequest& request, const Respond& respond) {
  auto body = body_object(request);
  if (!body.ok()) return respond(HttpResponse::error(body.error()));
  FieldReader f(*body);
  const ReadChannelFields where(f);
  const int64_t start = f.integer("start_message_seq", 0, 0);
  const int64_t end = f.integer("end_message_seq", 0, 0);
  int64_t limit = f.integer("limit", 50, 0);
  const int64_t pull_mode = f.integer("pull_mode", 0, 0, 1);
  const bool stream_v2 = f.flag("stream_v2");
  if (respond_if_error(f.error(), respond)) return;
  if (auto e = check_id(where.login_uid, "login_uid")) return respond(HttpResponse::error(*e));
  auto channel = where.key();
  if (!channel.ok()) return respond(HttpResponse::error(channel.error()));
  if (limit == 0) limit = 50;
  if (limit > 10000) limit = 10000;
  auto page =
      ctx.engine.reader().sync(*channel, static_cast<uint64_t>(start), static_cast<uint64_t>(end),
                               static_cast<size_t>(limit), static_cast<int>(pull_mode));
  if (!page.ok()) return respond(HttpResponse::error(page.error()));
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.field("start_message_seq", start);
  w.field("end_message_seq", end);
  w.field("more", page->more ? 1 : 0);
  w.key("messages");
  if (auto s = write_messages(ctx, out, page->messages, where.login_uid, stream_v2); !s.ok()) {
    return respond(HttpResponse::error(s.error()));
  }
  w.end_object();
  respond(HttpResponse::json(std::move(out)));
}

void max_message_seq(ApiContext& ctx, HttpRequest& request, const Respond& respond) {
  std::optional<Error> error;
  auto type = query_int(request, "channel_type", 0, 0, 255, error);
  if (respond_if_error(error, respond)) return;
  auto channel =
      read_channel(query_string(request, "channel_id"), *type, query_string(request, "login_uid"));
  if (!channel.ok()) return respond(HttpResponse::error(channel.error()));
  auto seq = ctx.engine.reader().max_seq(*channel);
  if (!seq.ok()) return respond(HttpResponse::error(seq.error()));
  std::string out;
  JsonWriter(out).begin_object().field("message_seq", *seq).end_object();
  respond(HttpResponse::json(std::move(out)));
}

void search_messages(ApiContext& ctx, HttpRequest& request, const Respond& respond) {
  std::optional<Error> error;
  engine::SearchQuery q;
  const auto node_id = query_int(request, "node_id", 0, 0, 1023, error);
  const auto limit = query_int(request, "limit", 20, 0, 1000, error);
  const auto offset_id = query_int(request, "offset_message_id", 0, 0, INT64_MAX, error);
  const auto offset_seq = query_int(request, "offset_message_seq", 0, 0, INT64_MAX, error);
  const auto pre = query_int(request, "pre", 0, 0, 1, error);
  const auto message_id = query_int(request, "message_id", 0, 0, INT64_MAX, error);
  const auto channel_type = query_int(request, "channel_type", 0, 0, 255, error);
  if (respond_if_error(error, respond)) return;
  if (*node_id != 0) {
    // Every node of a cluster holds every message: node_id selects the messages that node
    // stored (the node bits of their message_id).
    const bool known = ctx.cluster != nullptr ? ctx.cluster->knows_node(static_cast<uint16_t>(*node_id))
                                              : *node_id == ctx.engine.node_id();
    if (!known) {
      return respond(HttpResponse::error(
          Error::not_found("node " + std::to_string(*node_id) + " does not exist")));
    }
    q.node_id = static_cast<uint16_t>(*node_id);
  }
  q.limit = *limit == 0 ? 20 : static_cast<size_t>(*limit);
  q.offset_message_id = *offset_id;
  q.offset_message_seq = static_cast<uint64_t>(*offset_seq);
  q.newer = *pre == 1;
  if (*message_id != 0) q.message_id = *message_id;
  q.from_uid = query_string(request, "from_uid");
  q.client_msg_no = query_string(request, "client_msg_no");
  const std::string payload = query_string(request, "payload");
  if (!payload.empty()) {
    auto decoded = base64_decode(payload);
    if (!decoded) {
      return respond(HttpResponse::error(Error::bad_request("payload is not valid base64")));
    }
    q.payload_contains = std::move(*decoded);
  }
  const std::string channel_id = query_string(request, "channel_id");
  if (!channel_id.empty()) {
    if (*channel_type == kChannelPerson && !is_derived_person_id(channel_id) &&
        q.from_uid.empty()) {
      return respond(HttpResponse::error(Error::bad_request(
          "channel_id of a person channel must be the a@b id or come with from_uid")));
    }
    auto channel = read_channel(channel_id, *channel_type, q.from_uid);
    if (!channel.ok()) return respond(HttpResponse::error(channel.error()));
    q.channel = std::move(*channel);
  }
  auto search = [&ctx, q = std::move(q), respond] {
    auto page = ctx.engine.reader().search(q);
    if (!page.ok()) return respond(HttpResponse::error(page.error()));
    std::string out;
    JsonWriter w(out);
    w.begin_object().key("data").begin_array();
    for (const auto& m : page->messages) write_message(w, m, "");
    w.end_array().field("total", page->total).end_object();
    respond(HttpResponse::json(std::move(out)));
  };
  // On its own thread the search is outside the session's exception guard: it answers even
  // when it fails unexpectedly.
  auto run = [search = std::move(search), respond] {
    try {
      search();
    } catch (const std::exception&) {
      respond(HttpResponse::error(Error::internal("internal error")));
    }
  };
  if (ctx.slow_reads == nullptr) return run();
  ctx.slow_reads->post(std::move(run));
}

void mark_deprecated(HttpResponse& r) {
  r.headers.emplace_back("Deprecation", "true");
  r.headers.emplace_back("Link", "</channel/messagesync>; rel=\"successor-version\"");
}

void legacy_sync(ApiContext& ctx, HttpRequest& request, const Respond& respond) {
  auto body = body_object(request);
  if (!body.ok()) return respond(HttpResponse::error(body.error()));
  FieldReader f(*body);
  const std::string uid = f.string("uid");
  int64_t limit = f.integer("limit", 200, 0, 10000);
  if (respond_if_error(f.error(), respond)) return;
  if (auto e = check_id(uid, "uid")) return respond(HttpResponse::error(*e));
  if (limit == 0) limit = 200;
  auto messages = ctx.engine.sync_once_messages(uid, static_cast<size_t>(limit));
  if (!messages.ok()) return respond(HttpResponse::error(messages.error()));
  auto r = messages_array(ctx, *messages, uid, false);
  mark_deprecated(r);
  respond(std::move(r));
}

void legacy_syncack(ApiContext& ctx, HttpRequest& request, const Respond& respond) {
  auto body = body_object(request);
  if (!body.ok()) return respond(HttpResponse::error(body.error()));
  FieldReader f(*body);
  const std::string uid = f.string("uid");
  const int64_t last = f.integer("last_message_seq", 0, 0);
  if (respond_if_error(f.error(), respond)) return;
  if (auto e = check_id(uid, "uid")) return respond(HttpResponse::error(*e));
  if (last == 0) {
    return respond(HttpResponse::error(Error::bad_request("last_message_seq is required")));
  }
  ctx.engine.ack_sync_once(uid, static_cast<uint64_t>(last), [respond](const Status& s) {
    auto r = s.ok() ? HttpResponse::ok() : HttpResponse::error(s.error());
    mark_deprecated(r);
    respond(std::move(r));
  });
}

}  // namespace

void add_read_routes(Router& router, ApiContext& ctx) {
  router.add("POST", "/messages", bind_read_route(ctx, query_messages));
  router.add("POST", "/message", bind_read_route(ctx, find_message));
  router.add("POST", "/channel/messagesync", bind_read_route(ctx, sync_channel));
  router.add("GET", "/channel/max_message_seq", bind_read_route(ctx, max_message_seq));
  router.add("GET", "/cluster/messages", bind_route(ctx, search_messages));
  router.add("POST", "/message/sync", bind_read_route(ctx, legacy_sync));
  router.add("POST", "/message/syncack", bind_route(ctx, legacy_syncack));
}

}  // namespace jindou::api
