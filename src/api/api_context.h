// What every route needs: the engine, the API's limits and, in cluster mode, the cluster.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

#include "cluster/cluster.h"
#include "config/config_source.h"
#include "engine/engine.h"
#include "runtime/executor.h"
#include "runtime/sharded_counter.h"

namespace jindou::webhook {
class Webhooks;
}  // namespace jindou::webhook

namespace jindou::api {

class ClusterAsks;

struct ApiLimits {
  size_t max_payload_bytes = 1u << 20;  // message.maxPayloadBytes
  size_t max_batch = 1000;              // message.maxBatch
  size_t max_subscribers = 10000;       // uids in one request
  size_t max_query_keys = 1000;         // /messages

  // message.maxPayloadBytes and message.maxBatch (api_options.cpp).
  static ApiLimits from(config::ConfigSource& source);
};

struct ApiContext {
  engine::Engine& engine;
  // Who is online (/connz, /varz, /conn/kick, /user/onlinestatus).
  engine::PresenceTable& presence;
  ApiLimits limits;
  int64_t started_at = 0;  // Unix seconds, for /varz
  // Where reads that may scan the whole store run (a thread of their own), so that io threads
  // keep serving meanwhile. Null: on the calling thread.
  runtime::Executor* slow_reads = nullptr;
  // Dead letters and webhook figures (null: no webhook routes).
  webhook::Webhooks* webhooks = nullptr;
  // Open HTTP connections, for /varz (set once the HTTP server exists).
  std::function<uint64_t()> http_connections;
  // The client gateway's counters, for /varz (handed over once the gateway exists).
  std::vector<runtime::NamedCounter> client_counters;
  // Where routes that read the store run (bind_read_route), so that no io thread waits for the
  // disk. Null: on the calling thread.
  runtime::Executor* reads = nullptr;
  // Cluster mode: this node's part in the cluster (/route, /cluster/nodes, /varz, /health, and
  // presence and kicks on every node). Null in single-node mode.
  cluster::Cluster* cluster = nullptr;
  // Where the routes wait for the other nodes' answers (cluster_presence.h); set with `cluster`.
  ClusterAsks* cluster_asks = nullptr;
  // What clients are told to dial for this node (server/node_addresses.h).
  cluster::Addresses addresses{};
  // cluster.slotCount, for /cluster/nodes in single-node mode.
  uint32_t slot_count = 1024;
};

}  // namespace jindou::api
