// The server's configuration end to end: every layer reading from one source, the server's own
// keys, and the documentation of every key. Each layer's keys are tested beside the layer
// (*_options_test.cpp), the value syntaxes and precedence in src/config.
#include "server/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <set>
#include <sstream>

namespace jindou::server {
namespace {

std::string write_yaml(const std::string& text) {
  auto path = std::filesystem::temp_directory_path() /
              ("jindou-config-" + std::to_string(std::random_device{}()) + ".yaml");
  std::ofstream(path) << text;
  return path.string();
}

TEST(Config, DefaultsAreTheEmbeddedSingleNode) {
  auto loaded = load_config({});
  ASSERT_TRUE(loaded.ok());
  const Config& c = loaded->config;
  EXPECT_EQ(c.mode, "debug");
  EXPECT_EQ(c.data_dir, "./wukongimdata");
  EXPECT_EQ(c.store.path, "./wukongimdata/store");
  EXPECT_EQ(c.api.http.port, 5001);
  EXPECT_EQ(c.gateway.tcp.port, 5100);
  EXPECT_EQ(c.gateway.ws.port, 5200);
  EXPECT_TRUE(c.store.sync_writes);
  EXPECT_EQ(c.api.limits.max_payload_bytes, 1u << 20);
  EXPECT_EQ(c.gateway.idle_timeout, std::chrono::minutes(3));
  EXPECT_EQ(c.stream_idle_timeout, std::chrono::minutes(5));
  EXPECT_EQ(c.cluster.node_id, 1);
  EXPECT_FALSE(c.cluster.enabled);
  EXPECT_EQ(c.logger_level, "info");
  EXPECT_FALSE(c.webhook.enabled());
  EXPECT_TRUE(loaded->warnings.empty());
}

TEST(Config, EveryLayerReadsTheSameMergedSources) {
  const auto path = write_yaml(R"(
mode: release
httpAddr: "127.0.0.1:6001"
dataDir: /tmp/from-file
managerToken: file-token
message:
  maxPayloadBytes: 2048
webhook:
  httpAddr: "http://127.0.0.1:8080/webhooks"
  msgNotifyEventPushInterval: 250ms
cluster:
  nodeId: 3
  initNodes: ["7@10.0.0.7:11110", "8@10.0.0.8:11110"]
)");
  ConfigSources s;
  s.file_path = path;
  s.env = {{"WK_DATADIR", "/tmp/from-env"},
           {"WK_MANAGERTOKEN", "env-token"},
           {"WK_CLUSTER_NODEID", "7"}};
  s.overrides = {{"managerToken", "flag-token"}};
  auto loaded = load_config(s);
  std::filesystem::remove(path);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  const Config& c = loaded->config;
  EXPECT_EQ(c.mode, "release");
  EXPECT_EQ(c.api.http.host, "127.0.0.1");
  EXPECT_EQ(c.data_dir, "/tmp/from-env");  // env beats file
  EXPECT_EQ(c.store.path, "/tmp/from-env/store");
  // A key several layers read reaches each of them.
  EXPECT_EQ(c.api.manager_token, "flag-token");  // flag beats env
  EXPECT_EQ(c.gateway.manager_token, "flag-token");
  EXPECT_EQ(c.cluster.node_id, 7);
  EXPECT_EQ(c.gateway.node_id, 7u);
  EXPECT_EQ(c.api.limits.max_payload_bytes, 2048u);
  EXPECT_EQ(c.gateway.max_payload_bytes, 2048u);
  EXPECT_TRUE(c.cluster.enabled);
  ASSERT_EQ(c.cluster.init_nodes.size(), 2u);
  EXPECT_EQ(c.cluster.init_nodes[1].id, 8);
  EXPECT_EQ(c.cluster.init_nodes[1].host, "10.0.0.8");
  EXPECT_EQ(c.cluster.data_dir, "/tmp/from-env/nats");
  EXPECT_EQ(c.webhook.push_interval, std::chrono::milliseconds(250));
  EXPECT_TRUE(loaded->warnings.empty());
}

TEST(Config, UnknownKeysWarnInvalidValuesFail) {
  const auto path = write_yaml("httpAddr: 0.0.0.0:5001\nnoSuchKey: 1\nwebhook:\n  nope: x\n");
  ConfigSources s;
  s.file_path = path;
  auto loaded = load_config(s);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->warnings,
            (std::vector<std::string>{"unknown configuration key 'noSuchKey' is ignored",
                                      "unknown configuration key 'webhook.nope' is ignored"}));

