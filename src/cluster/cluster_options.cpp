#include "cluster/cluster_options.h"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <set>

#include "engine/engine_options.h"

namespace jindou::cluster {
namespace {

// "host:port" with the host given (parse_address would take a missing host for 0.0.0.0, which
// another node cannot dial) and a port other than 0; a scheme such as tcp:// is allowed.
std::optional<config::Address> dialable_address(const std::string& text) {
  const auto scheme = text.find("://");
  const std::string rest = scheme == std::string::npos ? text : text.substr(scheme + 3);
  auto parsed = config::parse_address(rest);
  if (rest.empty() || rest.front() == ':' || !parsed || parsed->port == 0) return std::nullopt;
  return parsed;
}

// "id@host:port" (WuKongIM's form of cluster.initNodes); nullopt when malformed.
std::optional<InitNode> parse_init_node(const std::string& text) {
  const auto at = text.find('@');
  if (at == std::string::npos) return std::nullopt;
  const auto id = config::parse_int(text.substr(0, at));
  const auto address = dialable_address(text.substr(at + 1));
  if (!id || *id < 1 || *id > 1023 || !address) return std::nullopt;
  return InitNode{static_cast<uint16_t>(*id), address->host, address->port};
}

std::optional<std::string> check_init_node(const std::string& item) {
  if (parse_init_node(item)) return std::nullopt;
  return "expected id@host:port with id 1..1023 (e.g. 1@127.0.0.1:6222), got '" + item + "'";
}

// "nats://host:port", "tls://host:port" or "host:port", optionally with user:password@.
std::optional<std::string> check_nats_url(const std::string& url) {
  std::string rest = url;
  if (auto scheme = rest.find("://"); scheme != std::string::npos) {
    const std::string name = rest.substr(0, scheme);
    if (name != "nats" && name != "tls") {
      return "expected nats://host:port or tls://host:port, got '" + url + "'";
    }
    rest = rest.substr(scheme + 3);
  }
  if (auto at = rest.rfind('@'); at != std::string::npos) rest = rest.substr(at + 1);
  if (!dialable_address(rest)) return "expected nats://host:port, got '" + url + "'";
  return std::nullopt;
}

std::optional<std::string> check_address(const std::string& s) {
  if (!s.empty() && !config::parse_address(s)) {
    return "expected host:port (e.g. 203.0.113.7:5100), got '" + s + "'";
  }
  return std::nullopt;
}

// A WebSocket address as clients dial it: a ws:// or wss:// URL (the port may be implied), or
// host:port.
std::optional<std::string> check_ws_address(const std::string& s) {
  if (s.rfind("ws://", 0) == 0 && s.size() > 5) return std::nullopt;
  if (s.rfind("wss://", 0) == 0 && s.size() > 6) return std::nullopt;
  if (!s.empty() && !config::parse_address(s)) {
    return "expected ws://host:port, wss://host[:port] or host:port, got '" + s + "'";
  }
  return std::nullopt;
}

std::optional<std::string> check_url(const std::string& s) {
  if (!s.empty() && s.rfind("http://", 0) != 0 && s.rfind("https://", 0) != 0) {
    return "expected an http:// or https:// URL, got '" + s + "'";
  }
  return std::nullopt;
}

}  // namespace

int ClusterOptions::replicas() const {
  int r = std::max(slot_replica_count, channel_replica_count);
  if (!init_nodes.empty()) r = std::min(r, static_cast<int>(init_nodes.size()));
  return std::max(r, 1);
}

ClusterOptions ClusterOptions::from(config::ConfigSource& source, const std::string& data_dir) {
  ClusterOptions o;
  // Read as the engine reads it (0 .. 1023), so both report the same problem for a bad value.
  o.node_id = engine::node_id(source);

  const config::Address route =
      source.address("cluster.addr", config::Address{o.route_host, o.route_port});
  o.route_host = route.host;
  o.route_port = route.port;

  for (const auto& item : source.list("cluster.initNodes", {}, check_init_node)) {
    o.init_nodes.push_back(*parse_init_node(item));
  }

  const config::Address nats =
      source.address("cluster.natsAddr", config::Address{o.nats_host, o.nats_port});
  o.nats_host = nats.host;
  o.nats_port = nats.port;
  o.nats_urls = source.list("cluster.natsUrls", {}, check_nats_url);

  o.slot_count = static_cast<uint32_t>(source.integer("cluster.slotCount", o.slot_count, 1, 65536));
  o.log_count = static_cast<uint32_t>(source.integer("cluster.logCount", o.log_count, 1, 1024));

  // Three copies when there are enough nodes for them, else one per node.
  const int default_replicas =
      o.init_nodes.empty() ? 1 : static_cast<int>(std::min<size_t>(o.init_nodes.size(), 3));
  o.slot_replica_count =
      static_cast<int>(source.integer("cluster.slotReplicaCount", default_replicas, 1, 9));
  o.channel_replica_count =
      static_cast<int>(source.integer("cluster.channelReplicaCount", default_replicas, 1, 9));

  o.external_tcp_addr = source.string("external.tcpAddr", "", check_address);
  o.external_ws_addr = source.string("external.wsAddr", "", check_ws_address);
  o.external_wss_addr = source.string("external.wssAddr", "", check_ws_address);
  o.external_api_url = source.string("external.apiUrl", "", check_url);

  o.data_dir = (std::filesystem::path(data_dir) / "nats").string();
  o.enabled = !o.init_nodes.empty() || !o.nats_urls.empty();

  // Rules between keys, reported after any bad single value.
  if (o.log_count > o.slot_count) {
    source.reject("cluster.logCount", "must not exceed cluster.slotCount (" +
                                          std::to_string(o.slot_count) + "), got " +
                                          std::to_string(o.log_count));
  }
  std::set<uint16_t> ids;
  for (const auto& node : o.init_nodes) {
    if (!ids.insert(node.id).second) {
      source.reject("cluster.initNodes", "node id " + std::to_string(node.id) + " appears twice");
    }
  }
  if (o.enabled && o.node_id == 0) {
    source.reject("cluster.nodeId", "must be between 1 and 1023 in cluster mode, got 0");
  } else if (!o.init_nodes.empty() && !ids.contains(o.node_id)) {
    source.reject("cluster.initNodes",
                  "does not name this node (cluster.nodeId " + std::to_string(o.node_id) + ")");
  }
  return o;
}

}  // namespace jindou::cluster
