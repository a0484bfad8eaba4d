// ClusterProcess: three (or more) real `jindou` nodes forming one cluster on loopback, for
// black-box tests of cluster mode (docs/cluster.md).
//
// Every node is a ServerProcess (fresh directory, free HTTP / TCP / WebSocket / manager ports)
// configured for the cluster through the environment only: WK_CLUSTER_NODEID,
// WK_CLUSTER_ADDR (its nats-server's route port), WK_CLUSTER_NATSADDR (its nats-server's client
// port) and WK_CLUSTER_INITNODES naming every node's route address. The route and NATS ports are
// picked once, free at that moment, and kept across restarts (the other nodes dial them); a NATS
// port is only taken when its monitoring port (+4000, docs/cluster.md) is free too or beyond
// 65535 (then monitoring is off).
//
// Every node's nats-server runs with a NATS cluster name of this ClusterProcess's own (through a
// wrapper script named by JINDOU_NATS_SERVER that adds --cluster_name), so the cluster never
// merges with another test's: jindou names every NATS cluster "jindou" and its servers jd-<id>,
// and a nats-server whose peer died keeps dialling the peer's route port, which a later cluster
// on the same machine may have been given.
//
// Lifecycle: construct, start() (spawns every node, then waits for each to be ready), kill9(n) /
// stop(n) and start(n) to restart node n on its data directory. The destructor kills what runs
// and removes the directories (unless JINDOU_KEEP_TEST_DIRS is set). Node numbers are the
// cluster node ids, 1 .. size(). Not thread-safe: one thread drives it; others may read ports.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "support/server_process.h"

namespace jindou::testing {

class ClusterProcess {
 public:
  // `base`: options every node gets (extra -o settings, env, ready_timeout); the cluster
  // variables are added per node.
  explicit ClusterProcess(int nodes = 3, ServerOptions base = {});
  ~ClusterProcess();
  ClusterProcess(const ClusterProcess&) = delete;
  ClusterProcess& operator=(const ClusterProcess&) = delete;

  // Spawns every node that is not running, then waits until each one is ready (ServerProcess::
  // wait_ready). Throws with the failing node's log.
  void start();
  // Starts node `n` again (spawn, then wait_ready).
  void start(int n);
  // SIGKILL to node `n`'s jindou (its nats-server child dies with it).
  void kill9(int n);
  // SIGTERM; the exit status.
  int stop(int n);

  int size() const { return static_cast<int>(nodes_.size()); }
  ServerProcess& node(int n);
  const ServerProcess& node(int n) const;
  uint16_t route_port(int n) const;
  uint16_t nats_port(int n) const;
  // The pid of node `n`'s nats-server child; 0 when there is none right now (between restarts).
  pid_t nats_pid(int n) const;
  // <dataDir>/nats/nats-server.log of node `n`, and its contents.
  std::string nats_log_path(int n) const;
  std::string nats_log(int n) const;
  // The last `lines` lines of every node's jindou log and nats-server log, headed by node: for
  // failure messages.
  std::string logs_tail(size_t lines = 40) const;
  // The NATS cluster name every node's nats-server gets.
  const std::string& nats_cluster_name() const { return nats_cluster_name_; }

 private:
  std::string dir_;  // the wrapper script's directory
  std::string nats_cluster_name_;
  struct Node {
    std::unique_ptr<ServerProcess> server;
    uint16_t route_port = 0;
    uint16_t nats_port = 0;
  };
  std::vector<Node> nodes_;
};

// The last `lines` lines of `text`.
std::string tail_lines(const std::string& text, size_t lines);

}  // namespace jindou::testing
