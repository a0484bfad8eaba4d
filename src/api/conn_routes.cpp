// Connections and node figures: /conn/kick, /connz, /varz.
#include <chrono>
#include <fstream>

#include "api/cluster_presence.h"
#include "api/json_input.h"
#include "api/query_params.h"
#include "api/routes.h"
#include "json/json_writer.h"
#include "model/clock.h"
#include "model/validation.h"
#include "webhook/webhooks.h"

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
  kick_everywhere(ctx, uid, std::move(flags), ReasonCode::kConnectKick, "", false,
                  std::chrono::seconds(2), [respond](size_t) { respond(HttpResponse::ok()); });
}

void connz(ApiContext& ctx, HttpRequest& request, const Respond& respond) {
  std::optional<Error> error;
  const auto offset = query_int(request, "offset", 0, 0, INT64_MAX, error);
  const auto limit_given = query_int(request, "limit", 100, 0, INT64_MAX, error);
  if (respond_if_error(error, respond)) return;
  auto limit = static_cast<uint64_t>(*limit_given);
  if (limit == 0 || limit > 1000) limit = 1000;
  const std::string* uid = request.query_param("uid");
  std::vector<engine::LinkInfo> links;
  if (uid != nullptr && !uid->empty()) {
    for (auto& l : ctx.presence.links_of(*uid)) {
      if (l.info.id > static_cast<uint64_t>(*offset) && links.size() < limit) {
        links.push_back(l.info);
      }
    }
  } else {
    links = ctx.presence.page(static_cast<uint64_t>(*offset), limit);
  }
  const int64_t now = unix_seconds();
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.field("now", now).field("total", static_cast<uint64_t>(ctx.presence.connection_count()));
  w.field("offset", *offset).field("limit", limit);
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

// "webhook": {"enabled","transport","dead_letters","dead_letters_dropped","events":{...}}.
void write_webhook_figures(JsonWriter& w, const webhook::WebhookStats& s) {
  w.key("webhook").begin_object();
  w.field("enabled", s.enabled).field("transport", s.transport);
  w.field("dead_letters", static_cast<uint64_t>(s.dead_letters));
  w.field("dead_letters_dropped", s.dead_letters_dropped);
  w.key("events").begin_object();
  for (const auto& e : s.events) {
    w.key(e.event).begin_object();
    w.field("backlog", e.backlog).field("delivered", e.delivered).field("calls", e.calls);
    w.field("failed_attempts", e.failed_attempts).field("dead_lettered", e.dead_lettered);
    w.field("dropped", e.dropped).field("expired", e.skipped);
    w.field("retrying", e.retrying).field("last_error", e.last_error);
    w.end_object();
  }
  w.end_object().end_object();
}

void varz_with(ApiContext& ctx, cluster::Cluster* cluster, const Respond& respond);

// "cluster": {"node_id","healthy","nodes_online","partitions_owned","forwarded_writes",
// "retried_writes","deliveries_from_others"}.
void write_cluster_figures(JsonWriter& w, const cluster::Cluster& c) {
  size_t online = 0;
  for (const auto& [node, alive] : c.nodes()) online += alive ? 1 : 0;
  size_t owned = 0;
  for (const auto& p : c.partitions()) owned += p.owner == c.node_id() ? 1 : 0;
  w.key("cluster").begin_object();
  w.field("node_id", static_cast<int>(c.node_id())).field("healthy", c.healthy());
  w.field("nodes_online", static_cast<uint64_t>(online));
  w.field("partitions_owned", static_cast<uint64_t>(owned));
  w.field("partition_count", static_cast<uint64_t>(c.slots().log_count()));
  w.field("forwarded_writes", c.forwarded_writes()).field("retried_writes", c.retried_writes());
  w.field("deliveries_from_others", c.deliveries_from_others());
  w.end_object();
}

void varz(ApiContext& ctx, HttpRequest&, const Respond& respond) {
  // The cluster's figures may wait for the partition logs' lock: not on this io thread.
  with_cluster(ctx,
               [&ctx, respond](cluster::Cluster* cluster) { varz_with(ctx, cluster, respond); });
}

void varz_with(ApiContext& ctx, cluster::Cluster* cluster, const Respond& respond) {
  const auto store = ctx.engine.store_stats();
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.field("server_id", static_cast<int>(ctx.engine.node_id()));
  w.field("version", "0.1.0");
  w.field("uptime_seconds", unix_seconds() - ctx.started_at);
  w.field("connections", static_cast<uint64_t>(ctx.presence.connection_count()));
  w.field("users_online", static_cast<uint64_t>(ctx.presence.user_count()));
  w.field("http_connections", ctx.http_connections ? ctx.http_connections() : uint64_t{0});
  for (const auto& c : ctx.client_counters) w.field(c.name, c.counter->load());
  w.field("deliveries", ctx.engine.fanout().deliveries());
  w.field("sends_read_from_disk", ctx.engine.disk_read_rounds());
  w.field("messages_stored", store.messages).field("group_commits", store.commits);
  w.field("largest_group_commit", store.largest_commit);
  w.field("store_keys_written", store.keys_written);
  w.field("storage_healthy", store.healthy);
  w.field("memory_resident_bytes", resident_bytes());
  if (ctx.webhooks != nullptr) write_webhook_figures(w, ctx.webhooks->stats());
  if (cluster != nullptr) write_cluster_figures(w, *cluster);
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
