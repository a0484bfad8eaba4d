// jindou: a WuKongIM-compatible instant-messaging server.
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <sys/resource.h>
#include <unistd.h>  // environ

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>

#include "server/config.h"
#include "server/server.h"

namespace {

constexpr const char* kVersion = "0.1.0";

std::map<std::string, std::string> wk_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    if (entry.substr(0, 3) != "WK_") continue;
    auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
  }
  return env;
}

// Every client connection is a file descriptor: use all the process may have.
void raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  getrlimit(RLIMIT_NOFILE, &limit);
  spdlog::info("open file limit: {} (each client connection uses one)",
               static_cast<uint64_t>(limit.rlim_cur));
}

void setup_logging(const jindou::server::Config& config) {
  std::shared_ptr<spdlog::logger> logger;
  if (config.logger_dir.empty()) {
    logger = spdlog::stderr_color_mt("jindou");
  } else {
    std::filesystem::create_directories(config.logger_dir);
    logger = spdlog::rotating_logger_mt("jindou", config.logger_dir + "/jindou.log", 100u << 20, 5);
  }
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(config.logger_level));
  spdlog::flush_on(spdlog::level::info);
}

int run(int argc, char** argv) {
  CLI::App app{"jindou: a WuKongIM-compatible instant-messaging server"};
  jindou::server::ConfigSources sources;
  std::string data_dir, http_addr, tcp_addr, ws_addr, manager_token, mode, log_level;
  int node_id = -1;
  std::vector<std::string> overrides;
  app.add_option("-c,--config", sources.file_path, "wk.yaml configuration file")
      ->check(CLI::ExistingFile);
  app.add_option("--data-dir", data_dir, "data directory (dataDir)");
  app.add_option("--http-addr", http_addr, "HTTP API address (httpAddr)");
  app.add_option("--addr", tcp_addr, "client TCP address (addr)");
  app.add_option("--ws-addr", ws_addr, "client WebSocket address (wsAddr)");
  app.add_option("--manager-token", manager_token, "HTTP API token (managerToken)");
  app.add_option("--node-id", node_id, "node id 0..1023 (cluster.nodeId)");
  app.add_option("--mode", mode, "debug or release (mode)");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error (logger.level)");
  app.add_option("-o,--set", overrides, "any configuration key: -o key.path=value (repeatable)");
  app.set_version_flag("-v,--version", kVersion);
  CLI11_PARSE(app, argc, argv);

  auto flag = [&](const char* key, const std::string& value) {
    if (!value.empty()) sources.overrides[key] = value;
  };
  for (const auto& kv : overrides) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "jindou: -o expects key=value, got '%s'\n", kv.c_str());
      return 2;
    }
    sources.overrides[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  flag("dataDir", data_dir);
  flag("httpAddr", http_addr);
  flag("addr", tcp_addr);
  flag("wsAddr", ws_addr);
  flag("managerToken", manager_token);
  flag("mode", mode);
  flag("logger.level", log_level);
  if (node_id >= 0) sources.overrides["cluster.nodeId"] = std::to_string(node_id);
  sources.env = wk_environment();

  auto loaded = jindou::server::load_config(sources);
  if (!loaded.ok()) {
    std::fprintf(stderr, "jindou: %s\n", loaded.error().message.c_str());
    return 2;
  }
  setup_logging(loaded->config);
  for (const auto& w : loaded->warnings) spdlog::warn("{}", w);
  raise_open_file_limit();

  // Signals are taken by this thread only (blocked before any other thread starts).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  jindou::server::Server server(std::move(loaded->config));
  try {
    server.start();
  } catch (const std::exception& e) {
    spdlog::critical("cannot start: {}", e.what());
    return 1;
  }
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    spdlog::info("received {}", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    server.request_shutdown();
  });
  server.wait_for_shutdown();
  waiter.join();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Whatever is thrown before the server runs (a log directory that cannot be created, say)
  // ends the process with its message and a failure status rather than an abort.
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "jindou: %s\n", e.what());
    return 1;
  }
}
