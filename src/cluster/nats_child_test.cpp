// NatsChild against the real nats-server (Debian's package, or JINDOU_NATS_SERVER): the file it
// writes, starting, restarting after a crash, stopping, and dying with its parent.
#include "cluster/nats_child.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "support/http_client.h"
#include "support/server_process.h"

namespace jindou::cluster {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Alive and not yet a zombie (a killed grandchild may wait a moment for its new parent to reap
// it).
bool process_alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(stat, text)) return false;
  const auto paren = text.rfind(')');
  return paren != std::string::npos && paren + 2 < text.size() && text[paren + 2] != 'Z' &&
         text[paren + 2] != 'X';
}

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

bool port_free(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

// A client port whose monitoring port (+4000) is free as well.
uint16_t free_nats_port() {
  for (;;) {
    const uint16_t port = testing::free_port();
    const uint16_t monitor = NatsChild::monitor_port(port);
    if (monitor != 0 && port_free(monitor)) return port;
  }
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "jindou-nats-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Options of node `id` among `nodes` initial nodes, everything on loopback.
ClusterOptions node_options(uint16_t id, const std::vector<uint16_t>& route_ports,
                            uint16_t nats_port, const std::string& dir) {
  ClusterOptions o;
  o.enabled = true;
  o.node_id = id;
  o.route_port = route_ports[id - 1];
  for (size_t i = 0; i < route_ports.size(); ++i) {
    o.init_nodes.push_back({static_cast<uint16_t>(i + 1), "127.0.0.1", route_ports[i]});
  }
  o.nats_port = nats_port;
  o.data_dir = dir + "/nats";
  return o;
}

class NatsChildTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (NatsChild::find_binary().empty()) GTEST_SKIP() << "nats-server is not installed";
  }
};

TEST(NatsChildConfig, ThreeNodesRouteToTheOtherTwo) {
  ClusterOptions o = node_options(2, {6301, 6302, 6303}, 4302, "/srv/jd/node2");
  o.nats_host = "127.0.0.1";
  EXPECT_EQ(NatsChild::config_text(o),
            "# Written by jindou at each start from its cluster.* settings; edits are "
            "overwritten.\n"
            "server_name: \"jd-2\"\n"
            "listen: \"127.0.0.1:4302\"\n"
            "http: \"127.0.0.1:8302\"\n"
            "jetstream {\n"
            "  store_dir: \"/srv/jd/node2/nats/store\"\n"
            "}\n"
            "cluster {\n"
            "  name: \"jindou-8e639e79\"\n"
            "  listen: \"127.0.0.1:6302\"\n"
            "  routes: [\n"
            "    \"nats-route://127.0.0.1:6301\"\n"
            "    \"nats-route://127.0.0.1:6303\"\n"
            "  ]\n"
            "}\n");
}

TEST(NatsChildConfig, OneNodeHasNoClusterBlock) {
  const ClusterOptions o = node_options(1, {6301}, 64000, "/d");
  const std::string text = NatsChild::config_text(o);
  EXPECT_EQ(text.find("cluster {"), std::string::npos) << text;
  // Its monitoring port would pass 65535: off.
  EXPECT_EQ(text.find("http:"), std::string::npos) << text;
  EXPECT_EQ(NatsChild::monitor_port(4222), 8222);
  EXPECT_EQ(NatsChild::monitor_port(61535), 65535);
  EXPECT_EQ(NatsChild::monitor_port(61536), 0);
}

