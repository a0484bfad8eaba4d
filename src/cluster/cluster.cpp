#include "cluster/cluster.h"

#include <spdlog/spdlog.h>

#include <random>

namespace jindou::cluster {

namespace {

uint64_t new_boot() {
  std::random_device rd;
  const uint64_t boot = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  return boot == 0 ? 1 : boot;
}

}  // namespace

Cluster::Cluster(ClusterOptions options, store::Store& local, Addresses addresses)
    : options_(std::move(options)),
      local_(local),
      addresses_(std::move(addresses)),
      self_{options_.node_id, new_boot()},
      slots_(options_.slot_count, options_.log_count),
      delivery_(options_.node_id) {}

Cluster::~Cluster() { stop(); }

Status Cluster::connect(const std::vector<std::string>& urls, std::chrono::milliseconds timeout) {
  auto link = NatsLink::connect(urls, "jindou-" + std::to_string(options_.node_id), timeout);
  if (!link.ok()) return link.error();
  link_ = std::move(*link);
  PartitionLogs::Hooks hooks;
  hooks.forget_channel_state = [this](std::function<void()> done) {
    if (engine_ != nullptr) {
      engine_->forget_channel_state(std::move(done));
    } else {
      done();
    }
  };
  hooks.channels_changed = [this](const std::vector<ChannelKey>& keys) {
    if (engine_ == nullptr) return;
    for (const auto& key : keys) engine_->invalidate_settings(key);
  };
  logs_ = std::make_unique<PartitionLogs>(*link_, local_, membership_, self_, options_.log_count,
                                          options_.replicas(), std::move(hooks));
  if (auto s = logs_->start(); !s.ok()) return s;
  replicated_ = std::make_unique<ReplicatedStore>(local_, *logs_, slots_);
  router_ = std::make_unique<ClusterRouter>(*link_, *logs_, membership_, slots_, self_,
                                            std::chrono::seconds(20));
  return Status{};
}

void Cluster::attach(engine::Engine& engine) {
  engine_ = &engine;
  router_->set_engine(&engine);
  delivery_.set_local(&engine.fanout());
}

void Cluster::on_ask(const std::string& topic,
                     std::function<std::string(std::string_view)> handler) {
  asks_.emplace_back(topic, std::move(handler));
}

Status Cluster::start() {
  if (auto s = router_->start(); !s.ok()) return s;
  if (auto s = delivery_.start(*link_); !s.ok()) return s;
  auto hb = link_->subscribe("jd.hb", [this](const NatsMessage& m) {
    if (auto info = decode_heartbeat(m.data)) {
      membership_.heard(std::move(*info), std::chrono::steady_clock::now());
    }
  });
  if (!hb.ok()) return hb.error();
  for (auto& [topic, handler] : asks_) {
    auto sub = link_->subscribe(
        "jd.ask." + std::to_string(options_.node_id) + "." + topic,
        [this, h = handler](const NatsMessage& m) {
          if (!m.reply.empty()) (void)link_->publish(m.reply, h(m.data));
        });
    if (!sub.ok()) return sub.error();
  }
  replicated_->set_serving(true);
  thread_ = std::thread([this] { run(); });
  heartbeat_ = std::thread([this] { beat(); });
  spdlog::info("cluster: node {} of {} initial nodes, {} partitions with {} replicas over NATS",
               options_.node_id, options_.init_nodes.size(), options_.log_count,
               options_.replicas());
  return Status{};
}

void Cluster::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (heartbeat_.joinable()) heartbeat_.join();
  if (router_) router_->stop();
  if (logs_) logs_->stop();
  // The connection goes last: its delivery threads may still be in a handler until it closes.
  link_.reset();
}

NodeInfo Cluster::self_info() const {
  NodeInfo n;
  n.id = options_.node_id;
  n.boot = self_.boot;
  n.api_url = addresses_.api_url;
  n.tcp_addr = addresses_.tcp_addr;
  n.ws_addr = addresses_.ws_addr;
  n.wss_addr = addresses_.wss_addr;
  n.partitions_owned = logs_ ? logs_->owned_here() : 0;
  n.healthy = healthy();
  return n;
}

void Cluster::beat() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    const auto now = std::chrono::steady_clock::now();
    NodeInfo me = self_info();
    // This node knows itself alive while it reaches NATS, whatever the loopback says.
    membership_.heard(me, now);
    (void)link_->publish("jd.hb", encode_heartbeat(me));
    lock.lock();
    cv_.wait_for(lock, Membership::kHeartbeatEvery, [this] { return stopping_; });
  }
}

void Cluster::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    const auto now = std::chrono::steady_clock::now();
    logs_->tick(now);
    router_->tick(now);
    lock.lock();
    cv_.wait_for(lock, std::chrono::milliseconds(20), [this] { return stopping_; });
  }
}

bool Cluster::healthy() const {
  return link_ && link_->connected() && logs_ && logs_->jetstream_reachable() &&
         !logs_->diverged();
}

std::vector<std::pair<NodeInfo, bool>> Cluster::nodes() const {
  const auto now = std::chrono::steady_clock::now();
  std::vector<std::pair<NodeInfo, bool>> out;
  for (auto& n : membership_.nodes()) {
    const bool alive = membership_.live(n.id, n.boot, now);
    out.emplace_back(std::move(n), alive);
  }
  return out;
}

bool Cluster::knows_node(uint16_t id) const {
  for (const auto& n : options_.init_nodes) {
    if (n.id == id) return true;
  }
  return membership_.node(id).has_value();
}

std::vector<NodeInfo> Cluster::live_nodes() const {
  auto live = membership_.live_nodes(std::chrono::steady_clock::now());
  std::stable_partition(live.begin(), live.end(),
                        [this](const NodeInfo& n) { return n.id == options_.node_id; });
  return live;
}

std::vector<std::string> Cluster::ask_all(const std::string& topic, const std::string& request,
                                          std::chrono::milliseconds timeout) {
  struct Gather {
    std::mutex mu;
    std::condition_variable cv;
    size_t remaining = 0;
    std::vector<std::string> answers;
  };
  if (!link_) return {};
  auto g = std::make_shared<Gather>();
  std::vector<uint16_t> others;
  for (const auto& n : membership_.live_nodes(std::chrono::steady_clock::now())) {
    if (n.id != options_.node_id) others.push_back(n.id);
  }
  g->remaining = others.size();
  for (uint16_t id : others) {
    link_->request("jd.ask." + std::to_string(id) + "." + topic, request, {}, timeout,
                   [g](Result<NatsMessage> r) {
                     std::lock_guard lock(g->mu);
                     if (r.ok()) g->answers.push_back(std::move(r->data));
                     if (--g->remaining == 0) g->cv.notify_all();
                   });
  }
  std::unique_lock lock(g->mu);
  g->cv.wait_for(lock, timeout + std::chrono::milliseconds(200), [&] { return g->remaining == 0; });
  return g->answers;
}

}  // namespace jindou::cluster
