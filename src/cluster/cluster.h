// Cluster: this node's membership in a jindou cluster (docs/cluster.md). Owns the NATS
// connection, the heartbeats, the partition logs, and the three things the engine is given in
// cluster mode: the replicated store, the write router and the delivery sink.
//
// Lifecycle: construct with the local store; connect() (NATS reachable, cursors read); hand
// store(), router() and delivery() to the engine; attach(engine); start(); stop() before the
// engine and the local store go. Threads: one of its own for heartbeats and periodic work;
// the getters from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cluster/cluster_delivery.h"
#include "cluster/cluster_options.h"
#include "cluster/membership.h"
#include "cluster/nats_link.h"
#include "cluster/partition_logs.h"
#include "cluster/replicated_store.h"
#include "cluster/router.h"
#include "cluster/slots.h"
#include "engine/engine.h"
#include "store/store.h"

namespace jindou::cluster {

// What this node tells the others about itself (GET /route hands these out).
struct Addresses {
  std::string api_url;
  std::string tcp_addr;
  std::string ws_addr;
  std::string wss_addr;
};

class Cluster {
 public:
  Cluster(ClusterOptions options, store::Store& local, Addresses addresses);
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  // Connects to NATS (`urls`), waiting up to `timeout`, and reads where this node stopped.
  Status connect(const std::vector<std::string>& urls, std::chrono::milliseconds timeout);

  store::Store& store() { return *replicated_; }
  engine::WriteRouter& router() { return *router_; }
  engine::DeliverySink& delivery() { return delivery_; }

  void attach(engine::Engine& engine);
  Status start();
  void stop();

  const ClusterOptions& options() const { return options_; }
  const Slots& slots() const { return slots_; }
  uint16_t node_id() const { return options_.node_id; }
  // Connected to NATS, JetStream answers, and this node applies the logs.
  bool healthy() const;
  // Every node heard from (this one included), with whether it is alive now.
  std::vector<std::pair<NodeInfo, bool>> nodes() const;
  std::vector<PartitionStatus> partitions() const { return logs_->status(); }
  // Whether `id` is one of cluster.initNodes or was heard from.
  bool knows_node(uint16_t id) const;
  // The live nodes a client may be sent to (GET /route), this one first when alive.
  std::vector<NodeInfo> live_nodes() const;
  uint64_t forwarded_writes() const { return router_->forwarded(); }
  uint64_t retried_writes() const { return router_->retried(); }
  uint64_t deliveries_from_others() const { return delivery_.received_from_others(); }

  // Runs `request` on every other live node (subject jd.ask.<node>.<topic>) and gathers their
  // answers (a node that does not answer in time is left out).
  std::vector<std::string> ask_all(const std::string& topic, const std::string& request,
                                   std::chrono::milliseconds timeout);
  // Answers jd.ask.<self>.<topic> with `handler` (register before start()).
  void on_ask(const std::string& topic, std::function<std::string(std::string_view)> handler);

 private:
  void run();
  // Heartbeats on a thread of their own: a slow periodic task must never make this node look
  // dead to the others.
  void beat();
  NodeInfo self_info() const;

  ClusterOptions options_;
  store::Store& local_;
  Addresses addresses_;
  const Writer self_;
  Slots slots_;
  Membership membership_;
  std::unique_ptr<NatsLink> link_;
  std::unique_ptr<PartitionLogs> logs_;
  std::unique_ptr<ReplicatedStore> replicated_;
  std::unique_ptr<ClusterRouter> router_;
  ClusterDelivery delivery_;
  engine::Engine* engine_ = nullptr;
  std::vector<std::pair<std::string, std::function<std::string(std::string_view)>>> asks_;

  std::thread thread_;
  std::thread heartbeat_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

}  // namespace jindou::cluster
