// SessionContext: what a client connection needs from the gateway that accepted it — the
// engine, the presence table, the options, the counters, where CONNECT checks read the store, and
// how to leave the gateway's connection set. Owned by the Gateway, which outlives its connections.
//
// Thread: shared by every io thread; each member is safe to use from any of them (`forget` on
// the connection's own io thread).
#pragma once

#include <cstdint>
#include <functional>

#include "gateway/client_counters.h"
#include "gateway/connect_checks.h"
#include "gateway/gateway_options.h"
#include "runtime/executor.h"

namespace jindou::engine {
class Engine;
class PresenceTable;
struct LinkInfo;
}  // namespace jindou::engine

namespace jindou::gateway {

struct SessionContext {
  engine::Engine& engine;
  // Who is online: connections add themselves after CONNACK and leave when they close.
  engine::PresenceTable& presence;
  const GatewayOptions& options;
  ClientCounters& counters;
  UserDirectory& users;
  // Where CONNECT checks read the store; null: inline on the io thread.
  runtime::Executor* blocking_reads = nullptr;
  // Removes connection `id` from io thread `executor`'s set; called once, when it closes.
  std::function<void(size_t executor, uint64_t id)> forget;
  // Cluster mode: tells the other nodes about a login, so that they kick the connections it
  // replaces there (cluster_logins.h). Empty on a single node. Never waits.
  std::function<void(const engine::LinkInfo&)> announce_login = {};
};

}  // namespace jindou::gateway