TEST_F(NatsChildTest, StartsRestartsAfterACrashAndStops) {
  TempDir dir;
  const ClusterOptions o = node_options(1, {testing::free_port()}, free_nats_port(), dir.path());
  const uint16_t port = o.nats_port;
  NatsChild child(o);
  ASSERT_EQ(child.pid(), 0);
  const Status started = child.start();
  ASSERT_TRUE(started.ok()) << started.error().message;
  EXPECT_EQ(child.config_path(), dir.path() + "/nats/nats.conf");
  EXPECT_EQ(child.log_path(), dir.path() + "/nats/nats-server.log");
  std::ifstream conf(child.config_path());
  const std::string text((std::istreambuf_iterator<char>(conf)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, NatsChild::config_text(o));

  const pid_t first = child.pid();
  ASSERT_GT(first, 0);
  EXPECT_TRUE(process_alive(first));
  const auto info = read_nats_info("127.0.0.1", port, 2s);
  ASSERT_TRUE(info);
  EXPECT_NE(info->find("\"server_name\":\"jd-1\""), std::string::npos) << *info;
  EXPECT_NE(info->find("\"jetstream\":true"), std::string::npos) << *info;
  EXPECT_EQ(child.restarts(), 0u);

  // A crash: the supervisor starts it again (after 0.5 s) on the same port.
  ASSERT_EQ(::kill(first, SIGKILL), 0);
  ASSERT_TRUE(eventually([&] { return child.restarts() == 1 && child.pid() > 0; }, 10s));
  const pid_t second = child.pid();
  EXPECT_NE(second, first);
  EXPECT_TRUE(
      eventually([&] { return read_nats_info("127.0.0.1", port, 500ms).has_value(); }, 10s));

  child.stop();
  EXPECT_EQ(child.pid(), 0);
  EXPECT_FALSE(process_alive(second));
  EXPECT_FALSE(read_nats_info("127.0.0.1", port, 200ms));
  EXPECT_EQ(child.restarts(), 1u);
  child.stop();  // again: nothing to do
}

// Another program holds the client port: the child exits, and what it said is in the error.
TEST_F(NatsChildTest, AFailedStartNamesTheLog) {
  TempDir dir;
  const ClusterOptions o = node_options(1, {testing::free_port()}, free_nats_port(), dir.path());
  const int squatter = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(o.nats_port);
  ASSERT_EQ(::bind(squatter, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(squatter, 16), 0);

  NatsChild child(o);
  const Status started = child.start(10s);
  ::close(squatter);
  ASSERT_FALSE(started.ok());
  const std::string& message = started.error().message;
  EXPECT_NE(message.find("nats-server exited with status 1 before accepting connections on "
                         "127.0.0.1:" +
                         std::to_string(o.nats_port)),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("; see " + child.log_path()), std::string::npos) << message;
  EXPECT_EQ(child.pid(), 0);
  child.stop();
}

// Points JINDOU_NATS_SERVER at `path` for one test.
class NatsServerOverride {
 public:
  explicit NatsServerOverride(const std::string& path) {
    ::setenv("JINDOU_NATS_SERVER", path.c_str(), 1);
  }
  ~NatsServerOverride() { ::unsetenv("JINDOU_NATS_SERVER"); }
};

TEST(NatsChildBinary, AMissingBinaryIsReported) {
  TempDir dir;
  NatsServerOverride missing(dir.path() + "/no-such-nats-server");
  EXPECT_EQ(NatsChild::find_binary(), "");
  NatsChild child(node_options(1, {6222}, 4222, dir.path()));
  const Status started = child.start();
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().message,
            "nats-server not found: install it (Debian: apt install nats-server), put it on PATH "
            "or set JINDOU_NATS_SERVER to its path");
}

// A child that never answers and ignores SIGTERM: start() gives up, and stop() kills it after
// its 5 s of grace.
TEST(NatsChildBinary, AChildThatNeverAnswersIsKilled) {
  TempDir dir;
  const std::string fake = dir.path() + "/fake-nats-server";
  std::ofstream(fake) << "#!/bin/sh\ntrap '' TERM\nwhile true; do sleep 1; done\n";
  std::filesystem::permissions(fake, std::filesystem::perms::owner_all);
  NatsServerOverride override_binary(fake);
  const ClusterOptions o = node_options(1, {testing::free_port()}, free_nats_port(), dir.path());
  NatsChild child(o);
  const auto before = Clock::now();
  const Status started = child.start(1s);
  const auto took = Clock::now() - before;
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().message,
            "nats-server did not accept connections on 127.0.0.1:" + std::to_string(o.nats_port) +
                " within 1000 ms; see " + child.log_path());
  EXPECT_GE(took, 6s);
  EXPECT_LT(took, 15s);
  EXPECT_EQ(child.pid(), 0);
}

// jindou killed with SIGKILL takes its nats-server along (PR_SET_PDEATHSIG).
TEST_F(NatsChildTest, TheChildDiesWithItsParent) {
  TempDir dir;
  const ClusterOptions o = node_options(1, {testing::free_port()}, free_nats_port(), dir.path());
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t parent = ::fork();
  ASSERT_GE(parent, 0);
  if (parent == 0) {
    ::close(fds[0]);
    NatsChild child(o);
    pid_t pid = child.start().ok() ? child.pid() : 0;
    if (::write(fds[1], &pid, sizeof(pid)) != sizeof(pid)) ::_exit(1);
    for (;;) ::pause();
  }
  ::close(fds[1]);
  pid_t nats = 0;
  const ssize_t n = ::read(fds[0], &nats, sizeof(nats));
  ::close(fds[0]);
  ASSERT_EQ(n, static_cast<ssize_t>(sizeof(nats)));
  ASSERT_GT(nats, 0) << "the parent could not start nats-server; see " << o.data_dir;
  EXPECT_TRUE(process_alive(nats));

  ASSERT_EQ(::kill(parent, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(parent, &status, 0), parent);
  EXPECT_TRUE(eventually([&] { return !process_alive(nats); }, 5s))
      << "nats-server " << nats << " outlived its parent";
  if (process_alive(nats)) ::kill(nats, SIGKILL);
}

// The generated files form one JetStream cluster of three.
TEST_F(NatsChildTest, ThreeChildrenFormOneCluster) {
  TempDir dir;
  const std::vector<uint16_t> routes{testing::free_port(), testing::free_port(),
                                     testing::free_port()};
  std::vector<std::unique_ptr<NatsChild>> children;
  std::vector<uint16_t> monitors;
  for (uint16_t id = 1; id <= 3; ++id) {
    const uint16_t port = free_nats_port();
    monitors.push_back(NatsChild::monitor_port(port));
    children.push_back(std::make_unique<NatsChild>(
        node_options(id, routes, port, dir.path() + "/node" + std::to_string(id))));
  }
  for (auto& child : children) {
    const Status started = child->start();
    ASSERT_TRUE(started.ok()) << started.error().message;
  }
  for (const uint16_t monitor : monitors) {
    testing::HttpClient http("127.0.0.1", monitor, 2s);
    std::string last;
    EXPECT_TRUE(eventually(
        [&] {
          last = http.get("/jsz").body;
          return last.find("\"cluster_size\": 3") != std::string::npos &&
                 last.find("\"leader\": \"jd-") != std::string::npos;
        },
        30s))
        << last;
  }
  for (auto& child : children) child->stop();
}

}  // namespace
}  // namespace jindou::cluster