  s.env = {{"WK_CLUSTER_NODEID", "5000"}};
  auto bad = load_config(s);
  std::filesystem::remove(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().status, 400);
  EXPECT_EQ(bad.error().message,
            "invalid configuration WK_CLUSTER_NODEID: expected an integer between 0 and 1023, "
            "got '5000'");
  EXPECT_FALSE(load_config({{}, {{"WK_HTTPADDR", "nonsense"}}, {}}).ok());
  EXPECT_FALSE(load_config({{}, {}, {{"wssAddr", "0.0.0.0:5210"}}}).ok());  // no certificate
  EXPECT_FALSE(load_config({{}, {}, {{"mode", "fast"}}}).ok());
  EXPECT_FALSE(load_config({{}, {}, {{"cluster.slotReplicaCount", "10"}}}).ok());
  EXPECT_FALSE(load_config({{}, {{"WK_CLUSTER_INITNODES", "2@127.0.0.1:6302"}}, {}}).ok());
}

TEST(Config, ReadThreadsAreAtLeastOne) {
  auto loaded = load_config({});
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->config.read_threads, 2);
  auto four = load_config({{}, {{"WK_READTHREADS", "4"}}, {}});
  ASSERT_TRUE(four.ok());
  EXPECT_EQ(four->config.read_threads, 4);
  auto none = load_config({{}, {}, {{"readThreads", "0"}}});
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find("readThreads"), std::string::npos) << none.error().message;
}

TEST(Config, AMissingFileIsOneLine) {
  auto loaded = load_config({"/nonexistent/wk.yaml", {}, {}});
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().message.rfind("cannot read config file /nonexistent/wk.yaml: ", 0), 0u);
}

// WuKongIM keeps its data in <rootDir>/data unless dataDir is given, and a relative logger.dir
// under rootDir.
TEST(Config, RootDirAsWukongimReadsIt) {
  auto root_only = load_config({{}, {}, {{"rootDir", "/srv/wk"}, {"logger.dir", "logs"}}});
  ASSERT_TRUE(root_only.ok()) << root_only.error().message;
  EXPECT_EQ(root_only->config.data_dir, "/srv/wk/data");
  EXPECT_EQ(root_only->config.store.path, "/srv/wk/data/store");
  EXPECT_EQ(root_only->config.logger_dir, "/srv/wk/logs");

  auto both = load_config({{}, {{"WK_ROOTDIR", "/srv/wk"}}, {{"dataDir", "/var/lib/x"}}});
  ASSERT_TRUE(both.ok()) << both.error().message;
  EXPECT_EQ(both->config.data_dir, "/var/lib/x");  // an explicit dataDir wins

  auto absolute_log = load_config({{}, {}, {{"rootDir", "r"}, {"logger.dir", "/var/log/j"}}});
  ASSERT_TRUE(absolute_log.ok());
  EXPECT_EQ(absolute_log->config.logger_dir, "/var/log/j");
  EXPECT_EQ(absolute_log->config.data_dir, "r/data");

  EXPECT_FALSE(load_config({{}, {}, {{"rootDir", ""}}}).ok());
  EXPECT_FALSE(load_config({{}, {}, {{"dataDir", ""}}}).ok());
}

TEST(Config, LoggerLevelAlsoAsWukongimNumbers) {
  const std::pair<const char*, const char*> cases[] = {{"0", "info"},  {"1", "debug"},
                                                       {"2", "info"},  {"3", "warn"},
                                                       {"4", "error"}, {"WARN", "warn"}};
  for (const auto& [given, level] : cases) {
    auto loaded = load_config({{}, {}, {{"logger.level", given}}});
    ASSERT_TRUE(loaded.ok()) << given;
    EXPECT_EQ(loaded->config.logger_level, level) << given;
  }
  EXPECT_FALSE(load_config({{}, {}, {{"logger.level", "5"}}}).ok());
  EXPECT_FALSE(load_config({{}, {}, {{"logger.level", "loud"}}}).ok());
}

TEST(Config, StreamIdleTimeoutHasAFloor) {
  auto loaded = load_config({{}, {{"WK_STREAM_IDLETIMEOUT", "1ms"}}, {}});
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->config.stream_idle_timeout, std::chrono::milliseconds(100));
}

// The keys of docs/configuration.md's table: every `key` in the first column.
std::set<std::string> documented_keys() {
  std::ifstream file(std::string(JINDOU_DOCS_DIR) + "/configuration.md");
  std::stringstream text;
  text << file.rdbuf();
  std::set<std::string> keys;
  std::string line;
  bool in_keys = false;
  const std::regex code("`([A-Za-z0-9.]+)`");
  while (std::getline(text, line)) {
    if (line.rfind("## ", 0) == 0) in_keys = line == "## Keys";
    if (!in_keys || line.rfind("| `", 0) != 0) continue;
    const std::string first_cell = line.substr(1, line.find('|', 1) - 1);
    for (std::sregex_iterator it(first_cell.begin(), first_cell.end(), code), end; it != end;
         ++it) {
      keys.insert((*it)[1]);
    }
  }
  return keys;
}

TEST(Config, EveryKeyIsDocumentedAndEveryDocumentedKeyIsRead) {
  config::ConfigSource source = config::ConfigSource::load({});
  read_config(source);
  const auto read = source.keys_read();
  const std::set<std::string> in_code(read.begin(), read.end());
  const std::set<std::string> in_docs = documented_keys();
  ASSERT_FALSE(in_docs.empty()) << "no key table in docs/configuration.md";
  for (const auto& key : in_code) {
    EXPECT_TRUE(in_docs.contains(key)) << key << " is not in docs/configuration.md";
  }
  for (const auto& key : in_docs) {
    EXPECT_TRUE(in_code.contains(key)) << key << " is documented but no layer reads it";
  }
}

}  // namespace
}  // namespace jindou::server
