#include "config/config_source.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

namespace jindou::config {
namespace {

using std::chrono::milliseconds;

// A wk.yaml in the temporary directory, removed with the object.
class YamlFile {
 public:
  explicit YamlFile(const std::string& text)
      : path_(std::filesystem::temp_directory_path() /
              ("jindou-config-" + std::to_string(std::random_device{}()) + ".yaml")) {
    std::ofstream(path_) << text;
  }
  ~YamlFile() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

TEST(ConfigSource, AbsentKeysReadAsTheDefaults) {
  ConfigSource s = ConfigSource::load({});
  EXPECT_EQ(s.string("managerToken", "x"), "x");
  EXPECT_EQ(s.integer("message.maxBatch", 1000, 1, 100000), 1000);
  EXPECT_EQ(s.duration("connIdleTime", std::chrono::minutes(3)), std::chrono::minutes(3));
  EXPECT_EQ(s.address("httpAddr", {"0.0.0.0", 5001}).to_string(), "0.0.0.0:5001");
  EXPECT_FALSE(s.problem());
  EXPECT_TRUE(s.warnings().empty());
}

TEST(ConfigSource, OverridesBeatEnvironmentBeatFile) {
  YamlFile file(
      "dataDir: /from-file\nmanagerToken: file\ncluster:\n  nodeId: 3\n"
      "  initNodes: [\"a:1\", \"b:2\"]\n");
  ConfigSource s =
      ConfigSource::load({file.path(),
                          {{"WK_DATADIR", "/from-env"}, {"WK_MANAGERTOKEN", "env"}, {"HOME", "/h"}},
                          {{"managerToken", "flag"}}});
  EXPECT_EQ(s.string("dataDir", ""), "/from-env");
  EXPECT_EQ(s.string("managerToken", ""), "flag");
  EXPECT_EQ(s.integer("cluster.nodeId", 1, 0, 1023), 3);
  EXPECT_EQ(s.list("cluster.initNodes", {}), (std::vector<std::string>{"a:1", "b:2"}));
  EXPECT_FALSE(s.problem());
  EXPECT_TRUE(s.warnings().empty());  // HOME is not ours
}

TEST(ConfigSource, KeysIgnoreCase) {
  ConfigSource s = ConfigSource::load({{},
                                       {{"WK_WEBHOOK_FOCUSEVENTS", "msg.notify,msg.offline"}},
                                       {{"STORAGE.syncwrites", "false"}}});
  EXPECT_EQ(s.list("webhook.focusEvents", {}),
            (std::vector<std::string>{"msg.notify", "msg.offline"}));
  EXPECT_FALSE(s.boolean("storage.syncWrites", true));
  EXPECT_TRUE(s.has("Storage.SyncWrites"));
  EXPECT_FALSE(s.has("storage.retention"));
}

TEST(ConfigSource, KeysNobodyReadAreWarnedAboutInKeyOrder) {
  YamlFile file("httpAddr: 0.0.0.0:5001\nnoSuchKey: 1\nwebhook:\n  nope: x\n");
  ConfigSource s = ConfigSource::load({file.path(), {{"WK_ALSO_UNKNOWN", "1"}}, {}});
  s.address("httpAddr", {});
  EXPECT_EQ(s.warnings(),
            (std::vector<std::string>{"unknown configuration key 'WK_ALSO_UNKNOWN' is ignored",
                                      "unknown configuration key 'noSuchKey' is ignored",
                                      "unknown configuration key 'webhook.nope' is ignored"}));
  EXPECT_FALSE(s.problem());
}

TEST(ConfigSource, AnInvalidValueNamesTheKeyAsWrittenAndTheValue) {
  ConfigSource env = ConfigSource::load({{}, {{"WK_CLUSTER_NODEID", "5000"}}, {}});
  EXPECT_EQ(env.integer("cluster.nodeId", 1, 0, 1023), 1);  // the default meanwhile
  EXPECT_EQ(env.problem(),
            "invalid configuration WK_CLUSTER_NODEID: expected an integer between 0 and 1023, "
            "got '5000'");

  ConfigSource flag = ConfigSource::load({{}, {}, {{"connIdleTime", "3 minutes"}}});
  flag.duration("connIdleTime", std::chrono::minutes(3));
  EXPECT_EQ(flag.problem(),
            "invalid configuration --connIdleTime: expected a duration such as 500ms, 10s, 3m or "
            "1h, got '3 minutes'");

  ConfigSource bools = ConfigSource::load({{}, {{"WK_STORAGE_SYNCWRITES", "maybe"}}, {}});
  EXPECT_TRUE(bools.boolean("storage.syncWrites", true));
  EXPECT_EQ(bools.problem(),
            "invalid configuration WK_STORAGE_SYNCWRITES: expected true or false, got 'maybe'");

  ConfigSource address = ConfigSource::load({{}, {{"WK_HTTPADDR", "nonsense"}}, {}});
  address.address("httpAddr", {});
  EXPECT_EQ(address.problem(),
            "invalid configuration WK_HTTPADDR: expected host:port (e.g. 0.0.0.0:5001), got "
            "'nonsense'");
}

TEST(ConfigSource, ListsWhereOneValueBelongsAndCheckedItems) {
  YamlFile file("mode: [a, b]\nwebhook:\n  focusEvents: [msg.notify, nope]\n");
  ConfigSource s = ConfigSource::load({file.path(), {}, {}});
  EXPECT_EQ(s.string("mode", "debug"), "debug");
  const auto events = s.list("webhook.focusEvents", {}, [](const std::string& e) {
    return e == "msg.notify" ? std::nullopt : std::optional<std::string>("unexpected '" + e + "'");
  });
  EXPECT_TRUE(events.empty());
  EXPECT_EQ(s.problem(), "invalid configuration mode: expected a single value, got a list");
}

TEST(ConfigSource, TheFirstProblemIsByKeyThenBrokenRules) {
  ConfigSource s = ConfigSource::load(
      {{}, {{"WK_MESSAGE_MAXBATCH", "0"}}, {{"connIdleTime", "x"}, {"zzz", "1"}}});
  s.reject("wssAddr", "wssConfig.certFile and wssConfig.keyFile are required");
  s.integer("message.maxBatch", 1000, 1, 100000);
  s.duration("connIdleTime", {});
  // connidletime sorts before message.maxbatch, whichever was read first.
  EXPECT_EQ(s.problem(),
            "invalid configuration --connIdleTime: expected a duration such as 500ms, 10s, 3m or "
            "1h, got 'x'");

  ConfigSource rules = ConfigSource::load({});
  rules.reject("wssAddr", "needs a certificate");
  rules.reject("wssConfig.keyFile", "cannot read k");
  EXPECT_EQ(rules.problem(), "invalid configuration wssAddr: needs a certificate");
}

TEST(ConfigSource, AnUnreadableFileIsTheProblem) {
  YamlFile file("a: [unclosed\n");
  ConfigSource s = ConfigSource::load({file.path(), {}, {}});
  ASSERT_TRUE(s.problem());
  EXPECT_EQ(s.problem()->rfind("cannot read config file " + file.path() + ": ", 0), 0u);
}

TEST(ConfigSource, SizesAndKeysRead) {
  ConfigSource s = ConfigSource::load({{}, {}, {{"http.maxPendingBodyBytes", "1048576"}}});
  EXPECT_EQ(s.size("http.maxPendingBodyBytes", 256u << 20, 1u << 20, size_t{1} << 40), 1u << 20);
  EXPECT_EQ(s.size("webhook.maxBacklog", 7, 1000, SIZE_MAX), 7u);
  EXPECT_EQ(s.keys_read(),
            (std::vector<std::string>{"http.maxPendingBodyBytes", "webhook.maxBacklog"}));
}

}  // namespace
}  // namespace jindou::config
