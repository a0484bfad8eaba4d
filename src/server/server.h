// Server: wires the layers together for one node — store, io threads, engine, HTTP API — and
// runs them until a shutdown signal.
//
// Lifecycle: start() opens the store and binds every listener (throws with a one-line reason on
// failure); wait_for_shutdown() blocks until SIGINT/SIGTERM, then stops accepting, lets
// in-flight requests finish, drains the store and joins the io threads.
#pragma once

#include <memory>

#include "api/api_context.h"
#include "api/cluster_presence.h"
#include "api/http_server.h"
#include "api/router.h"
#include "cluster/cluster.h"
#include "cluster/nats_child.h"
#include "engine/engine.h"
#include "gateway/gateway.h"
#include "runtime/io_pool.h"
#include "runtime/read_pool.h"
#include "runtime/thread_executor.h"
#include "server/config.h"
#include "store/rocks_store.h"
#include "webhook/webhooks.h"

namespace jindou::server {

class Server {
 public:
  explicit Server(Config config);
  ~Server();

  void start();
  void wait_for_shutdown();
  // Begins the graceful shutdown (what the signal handler does).
  void request_shutdown();

 private:
  void shutdown();
  // Cluster mode: starts this node's nats-server (unless cluster.natsUrls names one) and joins.
  void start_cluster();

  Config config_;
  std::unique_ptr<store::RocksStore> store_;
  std::unique_ptr<cluster::NatsChild> nats_;
  std::unique_ptr<cluster::Cluster> cluster_;
  std::unique_ptr<runtime::IoPool> io_;
  std::unique_ptr<webhook::Webhooks> webhooks_;
  std::unique_ptr<runtime::ReadPool> reads_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<runtime::ThreadExecutor> slow_reads_;
  // Cluster mode: where HTTP routes wait for the other nodes (presence, kicks).
  std::unique_ptr<api::ClusterAsks> cluster_asks_;
  std::unique_ptr<api::ApiContext> api_context_;
  std::unique_ptr<api::Router> router_;
  std::unique_ptr<api::HttpServer> http_;
  std::unique_ptr<gateway::Gateway> gateway_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool shutdown_requested_ = false;
};

}  // namespace jindou::server
