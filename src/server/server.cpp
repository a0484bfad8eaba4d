#include "server/server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "api/cluster_presence.h"
#include "api/routes.h"
#include "model/clock.h"
#include "server/node_addresses.h"

namespace jindou::server {

Server::Server(Config config) : config_(std::move(config)) {}

Server::~Server() {
  shutdown();
}

namespace {

std::string endpoint(const std::string& host, uint16_t port) {
  return config::Address{host, port}.to_string();
}

// "2.9.10" -> true when older than 2.10.
bool older_than_2_10(const std::string& version) {
  int major = 0;
  int minor = 0;
  if (std::sscanf(version.c_str(), "%d.%d", &major, &minor) != 2) return false;
  return major < 2 || (major == 2 && minor < 10);
}

std::string info_field(const std::string& info, const std::string& key) {
  const std::string needle = "\"" + key + "\":\"";
  const size_t at = info.find(needle);
  if (at == std::string::npos) return {};
  const size_t end = info.find('"', at + needle.size());
  return end == std::string::npos ? std::string() : info.substr(at + needle.size(), end - at - needle.size());
}

}  // namespace

void Server::start() {
  const auto data_dir = std::filesystem::path(config_.data_dir);
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    throw std::runtime_error("cannot create data directory " + config_.data_dir + ": " +
                             ec.message());
  }

  auto store = store::RocksStore::open(config_.store);
  if (!store.ok()) throw std::runtime_error(store.error().message);
  store_ = std::move(store.value());

  store::Store* engine_store = store_.get();
  engine::DeliverySink* sink = nullptr;
  if (config_.cluster.enabled) {
    start_cluster();
    engine_store = &cluster_->store();
    sink = &cluster_->delivery();
  }

  size_t threads = static_cast<size_t>(config_.io_threads);
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  io_ = std::make_unique<runtime::IoPool>(threads);

  webhooks_ = std::make_unique<webhook::Webhooks>(config_.webhook, *store_);

  engine::EngineOptions engine_options = config_.engine;
  engine_options.events = webhooks_->event_log_options();
  engine_ = std::make_unique<engine::Engine>(engine_options, *engine_store, io_->group(),
                                             config_.cluster.node_id, sink);
  if (cluster_) {
    engine_->set_router(&cluster_->router());
    cluster_->attach(*engine_);
    // Presence and kicks across nodes: what this node answers the others.
    api::answer_presence_asks(*cluster_, *engine_);
    gateway::answer_login_asks(*cluster_, *engine_);
    cluster_asks_ = std::make_unique<api::ClusterAsks>(*cluster_);
    if (auto s = cluster_->start(); !s.ok()) {
      throw std::runtime_error("cannot join the cluster: " + s.error().message);
    }
  }
  // Store reads that may wait for the disk run here, never on an io thread.
  reads_ = std::make_unique<runtime::ReadPool>(static_cast<size_t>(config_.read_threads), "read");
  engine_->set_disk_reads(reads_.get());
  engine_->set_event_listener(webhooks_.get());
  if (webhooks_->wants_presence()) engine_->presence().set_listener(webhooks_.get());
  if (auto s = webhooks_->recover_online_sessions(); !s.ok()) {
    throw std::runtime_error("cannot read the webhook state: " + s.error().message);
  }
  if (auto s = webhooks_->start(); !s.ok()) {
    throw std::runtime_error("cannot start the webhooks: " + s.error().message);
  }

  const api::ApiOptions& api = config_.api;
  slow_reads_ = std::make_unique<runtime::ThreadExecutor>();
  api_context_ = std::make_unique<api::ApiContext>(api::ApiContext{*engine_,
                                                                   engine_->presence(),
                                                                   api.limits,
                                                                   unix_seconds(),
                                                                   slow_reads_.get(),
                                                                   webhooks_.get(),
                                                                   nullptr,
                                                                   {},
                                                                   reads_.get(),
                                                                   cluster_.get(),
                                                                   cluster_asks_.get(),
                                                                   node_addresses(config_),
                                                                   config_.cluster.slot_count});
  router_ = std::make_unique<api::Router>(api.manager_token);
  api::add_all_routes(*router_, *api_context_);

  const std::string http_addr = endpoint(api.http.host, api.http.port);
  http_ = std::make_unique<api::HttpServer>(io_->contexts(), *router_, api.http, &io_->group());
  api_context_->http_connections = [http = http_.get()] { return http->connections_open(); };
  try {
    http_->start();
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot listen on httpAddr " + http_addr + ": " + e.what());
  }

  const gateway::GatewayOptions& gw = config_.gateway;
  gateway_ = std::make_unique<gateway::Gateway>(io_->contexts(), *engine_, engine_->presence(), gw,
                                                reads_.get());
  api_context_->client_counters = gateway_->counters().named();
  gateway_->set_cluster(cluster_.get());
  gateway_->start();
  io_->start();

