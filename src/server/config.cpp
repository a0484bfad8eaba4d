#include "server/config.h"

#include <filesystem>

namespace jindou::server {
namespace {

std::optional<std::string> check_mode(const std::string& s) {
  // "bench" is accepted too: the load generator's scripts start the server with it.
  if (s != "debug" && s != "release" && s != "bench") {
    return "expected debug or release, got '" + s + "'";
  }
  return std::nullopt;
}

std::optional<std::string> check_not_empty(const std::string& s) {
  if (s.empty()) return std::string("must not be empty");
  return std::nullopt;
}

// WuKongIM writes the level as a number: 0 unset, 1 debug, 2 info, 3 warn, 4 error.
std::string log_level_name(const std::string& given) {
  static const char* const kNumbered[] = {"info", "debug", "info", "warn", "error"};
  std::string l = config::lower(given);
  if (l.size() == 1 && l[0] >= '0' && l[0] <= '4') l = kNumbered[l[0] - '0'];
  return l;
}

std::optional<std::string> check_log_level(const std::string& s) {
  const std::string l = log_level_name(s);
  if (l != "trace" && l != "debug" && l != "info" && l != "warn" && l != "error") {
    return "expected trace, debug, info, warn or error (or WuKongIM's 0 to 4), got '" + s + "'";
  }
  return std::nullopt;
}

}  // namespace

Config read_config(config::ConfigSource& source) {
  Config c;
  c.mode = source.string("mode", c.mode, check_mode);
  c.data_dir = source.string("dataDir", c.data_dir, check_not_empty);
  c.root_dir = source.string("rootDir", "", check_not_empty);
  c.logger_dir = source.string("logger.dir", "");
  c.logger_level = log_level_name(source.string("logger.level", c.logger_level, check_log_level));
  c.io_threads = source.integer("ioThreads", c.io_threads, 0, 256);
  c.read_threads = source.integer("readThreads", c.read_threads, 1, 64);
  // Sweeping for idle streams more often than this would cost more than it saves.
  c.stream_idle_timeout = std::max(source.duration("stream.idleTimeout", c.stream_idle_timeout),
                                   std::chrono::milliseconds(100));
  c.manager_on = source.boolean("manager.on", c.manager_on);
  c.manager_addr = source.address("manager.addr", c.manager_addr);
  if (!c.root_dir.empty()) {
    const std::filesystem::path root(c.root_dir);
    if (!source.has("dataDir")) c.data_dir = (root / "data").string();
    if (!c.logger_dir.empty() && std::filesystem::path(c.logger_dir).is_relative()) {
      c.logger_dir = (root / c.logger_dir).string();
    }
  }

  c.cluster = cluster::ClusterOptions::from(source, c.data_dir);
  c.store = store::RocksStoreOptions::from(source,
                                           (std::filesystem::path(c.data_dir) / "store").string());
  c.engine = engine::EngineOptions::from(source);
  c.webhook = webhook::WebhookOptions::from(source);
  c.api = api::ApiOptions::from(source);
  c.gateway = gateway::GatewayOptions::from(source);
  return c;
}

Result<LoadedConfig> load_config(const ConfigSources& sources) {
  config::ConfigSource source = config::ConfigSource::load(sources);
  LoadedConfig loaded{read_config(source), {}};
  if (auto problem = source.problem()) return Error::bad_request(*problem);
  loaded.warnings = source.warnings();
  return loaded;
}

}  // namespace jindou::server
