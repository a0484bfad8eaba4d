// Connections and node figures: /conn/kick, /connz, /varz.
#include <charconv>
#include <chrono>
#include <fstream>

#include "api/json_writer.h"
#include "api/route_helpers.h"
#include "api/routes.h"
#include "model/clock.h"
#include "model/validation.h"

namespace jindou::api {
namespace {

// Resident memory of this process in bytes (0 when /proc is unavailable).
uint64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t pages = 0;
  uint64_t resident = 0;
  if (!(statm >> pages >> resident)) return 0;
  return resident * 4096;
}

void kick(ApiContext& ctx, HttpRequest& request, const Respond& respond) {
  auto body = body_object(request);
  if (!body.ok()) return respond(HttpResponse::error(body.error()));
  FieldReader f(*body);
  const std::string uid = f.string("uid");
  const int64_t flag = f.integer("device_flag", -1, -1, 255);
  if (respond_if_error(f.error(), respond)) return;
  if (auto e = check_id(uid, "uid")) return respond(HttpResponse::error(*e));
  std::vector<uint8_t> flags;
  if (flag >= 0) flags.push_back(static_cast<uint8_t>(flag));
  ctx.engine.kick(uid, flags, ReasonCode::kConnectKick, "", false, std::chrono::seconds(2));
  respond(HttpResponse::ok());
}

uint64_t query_u64(const HttpRequest& request, std::string_view name, uint64_t fallback,
                   std::optional<Error>& error) {
  const std::string* v = request.query_param(name);
  if (v == nullptr || v->empty()) return fallback;
  uint64_t out = 0;
  auto r = std::from_chars(v->data(), v->data() + v->size(), out);
  if (r.ec != std::errc() || r.ptr != v->data() + v->size()) {
    if (!error) error = Error::bad_request(std::string(name) + " must be a non-negative integer");
    return fallback;
  }
  return out;
}

void connz(ApiContext& ctx, HttpRequest& request, const Respond& respond) {
  std::optional<Error> error;
  const uint64_t offset = query_u64(request, "offset", 0, error);
  uint64_t limit = query_u64(request, "limit", 100, error);
  if (respond_if_error(error, respond)) return;
  if (limit == 0 || limit > 1000) limit = 1000;
  const std::string* uid = request.query_param("uid");
  std::vector<engine::LinkInfo> links;
  if (uid != nullptr && !uid->empty()) {
    for (auto& l : ctx.engine.presence().links_of(*uid)) {
      if (l.info.id > offset && links.size() < limit) links.push_back(l.info);
    }
  } else {
    links = ctx.engine.presence().page(offset, limit);
  }
  const int64_t now = unix_seconds();
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.field("now", now)
      .field("total", static_cast<uint64_t>(ctx.engine.presence().connection_count()));
  w.field("offset", offset).field("limit", limit);
  w.key("connections").begin_array();
  for (const auto& l : links) {
    w.begin_object();
    w.field("id", l.id).field("uid", l.uid).field("device_flag", static_cast<int>(l.device_flag));
    w.field("device_level", static_cast<int>(l.device_level)).field("device_id", l.device_id);
    w.field("version", static_cast<int>(l.version)).field("transport", l.transport);
    w.field("remote", l.remote).field("connected_at", l.connected_at);
    w.field("uptime_seconds", now - l.connected_at);
    w.end_object();
  }
  w.end_array().end_object();
  respond(HttpResponse::json(std::move(out)));
}

void varz(ApiContext& ctx, HttpRequest&, const Respond& respond) {
  const auto& c = ctx.engine.counters();
  auto load = [](const engine::ShardedCounter& v) { return v.load(); };
  const auto store = ctx.engine.store_stats();
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.field("server_id", static_cast<int>(ctx.engine.node_id()));
  w.field("version", "0.1.0");
  w.field("uptime_seconds", unix_seconds() - ctx.started_at);
  w.field("connections", static_cast<uint64_t>(ctx.engine.presence().connection_count()));
  w.field("users_online", static_cast<uint64_t>(ctx.engine.presence().user_count()));
  w.field("http_connections", ctx.http_connections ? ctx.http_connections() : uint64_t{0});
  w.field("connections_accepted", load(c.connections_accepted));
  w.field("in_packets", load(c.in_packets)).field("out_packets", load(c.out_packets));
  w.field("in_bytes", load(c.in_bytes)).field("out_bytes", load(c.out_bytes));
  w.field("client_sends", load(c.client_sends)).field("recvs_sent", load(c.recvs_sent));
  w.field("recv_retries", load(c.recv_retries));
  w.field("slow_consumers", load(c.slow_consumers));
  w.field("read_pauses", load(c.read_pauses));
  w.field("protocol_errors", load(c.protocol_errors));
  w.field("deliveries", ctx.engine.fanout().deliveries());
  w.field("messages_stored", store.messages).field("group_commits", store.commits);
  w.field("largest_group_commit", store.largest_commit);
  w.field("storage_healthy", store.healthy);
  w.field("memory_resident_bytes", resident_bytes());
  w.end_object();
  respond(HttpResponse::json(std::move(out)));
}

}  // namespace

void add_conn_routes(Router& router, ApiContext& ctx) {
  router.add("POST", "/conn/kick", bind_route(ctx, kick));
  router.add("GET", "/connz", bind_route(ctx, connz));
  router.add("GET", "/varz", bind_route(ctx, varz));
}

}  // namespace jindou::api
