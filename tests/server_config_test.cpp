// Configuration of the binary: wk.yaml, WK_* environment variables, flags and their precedence;
// unknown keys warn, invalid values refuse to start.
#include <algorithm>
#include <filesystem>
#include <sstream>

#include "blackbox_test.h"

namespace jindou::testing {
namespace {

// The payload size limit the server enforces: the largest size in `sizes` that is accepted.
// Every size must answer 200 or 413.
int AcceptedPayloadLimit(HttpClient& http, std::initializer_list<int> sizes) {
  int largest = -1;
  for (int size : sizes) {
    const HttpResult r =
        http.post("/message/send", SendBody("alice", "limits", kGroup, std::string(size, 'x')));
    if (r.status == 200) {
      largest = std::max(largest, size);
    } else {
      EXPECT_TRUE(IsSendError(r, 413, "payload")) << "payload of " << size << " bytes";
    }
  }
  return largest;
}

std::vector<std::string> NonEmptyLines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.find_first_not_of(" \t\r") != std::string::npos) out.push_back(line);
  }
  return out;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Runs the binary with `options`, expecting it to refuse to start: a non-zero exit and exactly
// one line of explanation that names `key` (any case). Returns that line.
std::string ExpectRefusal(ServerOptions options, const std::string& key) {
  ServerProcess server(std::move(options));
  server.spawn();
  const std::optional<int> status = server.wait_exit(std::chrono::seconds(20));
  const std::string log = server.log();
  EXPECT_TRUE(status.has_value()) << "still running; log:\n" << log;
  if (!status) return {};
  EXPECT_NE(*status, 0) << log;
  const auto lines = NonEmptyLines(log);
  EXPECT_EQ(lines.size(), 1u) << "one clear line; got:\n" << log;
  EXPECT_NE(Lower(log).find(Lower(key)), std::string::npos) << "names " << key << ":\n" << log;
  return lines.empty() ? std::string() : lines[0];
}

TEST(ServerConfigTest, ManagerTokenFromTheEnvironment) {
  ServerOptions options;
  options.env = {{"WK_MANAGERTOKEN", "from-env"}};
  ServerProcess server(options);
  server.start();
  HttpClient http(server.host(), server.http_port());
  const std::string body = json::serialize(SendBody("alice", "g", kGroup));
  EXPECT_TRUE(IsError(http.post("/message/send", body), 401));
  EXPECT_EQ(http.post("/message/send", body, {{"Authorization", "Bearer from-env"}}).status, 200);
}

TEST(ServerConfigTest, FlagsBeatTheEnvironment) {
  ServerOptions options;
  options.env = {{"WK_MANAGERTOKEN", "from-env"}};
  options.args = {"--manager-token", "from-flag"};
  ServerProcess server(options);
  server.start();
  HttpClient http(server.host(), server.http_port());
  const std::string body = json::serialize(SendBody("alice", "g", kGroup));
  EXPECT_TRUE(IsError(http.post("/message/send", body, {{"token", "from-env"}}), 401));
  EXPECT_EQ(http.post("/message/send", body, {{"token", "from-flag"}}).status, 200);
}

TEST(ServerConfigTest, MaxPayloadBytesFromTheConfigFile) {
  ServerOptions options;
  options.config_yaml = "message:\n  maxPayloadBytes: 10\n";
  ServerProcess server(options);
  server.start();
  HttpClient http(server.host(), server.http_port());
  EXPECT_EQ(AcceptedPayloadLimit(http, {1, 10, 11, 100}), 10);
}

TEST(ServerConfigTest, PrecedenceIsFlagsThenEnvironmentThenFile) {
  ServerOptions options;
  options.config_yaml = "message:\n  maxPayloadBytes: 10\n";
  options.env = {{"WK_MESSAGE_MAXPAYLOADBYTES", "20"}};
  {
    ServerProcess server(options);
    server.start();
    HttpClient http(server.host(), server.http_port());
    EXPECT_EQ(AcceptedPayloadLimit(http, {10, 11, 20, 21, 30, 31}), 20) << "env over file";
  }
  options.args = {"-o", "message.maxPayloadBytes=30"};
  ServerProcess server(options);
  server.start();
  HttpClient http(server.host(), server.http_port());
  EXPECT_EQ(AcceptedPayloadLimit(http, {10, 11, 20, 21, 30, 31}), 30) << "flag over env";
}

TEST(ServerConfigTest, ManagerTokenFromTheConfigFile) {
  ServerOptions options;
  options.config_yaml = "managerToken: from-file\n";
  ServerProcess server(options);
  server.start();
  HttpClient http(server.host(), server.http_port());
  const std::string body = json::serialize(SendBody("alice", "g", kGroup));
  EXPECT_TRUE(IsError(http.post("/message/send", body), 401));
  EXPECT_EQ(http.post("/message/send", body, {{"token", "from-file"}}).status, 200);
}