  spdlog::info("jindou started: node {}, {} io threads, data in {}", config_.cluster.node_id,
               threads, config_.data_dir);
  spdlog::info("HTTP API on {}, clients on tcp {} and ws {}{}", http_addr,
               endpoint(gw.tcp.host, gw.tcp.port), endpoint(gw.ws.host, gw.ws.port),
               gw.wss ? " and wss " + endpoint(gw.wss->host, gw.wss->port) : std::string());
  if (gw.token_auth_on) {
    spdlog::info("client token authentication is on");
  }
  if (api.manager_token.empty()) {
    spdlog::warn("managerToken is not set: the HTTP API accepts requests without a token");
  }
  if (!config_.store.sync_writes) {
    spdlog::warn("storage.syncWrites is false: acknowledged messages can be lost on power failure");
  }
}

void Server::start_cluster() {
  const cluster::ClusterOptions& c = config_.cluster;
  std::vector<std::string> urls = c.nats_urls;
  if (urls.empty()) {
    nats_ = std::make_unique<cluster::NatsChild>(c);
    if (auto s = nats_->start(); !s.ok()) {
      throw std::runtime_error("cannot start nats-server: " + s.error().message);
    }
    urls.push_back("nats://" + endpoint(c.nats_host, c.nats_port));
  }
  // What JetStream's acknowledgement means depends on the server's version.
  for (const auto& url : urls) {
    auto address = config::parse_address(url.starts_with("nats://") ? url.substr(7) : url);
    if (!address) continue;
    auto info = cluster::read_nats_info(address->host, address->port, std::chrono::seconds(2));
    if (!info) continue;
    const std::string version = info_field(*info, "version");
    if (older_than_2_10(version)) {
      spdlog::warn(
          "NATS {} at {} cannot fsync before it acknowledges (sync_interval needs 2.10): an "
          "acknowledged message is on a quorum's page cache and on this node's disk; for "
          "power-loss safety point cluster.natsUrls at NATS 2.10+ with sync_interval: always",
          version, url);
    }
    break;
  }
  cluster_ = std::make_unique<cluster::Cluster>(c, *store_, node_addresses(config_));
  if (auto s = cluster_->connect(urls, std::chrono::seconds(30)); !s.ok()) {
    throw std::runtime_error("cannot join the cluster: " + s.error().message);
  }
}

void Server::request_shutdown() {
  {
    std::lock_guard lock(mu_);
    shutdown_requested_ = true;
  }
  cv_.notify_all();
}

void Server::wait_for_shutdown() {
  // Meanwhile this thread ends the streams left idle longer than stream.idleTimeout.
  const auto idle = config_.stream_idle_timeout;
  const auto period = std::clamp<std::chrono::milliseconds>(idle / 4, std::chrono::milliseconds(50),
                                                            std::chrono::milliseconds(1000));
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, period, [&] { return shutdown_requested_; })) {
    lock.unlock();
    engine_->close_idle_streams(idle.count());
    lock.lock();
  }
  lock.unlock();
  shutdown();
}

void Server::shutdown() {
  if (!io_) return;
  spdlog::info("shutting down: no new connections, finishing requests in flight");
  // Both ingresses stop taking work and answer what they took (HTTP responses, SENDACKs),
  // for up to 10 s.
  if (gateway_) gateway_->stop();
  if (http_) http_->stop();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (((http_ && http_->connections_open() > 0) ||
          (gateway_ && gateway_->connections_open() > 0)) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const size_t http_open = http_ ? http_->connections_open() : 0;
  const size_t clients_open = gateway_ ? gateway_->connections_open() : 0;
  if (http_open + clients_open > 0) {
    spdlog::warn("{} HTTP and {} client connections still open after 10 s: closing them", http_open,
                 clients_open);
  }
  // Close what is still open, make every commit already handed over durable (their callbacks
  // still run on the io threads, which may also still read), let the io threads finish their
  // queued work and stop, and only then close the database.
  if (http_) http_->abort_all();
  if (gateway_) gateway_->abort_all();
  if (engine_) engine_->reader().cancel_searches();
  if (slow_reads_) slow_reads_->stop();
  // Routes waiting for the other nodes' answers get them (or give up) before the cluster goes.
  if (cluster_asks_) cluster_asks_->stop();
  // Writes waiting for the cluster are answered; reads waiting for it return.
  if (cluster_) cluster_->stop();
  // Reads in flight finish and post their completions to the io threads, which run them below.
  if (reads_) reads_->stop();
  // Calls in flight finish (bounded by webhook.requestTimeout); undelivered events stay queued.
  if (webhooks_) webhooks_->stop();
  if (store_) store_->stop_writes();
  io_->stop();
  if (store_) store_->close();
  if (nats_) nats_->stop();
  gateway_.reset();
  http_.reset();
  router_.reset();
  api_context_.reset();
  cluster_asks_.reset();
  engine_.reset();
  cluster_.reset();
  nats_.reset();
  reads_.reset();
  io_.reset();
  webhooks_.reset();  // only now: commit callbacks call it until the store has closed
  store_.reset();
  spdlog::info("stopped");
}

}  // namespace jindou::server
