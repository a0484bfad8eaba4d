// Where clients connect and what the cluster looks like: /route, /route/batch, /cluster/nodes.
#include <algorithm>
#include <map>
#include <set>

#include "api/cluster_presence.h"
#include "api/cluster_view.h"
#include "api/json_input.h"
#include "api/routes.h"
#include "json/json_writer.h"

namespace jindou::api {
namespace {

// A node clients may be sent to.
struct Target {
  uint16_t id = 0;
  std::string tcp_addr;
  std::string ws_addr;
  std::string wss_addr;
};

// The nodes /route chooses from: the live healthy nodes of the cluster, or this node alone.
std::vector<Target> targets(const ApiContext& ctx) {
  if (ctx.cluster == nullptr) {
    return {Target{ctx.engine.node_id(), ctx.addresses.tcp_addr, ctx.addresses.ws_addr,
                   ctx.addresses.wss_addr}};
  }
  std::vector<Target> out;
  for (const auto& n : ctx.cluster->live_nodes()) {
    out.push_back(Target{n.id, n.tcp_addr, n.ws_addr, n.wss_addr});
  }
  return out;
}

const Target& target_for(const std::vector<Target>& all, const std::vector<uint16_t>& ids,
                         std::string_view uid) {
  const uint16_t id = node_for_uid(uid, ids);
  return *std::find_if(all.begin(), all.end(), [id](const Target& t) { return t.id == id; });
}

std::vector<uint16_t> ids_of(const std::vector<Target>& all) {
  std::vector<uint16_t> ids;
  ids.reserve(all.size());
  for (const auto& t : all) ids.push_back(t.id);
  return ids;
}

void write_addresses(JsonWriter& w, const Target& t) {
  w.field("tcp_addr", t.tcp_addr).field("ws_addr", t.ws_addr).field("wss_addr", t.wss_addr);
}

HttpResponse no_node() {
  return HttpResponse::error(
      Error{503, ReasonCode::kUnknown, "no node of the cluster is available; retry later"});
}

// GET /route?uid=: {"tcp_addr","ws_addr","wss_addr"} of the node the user should connect to.
void route(ApiContext& ctx, HttpRequest& request, const Respond& respond) {
  const std::string* uid = request.query_param("uid");
  if (uid == nullptr || uid->empty()) {
    return respond(HttpResponse::error(Error::bad_request("uid is required")));
  }
  const auto all = targets(ctx);
  if (all.empty()) return respond(no_node());
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  write_addresses(w, target_for(all, ids_of(all), *uid));
  w.end_object();
  respond(HttpResponse::json(std::move(out)));
}

// POST /route/batch ["u1","u2",...]: [{"uids":[...],"tcp_addr","ws_addr","wss_addr"}, ...], one
// entry per node that gets some of the uids, by node id; uids in the order given.
void route_batch(ApiContext& ctx, HttpRequest& request, const Respond& respond) {
  auto v = parse_json(request.body);
  if (!v.ok()) return respond(HttpResponse::error(v.error()));
  const auto bad = [&respond] {
    respond(HttpResponse::error(Error::bad_request("the body must be an array of uids")));
  };
  if (!v->is_array()) return bad();
  if (v->get_array().size() > ctx.limits.max_subscribers) {
    return respond(HttpResponse::error(Error::bad_request(
        "at most " + std::to_string(ctx.limits.max_subscribers) + " uids per call")));
  }
  for (const auto& item : v->get_array()) {
    if (!item.is_string() || item.get_string().empty()) return bad();
  }
  const auto all = targets(ctx);
  if (all.empty()) return respond(no_node());
  const auto ids = ids_of(all);
  std::map<uint16_t, std::vector<std::string_view>> by_node;
  for (const auto& item : v->get_array()) {
    const std::string_view uid = item.get_string();
    by_node[node_for_uid(uid, ids)].push_back(uid);
  }
  std::string out;
  JsonWriter w(out);
  w.begin_array();
  for (const auto& [id, uids] : by_node) {
    w.begin_object().key("uids").begin_array();
    for (auto uid : uids) w.value(uid);
    w.end_array();
    write_addresses(w, *std::find_if(all.begin(), all.end(),
                                     [id = id](const Target& t) { return t.id == id; }));
    w.end_object();
  }
  w.end_array();
  respond(HttpResponse::json(std::move(out)));
}

void write_node(JsonWriter& w, uint16_t id, bool online, bool healthy, const cluster::Addresses& a,
                uint64_t partitions_led, uint64_t slots_led) {
  w.begin_object();
  w.field("id", static_cast<int>(id)).field("online", online).field("healthy", healthy);
  w.field("api_url", a.api_url).field("tcp_addr", a.tcp_addr).field("ws_addr", a.ws_addr);
  w.field("wss_addr", a.wss_addr);
  w.field("partitions_led", partitions_led).field("slots_led", slots_led);
  w.end_object();
}

// GET /cluster/nodes: every node known (heard from, named in cluster.initNodes, or owning a
// partition), what each leads, and every partition's owner and progress as this node sees them.
std::string cluster_nodes_json(const ApiContext& ctx, const cluster::Cluster* cluster) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  if (cluster == nullptr) {
    // One node holding every slot; no partition logs.
    w.key("nodes").begin_array();
    write_node(w, ctx.engine.node_id(), true, ctx.engine.healthy(), ctx.addresses, 0,
               ctx.slot_count);
    w.end_array();
    w.key("partitions").begin_array().end_array();
    w.field("slot_count", static_cast<uint64_t>(ctx.slot_count));
    w.field("partition_count", uint64_t{0});
    w.field("node_id", static_cast<int>(ctx.engine.node_id())).field("mode", "single");
    w.end_object();
    return out;
  }

