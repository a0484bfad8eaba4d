#include "server/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

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
  EXPECT_EQ(c.data_dir, "./wukongimdata");
  EXPECT_EQ(c.http_addr.to_string(), "0.0.0.0:5001");
  EXPECT_EQ(c.tcp_addr.port, 5100);
  EXPECT_EQ(c.ws_addr.port, 5200);
  EXPECT_TRUE(c.sync_writes);
  EXPECT_EQ(c.max_payload_bytes, 1 << 20);
  EXPECT_EQ(c.conn_idle_time, std::chrono::minutes(3));
  EXPECT_TRUE(loaded->warnings.empty());
}

TEST(Config, FileEnvAndFlagsInPrecedence) {
  const auto path = write_yaml(R"(
mode: release
httpAddr: "127.0.0.1:6001"
dataDir: /tmp/from-file
managerToken: file-token
webhook:
  httpAddr: "http://127.0.0.1:8080/webhooks"
  msgNotifyEventPushInterval: 250ms
  focusEvents: ["msg.notify", "msg.offline"]
cluster:
  nodeId: 3
  initNodes: ["a:1", "b:2"]
)");
  ConfigSources s;
  s.file_path = path;
  s.env = {{"WK_DATADIR", "/tmp/from-env"},
           {"WK_MANAGERTOKEN", "env-token"},
           {"WK_CLUSTER_NODEID", "7"}};
  s.flags = {{"managerToken", "flag-token"}};
  auto loaded = load_config(s);
  std::filesystem::remove(path);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  const Config& c = loaded->config;
  EXPECT_EQ(c.mode, "release");
  EXPECT_EQ(c.http_addr.to_string(), "127.0.0.1:6001");
  EXPECT_EQ(c.data_dir, "/tmp/from-env");    // env beats file
  EXPECT_EQ(c.manager_token, "flag-token");  // flag beats env
  EXPECT_EQ(c.cluster.node_id, 7);
  EXPECT_EQ(c.cluster.init_nodes, (std::vector<std::string>{"a:1", "b:2"}));
  EXPECT_EQ(c.webhook.push_interval, std::chrono::milliseconds(250));
  EXPECT_EQ(c.webhook.focus_events, (std::vector<std::string>{"msg.notify", "msg.offline"}));
}

TEST(Config, UnknownKeysWarnInvalidValuesFail) {
  const auto path = write_yaml("httpAddr: 0.0.0.0:5001\nnoSuchKey: 1\nwebhook:\n  nope: x\n");
  ConfigSources s;
  s.file_path = path;
  auto loaded = load_config(s);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->warnings.size(), 2u);
  EXPECT_NE(loaded->warnings[0].find("noSuchKey"), std::string::npos);

  s.env = {{"WK_CLUSTER_NODEID", "5000"}};
  auto bad = load_config(s);
  std::filesystem::remove(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message,
            "invalid configuration WK_CLUSTER_NODEID: expected an integer between 0 and 1023, "
            "got '5000'");
  EXPECT_FALSE(load_config({{}, {{"WK_HTTPADDR", "nonsense"}}, {}}).ok());
  EXPECT_FALSE(load_config({{}, {{"WK_STORAGE_SYNCWRITES", "maybe"}}, {}}).ok());
  EXPECT_FALSE(load_config({{}, {}, {{"connIdleTime", "3 minutes"}}}).ok());
  EXPECT_FALSE(load_config({{}, {}, {{"wssAddr", "0.0.0.0:5210"}}}).ok());  // no certificate
  EXPECT_FALSE(load_config({{}, {}, {{"connection.maxInflightSends", "1"}}}).ok());
}

// WuKongIM keeps its data in <rootDir>/data unless dataDir is given, and a relative logger.dir
// under rootDir.
TEST(Config, RootDirAsWukongimReadsIt) {
  auto root_only = load_config({{}, {}, {{"rootDir", "/srv/wk"}, {"logger.dir", "logs"}}});
  ASSERT_TRUE(root_only.ok()) << root_only.error().message;
  EXPECT_EQ(root_only->config.data_dir, "/srv/wk/data");
  EXPECT_EQ(root_only->config.logger_dir, "/srv/wk/logs");

  auto both = load_config({{}, {{"WK_ROOTDIR", "/srv/wk"}}, {{"dataDir", "/var/lib/x"}}});
  ASSERT_TRUE(both.ok()) << both.error().message;
  EXPECT_EQ(both->config.data_dir, "/var/lib/x");  // an explicit dataDir wins

  auto absolute_log = load_config({{}, {}, {{"rootDir", "r"}, {"logger.dir", "/var/log/j"}}});
  ASSERT_TRUE(absolute_log.ok());
  EXPECT_EQ(absolute_log->config.logger_dir, "/var/log/j");
  EXPECT_EQ(absolute_log->config.data_dir, "r/data");

  EXPECT_FALSE(load_config({{}, {}, {{"rootDir", ""}}}).ok());
}

TEST(Config, LoggerLevelAlsoAsWukongimNumbers) {
  const std::pair<const char*, const char*> cases[] = {
      {"0", "info"}, {"1", "debug"}, {"2", "info"}, {"3", "warn"}, {"4", "error"}, {"WARN", "warn"}};
  for (const auto& [given, level] : cases) {
    auto loaded = load_config({{}, {}, {{"logger.level", given}}});
    ASSERT_TRUE(loaded.ok()) << given;
    EXPECT_EQ(loaded->config.logger_level, level) << given;
  }
  EXPECT_FALSE(load_config({{}, {}, {{"logger.level", "5"}}}).ok());
  EXPECT_FALSE(load_config({{}, {}, {{"logger.level", "loud"}}}).ok());
}

TEST(Config, ConnectionReadAheadLimit) {
  auto defaults = load_config({});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->config.max_inflight_sends, 4096);
  auto set = load_config({{}, {{"WK_CONNECTION_MAXINFLIGHTSENDS", "64"}}, {}});
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_EQ(set->config.max_inflight_sends, 64);
}

TEST(Config, Durations) {
  EXPECT_EQ(parse_duration("500ms"), std::chrono::milliseconds(500));
  EXPECT_EQ(parse_duration("3m"), std::chrono::minutes(3));
  EXPECT_EQ(parse_duration("1h30m"), std::chrono::minutes(90));
  EXPECT_EQ(parse_duration("10"), std::chrono::seconds(10));
  EXPECT_EQ(parse_duration("0"), std::chrono::milliseconds(0));
  EXPECT_FALSE(parse_duration("ten seconds"));
  EXPECT_FALSE(parse_duration("5x"));
  EXPECT_FALSE(parse_duration(""));
}

TEST(Config, Addresses) {
  EXPECT_EQ(parse_address("tcp://0.0.0.0:5100")->port, 5100);
  EXPECT_EQ(parse_address("ws://127.0.0.1:5200")->host, "127.0.0.1");
  EXPECT_EQ(parse_address("[::1]:5001")->host, "::1");
  EXPECT_EQ(parse_address(":5001")->host, "0.0.0.0");
  EXPECT_FALSE(parse_address("localhost"));
  EXPECT_FALSE(parse_address("host:99999"));
}

}  // namespace
}  // namespace jindou::server
