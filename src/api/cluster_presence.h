// Presence and kicks across the nodes of a cluster, for the HTTP API: /user/onlinestatus reports
// the connections of every node, and /conn/kick, /user/device_quit and a master /user/token kick
// them on every node. Each node answers two questions from the others (Cluster::on_ask):
//
//   presence.online  uids            -> the (uid, device_flag) pairs connected here
//   presence.kick    uid, flags, ... -> how many connections it kicked here
//
// Cluster::ask_all waits for the answers, so the routes ask from ClusterAsks's threads, never
// from an io thread.
//
// Threads: ClusterAsks::run from any thread; the answers to other nodes run on NATS delivery
// threads (they read the presence table and post kicks to the io threads, never wait).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "api/api_context.h"
#include "cluster/cluster.h"
#include "engine/engine.h"
#include "runtime/task_queue.h"

namespace jindou::api {

// How long a route waits for the other nodes (a node that does not answer is left out).
inline constexpr std::chrono::milliseconds kAskTimeout{1000};

// Threads of their own where routes wait for the cluster: for the other nodes' answers, and for
// the Cluster getters that take the partition logs' lock (healthy(), partitions()), which
// PartitionLogs can hold for seconds while it waits for JetStream.
//
// Lifecycle: stop() before the cluster stops: it runs what is queued, then joins; a task given
// after that runs at once on the caller's thread, without the cluster.
class ClusterAsks {
 public:
  explicit ClusterAsks(cluster::Cluster& cluster, size_t threads = 4);
  ~ClusterAsks();
  ClusterAsks(const ClusterAsks&) = delete;
  ClusterAsks& operator=(const ClusterAsks&) = delete;

  // Runs `task` on one of the threads with the cluster, or (stopped) here with nullptr.
  void run(const std::function<void(cluster::Cluster*)>& task);
  void stop();

 private:
  cluster::Cluster& cluster_;
  runtime::TaskQueue queue_;
  std::vector<std::thread> threads_;
};

// Runs `fn` with ctx.cluster where it may wait: on a ClusterAsks thread in cluster mode, here on a
// single node (with nullptr). While the server shuts down it runs here with nullptr too.
void with_cluster(ApiContext& ctx, const std::function<void(cluster::Cluster*)>& fn);

// Answers presence.online and presence.kick from the other nodes with this node's connections.
// Call before cluster.start().
void answer_presence_asks(cluster::Cluster& cluster, engine::Engine& engine);

// Who is connected on any node: for each uid of `uids` (by index) the device flags connected,
// this node's first, each once. `done` runs on this thread in single-node mode, else on a
// ClusterAsks thread.
using OnlineDevices = std::vector<std::vector<uint8_t>>;
void online_everywhere(ApiContext& ctx, std::shared_ptr<const std::vector<std::string>> uids,
                       std::function<void(OnlineDevices)> done);

// Engine::kick on every node; `done` gets the number of connections kicked on the nodes that
// answered (this one included). Threads as online_everywhere.
void kick_everywhere(ApiContext& ctx, const std::string& uid, std::vector<uint8_t> device_flags,
                     ReasonCode reason, const std::string& text, bool quietly,
                     std::chrono::milliseconds close_after, std::function<void(size_t)> done);

// --- wire formats (cluster/wire.h encoding, a version byte first) -----------------------------

std::string encode_online_request(const std::vector<std::string>& uids);
std::optional<std::vector<std::string>> decode_online_request(std::string_view data);
// (index of the uid in the request, device flag) of every connection.
using OnlineAnswer = std::vector<std::pair<uint64_t, uint8_t>>;
std::string encode_online_answer(const OnlineAnswer& answer);
std::optional<OnlineAnswer> decode_online_answer(std::string_view data);

struct KickRequest {
  std::string uid;
  std::vector<uint8_t> device_flags;  // empty: every device flag
  ReasonCode reason = ReasonCode::kConnectKick;
  std::string text;
  bool quietly = false;
  std::chrono::milliseconds close_after{0};
};
std::string encode_kick_request(const KickRequest& request);
std::optional<KickRequest> decode_kick_request(std::string_view data);
std::string encode_kick_answer(uint64_t kicked);
std::optional<uint64_t> decode_kick_answer(std::string_view data);

// Splits `uids` into runs whose encoded requests stay well under NATS's 1 MiB message limit:
// [begin, end) index pairs.
std::vector<std::pair<size_t, size_t>> online_request_chunks(const std::vector<std::string>& uids,
                                                             size_t max_bytes = 256 * 1024);

}  // namespace jindou::api
