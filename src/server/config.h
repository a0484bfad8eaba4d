// Configuration: wk.yaml (camelCase keys as WuKongIM), WK_* environment variables, command-line
// flags, defaults. Precedence: flags > env > file > defaults. Unknown keys produce warnings;
// invalid values make loading fail with one sentence naming the key.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/error.h"

namespace jindou::server {

struct Address {
  std::string host;
  uint16_t port = 0;
  std::string to_string() const;
};

struct WebhookConfig {
  std::string http_addr;
  std::string grpc_addr;
  std::chrono::milliseconds push_interval{500};
  int64_t count_per_push = 100;
  int64_t retry_max_count = 5;
  std::vector<std::string> focus_events;
  std::string secret;
  std::chrono::milliseconds request_timeout{10000};
  int64_t max_backlog = 10'000'000;
  int64_t max_dead_letters = 100'000;
};

struct ClusterConfig {
  uint16_t node_id = 1;
  std::string addr;
  std::vector<std::string> init_nodes;
  int64_t slot_count = 1024;
  int64_t slot_replica_count = 1;
  int64_t channel_replica_count = 1;
};

struct Config {
  std::string mode = "debug";
  std::string data_dir = "./wukongimdata";
  // WuKongIM's rootDir: when set, dataDir defaults to <rootDir>/data and a relative logger.dir is
  // taken under it. An explicit dataDir wins.
  std::string root_dir;
  Address http_addr{"0.0.0.0", 5001};
  Address tcp_addr{"0.0.0.0", 5100};
  Address ws_addr{"0.0.0.0", 5200};
  std::optional<Address> wss_addr;
  std::string wss_cert_file;
  std::string wss_key_file;
  bool manager_on = true;
  Address manager_addr{"0.0.0.0", 5300};
  std::string manager_token;
  bool token_auth_on = false;
  bool disable_encryption = false;
  bool proxy_protocol = false;  // TCP clients may start with a PROXY v1/v2 header
  std::chrono::milliseconds conn_idle_time{std::chrono::minutes(3)};
  int64_t max_payload_bytes = 1 << 20;
  int64_t max_batch = 1000;
  std::chrono::milliseconds retention{0};
  bool sync_writes = true;
  // A stream nothing touched for this long is ended by the server (end_reason 2).
  std::chrono::milliseconds stream_idle_timeout{std::chrono::minutes(5)};
  bool conversation_on = true;
  int64_t io_threads = 0;  // 0 = one per hardware thread
  std::chrono::milliseconds delivery_retry_interval{std::chrono::seconds(60)};
  int64_t delivery_retry_max = 5;
  int64_t max_inflight_sends = 4096;  // per connection, before its reading pauses
  std::chrono::milliseconds http_write_timeout{std::chrono::seconds(30)};
  int64_t http_max_pending_body_bytes = 256 << 20;
  std::string logger_dir;  // empty = stderr
  std::string logger_level = "info";
  WebhookConfig webhook;
  ClusterConfig cluster;
};

// The raw inputs, so tests can load without touching the process environment.
struct ConfigSources {
  std::string file_path;                     // empty: no file
  std::map<std::string, std::string> env;    // WK_* variables
  std::map<std::string, std::string> flags;  // key path -> value
};

struct LoadedConfig {
  Config config;
  std::vector<std::string> warnings;  // unknown keys and similar
};

Result<LoadedConfig> load_config(const ConfigSources& sources);

// Parses "500ms", "3m", "1h30m", "10s", "0" (a bare number is seconds).
std::optional<std::chrono::milliseconds> parse_duration(const std::string& text);
// Parses "host:port", "tcp://host:port", "ws://host:port", "[::1]:port".
std::optional<Address> parse_address(const std::string& text);

}  // namespace jindou::server
