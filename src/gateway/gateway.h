// Gateway: the client-facing listeners (raw TCP, WebSocket, WebSocket over TLS) and the
// connections they accept.
//
// Threads: each listener accepts on the first io context and places connections round-robin on
// all of them; a connection stays on its context. Each context has a ticker (1 s) that drives
// its connections' timeouts and resends. Lifecycle: start() binds every listener (throws
// std::system_error with the address on failure); stop() stops accepting and closes every
// connection. CONNECT checks read the store on `blocking_reads` when given (it must outlive the
// gateway and run its queue before the engine goes), else inline on the io threads.
#pragma once

#include <boost/asio/io_context.hpp>

#include <atomic>
#include <memory>
#include <vector>

#include "cluster/cluster.h"
#include "engine/engine.h"
#include "gateway/client_counters.h"
#include "gateway/cluster_logins.h"
#include "gateway/connect_checks.h"
#include "gateway/gateway_options.h"
#include "gateway/session_context.h"
#include "runtime/executor.h"

namespace jindou::gateway {

class ClientConnection;

class Gateway {
 public:
  Gateway(std::vector<boost::asio::io_context*> contexts, engine::Engine& engine,
          engine::PresenceTable& presence, GatewayOptions options,
          runtime::Executor* blocking_reads = nullptr);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Cluster mode: logins replace the user's connections on the other nodes too
  // (cluster_logins.h). Call before start().
  void set_cluster(cluster::Cluster* cluster);
  void start();
  // Stops accepting; every connection answers the SENDs it already took, then closes.
  void stop();
  // Closes every connection now (the end of a shutdown).
  void abort_all();
  size_t connections_open() const;

  uint16_t tcp_port() const;
  uint16_t ws_port() const;
  uint16_t wss_port() const;

  // For connections.
  engine::Engine& engine() { return engine_; }
  const GatewayOptions& options() const { return options_; }
  ClientCounters& counters() { return counters_; }
  // Registers a freshly accepted connection on context `index` and starts it.
  void adopt(size_t index, const std::shared_ptr<ClientConnection>& connection);
  void forget(size_t index, uint64_t id);
  uint64_t next_connection_id() { return next_id_.fetch_add(1, std::memory_order_relaxed); }
  boost::asio::io_context& context(size_t index) { return *contexts_[index]; }
  bool stopping() const { return stopping_.load(); }

  struct Impl;

 private:
  std::vector<boost::asio::io_context*> contexts_;
  engine::Engine& engine_;
  GatewayOptions options_;
  ClientCounters counters_;
  EngineUserDirectory users_;
  SessionContext session_;
  std::unique_ptr<LoginAnnouncer> logins_;
  std::unique_ptr<Impl> impl_;
  std::atomic<uint64_t> next_id_;
  std::atomic<bool> stopping_{false};
};

}  // namespace jindou::gateway
