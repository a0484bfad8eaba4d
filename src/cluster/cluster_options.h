// ClusterOptions: the cluster.* and external.* keys. Cluster mode is on when cluster.initNodes
// names at least one node or cluster.natsUrls names an existing NATS; otherwise jindou runs as a
// single node (RocksDB only, no NATS) and only cluster.nodeId is used.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config_source.h"

namespace jindou::cluster {

// One entry of cluster.initNodes: "id@host:port", the node's NATS route address.
struct InitNode {
  uint16_t id = 0;
  std::string host;
  uint16_t port = 0;
};

struct ClusterOptions {
  bool enabled = false;
  uint16_t node_id = 1;
  // This node's NATS route address (cluster.addr, "host:port"): where the child nats-server
  // listens for the other nodes' routes.
  std::string route_host = "127.0.0.1";
  uint16_t route_port = 6222;
  std::vector<InitNode> init_nodes;
  // The child nats-server's client address (cluster.natsAddr); jindou connects to it.
  std::string nats_host = "127.0.0.1";
  uint16_t nats_port = 4222;
  // cluster.natsUrls: an existing NATS cluster ("nats://host:port", ...); no child is started.
  std::vector<std::string> nats_urls;
  // Hash slots (crc32 of the channel key modulo slot_count), spread over log_count JetStream
  // streams; each stream has one owner node at a time.
  uint32_t slot_count = 1024;
  uint32_t log_count = 32;
  int slot_replica_count = 3;
  int channel_replica_count = 3;
  // What GET /route hands out for this node (external.tcpAddr, external.wsAddr,
  // external.wssAddr, external.apiUrl); empty: derived from the listen addresses.
  std::string external_tcp_addr;
  std::string external_ws_addr;
  std::string external_wss_addr;
  std::string external_api_url;
  // The child nats-server's directory, <dataDir>/nats: its nats.conf, its log and its JetStream
  // store (store/).
  std::string data_dir;

  // Replicas of every slot stream: the larger of the two replica counts (a slot's messages and
  // metadata share one log), at most the number of initial nodes.
  int replicas() const;

  // Reads the keys above and cluster.nodeId (as engine::node_id reads it); data_dir is the
  // server's dataDir. A broken rule between keys (this node missing from initNodes, logCount
  // above slotCount, a node id twice) is rejected through `source`.
  static ClusterOptions from(config::ConfigSource& source, const std::string& data_dir);
};

}  // namespace jindou::cluster
