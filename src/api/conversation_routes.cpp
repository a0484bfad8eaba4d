// Conversations: /conversation/sync, /conversations/clearUnread, /conversations/setUnread,
// /conversations/delete. For person chats the conversation's channel_id is the peer's uid.
#include <charconv>

#include "api/json_input.h"
#include "api/message_json.h"
#include "api/routes.h"
#include "model/validation.h"

namespace jindou::api {
namespace {

constexpr int64_t kMaxRecents = 100;
constexpr int64_t kMaxPageSize = 500;

// "channel_id:channel_type:seq|..." (the channel id may itself hold ':', so the last two
// separate). Person chats are named by the peer's uid.
Result<std::map<std::pair<uint8_t, std::string>, uint64_t>> parse_last_msg_seqs(
    std::string_view text, std::string_view uid) {
  std::map<std::pair<uint8_t, std::string>, uint64_t> out;
  const auto bad = [](std::string_view item) {
    return Error::bad_request(
        "last_msg_seqs: expected channel_id:channel_type:seq items "
        "separated by '|', got '" +
        std::string(item) + "'");
  };
  while (!text.empty()) {
    const size_t bar = text.find('|');
    const std::string_view item = text.substr(0, bar);
    text = bar == std::string_view::npos ? std::string_view() : text.substr(bar + 1);
    if (item.empty()) continue;
    const size_t second = item.rfind(':');
    const size_t first = second == 0 || second == std::string_view::npos
                             ? std::string_view::npos
                             : item.rfind(':', second - 1);
    if (first == std::string_view::npos || first == 0) return bad(item);
    const std::string_view id = item.substr(0, first);
    const std::string_view type_text = item.substr(first + 1, second - first - 1);
    const std::string_view seq_text = item.substr(second + 1);
    unsigned type = 0;
    uint64_t seq = 0;
    auto t = std::from_chars(type_text.data(), type_text.data() + type_text.size(), type);
    auto s = std::from_chars(seq_text.data(), seq_text.data() + seq_text.size(), seq);
    if (t.ec != std::errc() || t.ptr != type_text.data() + type_text.size() || type == 0 ||
        type > 255 || s.ec != std::errc() || s.ptr != seq_text.data() + seq_text.size()) {
      return bad(item);
    }
    if (auto e = check_channel_id_for_read(id, "last_msg_seqs channel_id")) return *e;
    ChannelKey key = stored_channel(id, static_cast<uint8_t>(type), uid);
    out[{key.type, std::move(key.id)}] = seq;
  }
  return out;
}

// The channel a conversation endpoint names for `uid`.
Result<ChannelKey> conversation_channel(FieldReader& f, const std::string& uid) {
  const std::string id = f.string("channel_id");
  const int64_t type = f.integer("channel_type", 0, 0, 255);
  if (f.error()) return *f.error();
  if (auto e = check_id(uid, "uid")) return *e;
  if (auto e = check_id(id, "channel_id")) return *e;
  if (auto e = check_channel_type(type, "channel_type")) return *e;
  return ChannelKey{id, static_cast<uint8_t>(type)};
}

void sync(ApiContext& ctx, HttpRequest& request, const Respond& respond) {
  auto body = body_object(request);
  if (!body.ok()) return respond(HttpResponse::error(body.error()));
  FieldReader f(*body);
  engine::ConversationQuery q;
  q.uid = f.string("uid");
  q.version = static_cast<uint64_t>(f.integer("version", 0, 0));
  const std::string last_msg_seqs = f.string("last_msg_seqs");
  q.msg_count = static_cast<size_t>(f.integer("msg_count", 0, 0, kMaxRecents));
  q.only_unread = f.flag("only_unread");
  const auto excluded = f.unsigned_integers("exclude_channel_types");
  q.page = static_cast<size_t>(f.integer("page", 0, 0));
  q.page_size = static_cast<size_t>(f.integer("page_size", 100, 0, kMaxPageSize));
  if (respond_if_error(f.error(), respond)) return;
  if (q.page_size == 0) q.page_size = 100;
  if (auto e = check_id(q.uid, "uid")) return respond(HttpResponse::error(*e));
  for (uint64_t t : excluded) {
    if (t > 255) {
      return respond(HttpResponse::error(
          Error::bad_request("exclude_channel_types must hold channel types 0 to 255")));
    }
    q.exclude_channel_types.push_back(static_cast<uint8_t>(t));
  }
  auto known = parse_last_msg_seqs(last_msg_seqs, q.uid);
  if (!known.ok()) return respond(HttpResponse::error(known.error()));
  q.known_seqs = std::move(*known);

  auto list = ctx.engine.conversations().sync(q);
  if (!list.ok()) return respond(HttpResponse::error(list.error()));
  std::string out;
  JsonWriter w(out);
  w.begin_array();
  for (const auto& c : *list) {
    w.begin_object();
    std::string channel_id = c.channel.id;
    if (c.channel.is_person()) {
      auto [a, b] = person_parties(c.channel.id);
      channel_id = std::string(a == q.uid ? b : a);
    }
    w.field("channel_id", channel_id);
    w.field("channel_type", static_cast<int>(c.channel.type));
    w.field("unread", c.unread);
    w.field("timestamp", c.timestamp);
    w.field("last_msg_seq", c.last_msg_seq);
    w.field("last_client_msg_no", c.last_client_msg_no);
    w.field("offset_msg_seq", 0);
    w.field("readed_to_msg_seq", c.readed_to_msg_seq);
    w.field("version", c.version);
    w.key("recents").begin_array();
    for (const auto& m : c.recents) write_message(w, m, q.uid);
    w.end_array();
    w.end_object();
  }
  w.end_array();
  respond(HttpResponse::json(std::move(out)));
}

void clear_unread(ApiContext& ctx, HttpRequest& request, const Respond& respond) {
  auto body = body_object(request);
  if (!body.ok()) return respond(HttpResponse::error(body.error()));
  FieldReader f(*body);
  const std::string uid = f.string("uid");
  const auto seq = static_cast<uint64_t>(f.integer("message_seq", 0, 0));
  auto key = conversation_channel(f, uid);
  if (!key.ok()) return respond(HttpResponse::error(key.error()));
  ctx.engine.clear_unread(uid, key->id, key->type, seq, respond_status(respond));
}

void set_unread(ApiContext& ctx, HttpRequest& request, const Respond& respond) {
  auto body = body_object(request);
  if (!body.ok()) return respond(HttpResponse::error(body.error()));
  FieldReader f(*body);
  const std::string uid = f.string("uid");
  const auto unread = static_cast<uint64_t>(f.integer("unread", 0, 0, UINT32_MAX));
  auto key = conversation_channel(f, uid);
  if (!key.ok()) return respond(HttpResponse::error(key.error()));
  ctx.engine.set_unread(uid, key->id, key->type, unread, respond_status(respond));
}

void delete_conversation(ApiContext& ctx, HttpRequest& request, const Respond& respond) {
  auto body = body_object(request);
  if (!body.ok()) return respond(HttpResponse::error(body.error()));
  FieldReader f(*body);
  const std::string uid = f.string("uid");
  auto key = conversation_channel(f, uid);
  if (!key.ok()) return respond(HttpResponse::error(key.error()));
  ctx.engine.delete_conversation(uid, key->id, key->type, respond_status(respond));
}

}  // namespace

void add_conversation_routes(Router& router, ApiContext& ctx) {
  router.add("POST", "/conversation/sync", bind_read_route(ctx, sync));
  router.add("POST", "/conversations/clearUnread", bind_route(ctx, clear_unread));
  router.add("POST", "/conversations/setUnread", bind_route(ctx, set_unread));
  router.add("POST", "/conversations/delete", bind_route(ctx, delete_conversation));
}

}  // namespace jindou::api