  const cluster::Cluster& c = *cluster;
  const auto partitions = c.partitions();
  const uint32_t slot_count = c.slots().slot_count();
  const uint32_t log_count = c.slots().log_count();
  std::map<uint16_t, std::pair<uint64_t, uint64_t>> led;  // node -> partitions, slots
  for (const auto& p : partitions) {
    if (p.owner == 0) continue;
    auto& [parts, slots] = led[p.owner];
    ++parts;
    slots += slots_of_partition(slot_count, log_count, p.index);
  }
  w.key("nodes").begin_array();
  std::map<uint16_t, std::pair<cluster::NodeInfo, bool>> known;
  for (auto& [info, alive] : c.nodes()) {
    const uint16_t id = info.id;
    known.emplace(id, std::make_pair(std::move(info), alive));
  }
  std::set<uint16_t> ids;
  for (const auto& [id, node] : known) ids.insert(id);
  for (const auto& n : c.options().init_nodes) ids.insert(n.id);
  for (const auto& [id, counts] : led) ids.insert(id);
  for (uint16_t id : ids) {
    const auto [parts, slots] = led.contains(id) ? led[id] : std::pair<uint64_t, uint64_t>{};
    auto it = known.find(id);
    if (it == known.end()) {
      write_node(w, id, false, false, cluster::Addresses{}, parts, slots);
      continue;
    }
    const auto& [info, alive] = it->second;
    write_node(w, id, alive, alive && info.healthy,
               cluster::Addresses{info.api_url, info.tcp_addr, info.ws_addr, info.wss_addr}, parts,
               slots);
  }
  w.end_array();
  w.key("partitions").begin_array();
  for (const auto& p : partitions) {
    w.begin_object().field("partition", static_cast<uint64_t>(p.index));
    w.field("owner", static_cast<int>(p.owner)).field("applied", p.applied);
    w.field("log_last", p.log_last).end_object();
  }
  w.end_array();
  w.field("slot_count", static_cast<uint64_t>(slot_count));
  w.field("partition_count", static_cast<uint64_t>(log_count));
  w.field("node_id", static_cast<int>(c.node_id())).field("mode", "cluster");
  w.end_object();
  return out;
}

void cluster_nodes(ApiContext& ctx, HttpRequest&, const Respond& respond) {
  // Cluster::partitions() may wait for the partition logs' lock: not on this io thread.
  with_cluster(ctx, [&ctx, respond](cluster::Cluster* cluster) {
    respond(HttpResponse::json(cluster_nodes_json(ctx, cluster)));
  });
}

}  // namespace

void add_cluster_routes(Router& router, ApiContext& ctx) {
  router.add("GET", "/route", bind_route(ctx, route));
  router.add("POST", "/route/batch", bind_route(ctx, route_batch));
  router.add("GET", "/cluster/nodes", bind_route(ctx, cluster_nodes));
}

}  // namespace jindou::api
