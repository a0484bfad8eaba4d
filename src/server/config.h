// The server's configuration: wk.yaml (camelCase keys as WuKongIM), WK_* environment variables,
// command-line flags, defaults; precedence flags > env > file > defaults. Each layer builds its
// own options from the one ConfigSource (GatewayOptions::from, EngineOptions::from, ...); this
// file reads the few keys that belong to the server itself and collects the result. Unknown keys
// produce warnings; an invalid value makes loading fail with one sentence naming the key.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "api/api_options.h"
#include "cluster/cluster_options.h"
#include "config/config_source.h"
#include "engine/engine_options.h"
#include "gateway/gateway_options.h"
#include "model/error.h"
#include "store/rocks_store_options.h"
#include "webhook/webhook_options.h"

namespace jindou::server {

struct Config {
  // Keys of the server itself.
  std::string mode = "debug";
  std::string data_dir = "./wukongimdata";
  // WuKongIM's rootDir: when set, dataDir defaults to <rootDir>/data and a relative logger.dir is
  // taken under it. An explicit dataDir wins.
  std::string root_dir;
  std::string logger_dir;  // empty = stderr
  std::string logger_level = "info";
  int64_t io_threads = 0;    // 0 = one per hardware thread
  int64_t read_threads = 2;  // the read pool: store reads that may wait for the disk
  // A stream nothing touched for this long is ended by the server (end_reason 2).
  std::chrono::milliseconds stream_idle_timeout{std::chrono::minutes(5)};
  bool manager_on = true;
  config::Address manager_addr{"0.0.0.0", 5300};

  // Each layer's options, built by the layer.
  cluster::ClusterOptions cluster;  // cluster.*, external.*; node_id also in single-node mode
  store::RocksStoreOptions store;
  engine::EngineOptions engine;
  webhook::WebhookOptions webhook;
  api::ApiOptions api;
  gateway::GatewayOptions gateway;
};

// The raw inputs, so tests can load without touching the process environment.
using ConfigSources = config::ConfigInputs;

struct LoadedConfig {
  Config config;
  std::vector<std::string> warnings;  // unknown keys
};

// Reads every key, the server's and each layer's, from `source`; problems stay in `source`.
Config read_config(config::ConfigSource& source);
// read_config() on the given inputs; the first problem as a 400 Error.
Result<LoadedConfig> load_config(const ConfigSources& sources);

}  // namespace jindou::server