TEST(ServerConfigTest, UnknownKeysOnlyWarn) {
  ServerOptions options;
  options.config_yaml = "fooBarKey: 1\nmessage:\n  noSuchLimit: 2\n";
  options.env = {{"WK_NOSUCHSETTING", "1"}};
  ServerProcess server(options);
  server.start();
  HttpClient http(server.host(), server.http_port());
  EXPECT_EQ(http.get("/health").status, 200);
  EXPECT_EQ(http.post("/message/send", SendBody("alice", "g", kGroup)).status, 200);
  const std::string log = server.log();
  EXPECT_NE(log.find("fooBarKey"), std::string::npos) << log;
  EXPECT_NE(log.find("noSuchLimit"), std::string::npos) << log;
  EXPECT_NE(log.find("WK_NOSUCHSETTING"), std::string::npos) << log;
}

TEST(ServerConfigTest, DefaultDataDirIsWukongimdata) {
  ServerOptions options;
  options.pass_data_dir = false;
  ServerProcess server(options);
  server.start();
  HttpClient http(server.host(), server.http_port());
  ASSERT_EQ(http.post("/message/send", SendBody("alice", "g", kGroup)).status, 200);
  const std::filesystem::path dir = server.root_dir() + "/wukongimdata";
  EXPECT_TRUE(std::filesystem::is_directory(dir)) << dir;
  EXPECT_FALSE(std::filesystem::is_empty(dir)) << dir;
}

TEST(ServerConfigTest, DataDirFromTheConfigFile) {
  ServerOptions options;
  options.pass_data_dir = false;
  options.config_yaml = "dataDir: ./from-yaml\n";
  ServerProcess server(options);
  server.start();
  HttpClient http(server.host(), server.http_port());
  ASSERT_EQ(http.post("/message/send", SendBody("alice", "g", kGroup)).status, 200);
  EXPECT_FALSE(std::filesystem::is_empty(server.root_dir() + "/from-yaml"));
  EXPECT_FALSE(std::filesystem::exists(server.root_dir() + "/wukongimdata"));
}

// A WuKongIM wk.yaml names rootDir, not dataDir: the data goes where WuKongIM keeps it.
TEST(ServerConfigTest, RootDirKeepsDataWhereWukongimDoes) {
  ServerOptions options;
  options.pass_data_dir = false;
  options.config_yaml = "rootDir: ./wkroot\n";
  ServerProcess server(options);
  server.start();
  HttpClient http(server.host(), server.http_port());
  ASSERT_EQ(http.post("/message/send", SendBody("alice", "g", kGroup)).status, 200);
  EXPECT_FALSE(std::filesystem::is_empty(server.root_dir() + "/wkroot/data"));
  EXPECT_FALSE(std::filesystem::exists(server.root_dir() + "/wukongimdata"));
}

TEST(ServerConfigTest, DataDirWinsOverRootDir) {
  ServerOptions options;
  options.pass_data_dir = false;
  options.config_yaml = "rootDir: ./wkroot\n";
  options.env = {{"WK_DATADIR", "./explicit"}};
  ServerProcess server(options);
  server.start();
  HttpClient http(server.host(), server.http_port());
  ASSERT_EQ(http.post("/message/send", SendBody("alice", "g", kGroup)).status, 200);
  EXPECT_FALSE(std::filesystem::is_empty(server.root_dir() + "/explicit"));
  EXPECT_FALSE(std::filesystem::exists(server.root_dir() + "/wkroot/data"));
}

TEST(ServerConfigTest, InvalidEnvironmentValueRefusesToStart) {
  ServerOptions options;
  options.env = {{"WK_CLUSTER_NODEID", "5000"}};
  const std::string line = ExpectRefusal(options, "WK_CLUSTER_NODEID");
  EXPECT_NE(line.find("5000"), std::string::npos) << line;
}

TEST(ServerConfigTest, InvalidFileValueRefusesToStart) {
  ServerOptions options;
  options.config_yaml = "message:\n  maxBatch: lots\n";
  ExpectRefusal(options, "maxBatch");
}

TEST(ServerConfigTest, InvalidFlagValueRefusesToStart) {
  ServerOptions options;
  options.args = {"-o", "message.maxPayloadBytes=0"};
  ExpectRefusal(options, "maxPayloadBytes");
}

TEST(ServerConfigTest, MalformedConfigFileRefusesToStart) {
  ServerOptions options;
  options.config_yaml = "message: [unclosed\n";
  ExpectRefusal(options, "wk.yaml");
}

}  // namespace
}  // namespace jindou::testing
