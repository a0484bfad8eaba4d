#include "server/server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "api/routes.h"
#include "model/clock.h"

namespace jindou::server {

Server::Server(Config config) : config_(std::move(config)) {}

Server::~Server() {
  shutdown();
}

void Server::start() {
  const auto data_dir = std::filesystem::path(config_.data_dir);
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec)
    throw std::runtime_error("cannot create data directory " + config_.data_dir + ": " +
                             ec.message());

  store::RocksStoreOptions store_options;
  store_options.path = (data_dir / "store").string();
  store_options.sync_writes = config_.sync_writes;
  store_options.retention_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(config_.retention).count();
  auto store = store::RocksStore::open(store_options);
  if (!store.ok()) throw std::runtime_error(store.error().message);
  store_ = std::move(store.value());

  size_t threads = static_cast<size_t>(config_.io_threads);
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  io_ = std::make_unique<runtime::IoPool>(threads);

  webhook::WebhookOptions hooks;
  hooks.http_addr = config_.webhook.http_addr;
  hooks.grpc_addr = config_.webhook.grpc_addr;
  hooks.push_interval = config_.webhook.push_interval;
  hooks.count_per_push = static_cast<size_t>(config_.webhook.count_per_push);
  hooks.retry_max_count = config_.webhook.retry_max_count;
  hooks.focus_events = config_.webhook.focus_events;
  hooks.secret = config_.webhook.secret;
  hooks.request_timeout = config_.webhook.request_timeout;
  hooks.max_backlog = static_cast<size_t>(config_.webhook.max_backlog);
  hooks.max_dead_letters = static_cast<size_t>(config_.webhook.max_dead_letters);
  webhooks_ = std::make_unique<webhook::Webhooks>(std::move(hooks), *store_);

  engine::EngineOptions engine_options;
  engine_options.conversations = config_.conversation_on;
  engine_options.events = webhooks_->event_log_options();
  engine_ = std::make_unique<engine::Engine>(engine_options, *store_, io_->executors(),
                                             config_.cluster.node_id, nullptr);
  // Store reads that may wait for the disk run here, never on an io thread.
  reads_ = std::make_unique<runtime::ReadPool>(2, "read");
  engine_->set_disk_reads(reads_.get());
  engine_->set_event_listener(webhooks_.get());
  if (webhooks_->wants_presence()) engine_->presence().set_listener(webhooks_.get());
  if (auto s = webhooks_->recover_online_sessions(); !s.ok()) {
    throw std::runtime_error("cannot read the webhook state: " + s.error().message);
  }
  if (auto s = webhooks_->start(); !s.ok()) {
    throw std::runtime_error("cannot start the webhooks: " + s.error().message);
  }
  // The first thing each io thread does: tell the engine which executor it is.
  for (size_t i = 0; i < io_->size(); ++i) {
    boost::asio::post(io_->context(i),
                      [this, i] { engine_->attach_current_thread(static_cast<int>(i)); });
  }

  api::ApiLimits limits;
  limits.max_payload_bytes = static_cast<size_t>(config_.max_payload_bytes);
  limits.max_batch = static_cast<size_t>(config_.max_batch);
  slow_reads_ = std::make_unique<runtime::ThreadExecutor>();
  api_context_ = std::make_unique<api::ApiContext>(api::ApiContext{
      *engine_, limits, unix_seconds(), slow_reads_.get(), webhooks_.get(), nullptr, {}});
  router_ = std::make_unique<api::Router>(config_.manager_token);
  api::add_all_routes(*router_, *api_context_);

  api::HttpServerOptions http_options;
  http_options.host = config_.http_addr.host;
  http_options.port = config_.http_addr.port;
  // Room for a full batch of base64 payloads would be unbounded; 16 MiB or one maximal message.
  http_options.max_body_bytes =
      std::max<size_t>(16u << 20, static_cast<size_t>(config_.max_payload_bytes) / 3 * 4 + 65536);
  http_options.max_pending_body_bytes = static_cast<uint64_t>(config_.http_max_pending_body_bytes);
  http_options.write_timeout_seconds = static_cast<int>(std::min<int64_t>(
      std::chrono::ceil<std::chrono::seconds>(config_.http_write_timeout).count(), 86400));
  http_ = std::make_unique<api::HttpServer>(io_->contexts(), *router_, http_options);
  api_context_->http_connections = [http = http_.get()] { return http->connections_open(); };
  try {
    http_->start();
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot listen on httpAddr " + config_.http_addr.to_string() + ": " +
                             e.what());
  }

  gateway::GatewayOptions gw;
  gw.tcp = {config_.tcp_addr.host, config_.tcp_addr.port};
  gw.ws = {config_.ws_addr.host, config_.ws_addr.port};
  if (config_.wss_addr)
    gw.wss = gateway::ListenAddress{config_.wss_addr->host, config_.wss_addr->port};
  gw.wss_cert_file = config_.wss_cert_file;
  gw.wss_key_file = config_.wss_key_file;
  gw.token_auth_on = config_.token_auth_on;
  gw.disable_encryption = config_.disable_encryption;
  gw.trust_proxy_protocol = config_.proxy_protocol;
  gw.max_payload_bytes = static_cast<size_t>(config_.max_payload_bytes);
  gw.manager_token = config_.manager_token;
  gw.node_id = config_.cluster.node_id;
  gw.idle_timeout = config_.conn_idle_time;
  gw.recv_retry_interval = config_.delivery_retry_interval;
  gw.recv_retry_max = static_cast<int>(config_.delivery_retry_max);
  gw.max_inflight_sends = static_cast<size_t>(config_.max_inflight_sends);
  gateway_ = std::make_unique<gateway::Gateway>(io_->contexts(), *engine_, gw);
  api_context_->client_counters = gateway_->counters().named();
  gateway_->start();
  io_->start();

  spdlog::info("jindou started: node {}, {} io threads, data in {}", config_.cluster.node_id,
               threads, config_.data_dir);
  spdlog::info("HTTP API on {}, clients on tcp {} and ws {}{}", config_.http_addr.to_string(),
               config_.tcp_addr.to_string(), config_.ws_addr.to_string(),
               config_.wss_addr ? " and wss " + config_.wss_addr->to_string() : std::string());
  if (config_.token_auth_on) {
    spdlog::info("client token authentication is on");
  }
  if (config_.manager_token.empty()) {
    spdlog::warn("managerToken is not set: the HTTP API accepts requests without a token");
  }
  if (!config_.sync_writes) {
    spdlog::warn("storage.syncWrites is false: acknowledged messages can be lost on power failure");
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
  // Reads in flight finish and post their completions to the io threads, which run them below.
  if (reads_) reads_->stop();
  // Calls in flight finish (bounded by webhook.requestTimeout); undelivered events stay queued.
  if (webhooks_) webhooks_->stop();
  if (store_) store_->stop_writes();
  io_->stop();
  if (store_) store_->close();
  gateway_.reset();
  http_.reset();
  router_.reset();
  api_context_.reset();
  engine_.reset();
  reads_.reset();
  io_.reset();
  webhooks_.reset();  // only now: commit callbacks call it until the store has closed
  store_.reset();
  spdlog::info("stopped");
}

}  // namespace jindou::server
