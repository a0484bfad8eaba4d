#include "cluster/cluster_options.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <tuple>

namespace jindou::cluster {
namespace {

using Env = std::map<std::string, std::string>;

struct Read {
  ClusterOptions options;
  std::optional<std::string> problem;
};

Read read_inputs(const config::ConfigInputs& inputs) {
  config::ConfigSource source = config::ConfigSource::load(inputs);
  Read r{ClusterOptions::from(source, "/var/lib/jd"), std::nullopt};
  r.problem = source.problem();
  return r;
}

Read read_env(Env env) {
  return read_inputs({{}, std::move(env), {}});
}

std::string problem_of(Env env) {
  return read_env(std::move(env)).problem.value_or("(no problem)");
}

TEST(ClusterOptions, WithoutClusterKeysItIsASingleNode) {
  const Read r = read_env({});
  ASSERT_FALSE(r.problem) << *r.problem;
  const ClusterOptions& o = r.options;
  EXPECT_FALSE(o.enabled);
  EXPECT_EQ(o.node_id, 1);
  EXPECT_EQ(o.route_host, "127.0.0.1");
  EXPECT_EQ(o.route_port, 6222);
  EXPECT_EQ(o.nats_host, "127.0.0.1");
  EXPECT_EQ(o.nats_port, 4222);
  EXPECT_TRUE(o.init_nodes.empty());
  EXPECT_TRUE(o.nats_urls.empty());
  EXPECT_EQ(o.slot_count, 1024u);
  EXPECT_EQ(o.log_count, 32u);
  EXPECT_EQ(o.replicas(), 1);
  EXPECT_EQ(o.data_dir, "/var/lib/jd/nats");
  EXPECT_TRUE(o.external_tcp_addr.empty());
  EXPECT_TRUE(o.external_api_url.empty());

  // Node id 0 is fine for a single node (it is the default message-id node bits elsewhere).
  EXPECT_FALSE(read_env({{"WK_CLUSTER_NODEID", "0"}}).problem);
}

// The form scripts/cluster.sh and container setups use: one variable, items separated by spaces.
TEST(ClusterOptions, InitNodesFromOneEnvironmentVariable) {
  const Read r =
      read_env({{"WK_CLUSTER_NODEID", "2"},
                {"WK_CLUSTER_INITNODES", "1@127.0.0.1:6301 2@127.0.0.1:6302 3@127.0.0.1:6303"},
                {"WK_CLUSTER_ADDR", "127.0.0.1:6302"},
                {"WK_CLUSTER_NATSADDR", "127.0.0.1:4302"}});
  ASSERT_FALSE(r.problem) << *r.problem;
  const ClusterOptions& o = r.options;
  EXPECT_TRUE(o.enabled);
  EXPECT_EQ(o.node_id, 2);
  ASSERT_EQ(o.init_nodes.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(o.init_nodes[i].id, i + 1);
    EXPECT_EQ(o.init_nodes[i].host, "127.0.0.1");
    EXPECT_EQ(o.init_nodes[i].port, 6301 + i);
  }
  EXPECT_EQ(o.route_port, 6302);
  EXPECT_EQ(o.nats_port, 4302);
  EXPECT_EQ(o.slot_replica_count, 3);
  EXPECT_EQ(o.channel_replica_count, 3);
  EXPECT_EQ(o.replicas(), 3);

  // Commas work as well, and a scheme on the address is ignored.
  const Read commas =
      read_env({{"WK_CLUSTER_NODEID", "1"},
                {"WK_CLUSTER_INITNODES", "1@tcp://10.0.0.1:11110,2@10.0.0.2:11110"}});
  ASSERT_FALSE(commas.problem) << *commas.problem;
  ASSERT_EQ(commas.options.init_nodes.size(), 2u);
  EXPECT_EQ(commas.options.init_nodes[0].host, "10.0.0.1");
  EXPECT_EQ(commas.options.init_nodes[1].port, 11110);
}

TEST(ClusterOptions, InitNodesAsAYamlList) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("jindou-cluster-" + std::to_string(std::random_device{}()) + ".yaml");
  std::ofstream(path) << R"(
cluster:
  nodeId: 3
  addr: "0.0.0.0:11110"
  initNodes:
    - "1@node1:11110"
    - "2@node2:11110"
    - "3@node3:11110"
  slotCount: 64
  logCount: 8
external:
  tcpAddr: "203.0.113.7:5100"
  wsAddr: "ws://203.0.113.7:5200"
  wssAddr: "wss://im.example.com"
  apiUrl: "https://im.example.com/api"
)";
  const Read r = read_inputs({path.string(), {}, {}});
  std::filesystem::remove(path);
  ASSERT_FALSE(r.problem) << *r.problem;
  const ClusterOptions& o = r.options;
  EXPECT_TRUE(o.enabled);
  EXPECT_EQ(o.node_id, 3);
  EXPECT_EQ(o.route_host, "0.0.0.0");
  ASSERT_EQ(o.init_nodes.size(), 3u);
  EXPECT_EQ(o.init_nodes[2].host, "node3");
  EXPECT_EQ(o.slot_count, 64u);
  EXPECT_EQ(o.log_count, 8u);
  EXPECT_EQ(o.external_tcp_addr, "203.0.113.7:5100");
  EXPECT_EQ(o.external_ws_addr, "ws://203.0.113.7:5200");
  EXPECT_EQ(o.external_wss_addr, "wss://im.example.com");
  EXPECT_EQ(o.external_api_url, "https://im.example.com/api");
}

TEST(ClusterOptions, AMalformedInitNodeNamesTheKeyAndTheItem) {
  EXPECT_EQ(problem_of({{"WK_CLUSTER_INITNODES", "1@127.0.0.1:6301 two@127.0.0.1:6302"}}),
            "invalid configuration WK_CLUSTER_INITNODES: expected id@host:port with id 1..1023 "
            "(e.g. 1@127.0.0.1:6222), got 'two@127.0.0.1:6302'");
  for (const char* item : {"127.0.0.1:6301", "0@127.0.0.1:6301", "1024@h:1", "1@:6301",
                           "1@127.0.0.1", "1@h:0", "1@h:70000", "@h:1"}) {
    const std::string problem = problem_of({{"WK_CLUSTER_INITNODES", item}});
    EXPECT_NE(problem.find("WK_CLUSTER_INITNODES"), std::string::npos) << item << ": " << problem;
    EXPECT_NE(problem.find(std::string("'") + item + "'"), std::string::npos) << problem;
  }
}

TEST(ClusterOptions, ThisNodeMustBeAmongTheInitNodes) {
  EXPECT_EQ(problem_of({{"WK_CLUSTER_NODEID", "4"},
                        {"WK_CLUSTER_INITNODES", "1@h1:6222 2@h2:6222 3@h3:6222"}}),
            "invalid configuration cluster.initNodes: does not name this node (cluster.nodeId 4)");
  // The default node id is 1.
  EXPECT_FALSE(read_env({{"WK_CLUSTER_INITNODES", "1@h1:6222"}}).problem);
  EXPECT_EQ(
      problem_of({{"WK_CLUSTER_NODEID", "1"}, {"WK_CLUSTER_INITNODES", "1@h1:6222 1@h2:6222"}}),
      "invalid configuration cluster.initNodes: node id 1 appears twice");
}

TEST(ClusterOptions, NodeIdIsOneTo1023InClusterMode) {
  EXPECT_EQ(problem_of({{"WK_CLUSTER_NODEID", "0"}, {"WK_CLUSTER_INITNODES", "1@h:6222"}}),
            "invalid configuration cluster.nodeId: must be between 1 and 1023 in cluster mode, "
            "got 0");
  EXPECT_EQ(problem_of({{"WK_CLUSTER_NODEID", "0"}, {"WK_CLUSTER_NATSURLS", "nats://h:4222"}}),
            "invalid configuration cluster.nodeId: must be between 1 and 1023 in cluster mode, "
            "got 0");
  EXPECT_EQ(problem_of({{"WK_CLUSTER_NODEID", "1024"}}),
            "invalid configuration WK_CLUSTER_NODEID: expected an integer between 0 and 1023, "
            "got '1024'");
}

TEST(ClusterOptions, AnExistingNatsClusterTurnsClusterModeOn) {
  const Read r = read_env({{"WK_CLUSTER_NODEID", "5"},
                           {"WK_CLUSTER_NATSURLS", "nats://n1:4222,tls://user:pw@n2:4222 n3:4222"},
                           {"WK_CLUSTER_SLOTREPLICACOUNT", "3"}});
  ASSERT_FALSE(r.problem) << *r.problem;
  EXPECT_TRUE(r.options.enabled);
  EXPECT_TRUE(r.options.init_nodes.empty());
  EXPECT_EQ(r.options.nats_urls,
            (std::vector<std::string>{"nats://n1:4222", "tls://user:pw@n2:4222", "n3:4222"}));
  // Without initial nodes nothing caps the replicas.
  EXPECT_EQ(r.options.replicas(), 3);

  const std::string problem = problem_of({{"WK_CLUSTER_NATSURLS", "http://n1:4222"}});
  EXPECT_EQ(problem,
            "invalid configuration WK_CLUSTER_NATSURLS: expected nats://host:port or "
            "tls://host:port, got 'http://n1:4222'");
  EXPECT_NE(problem_of({{"WK_CLUSTER_NATSURLS", "nats://n1"}}).find("'nats://n1'"),
            std::string::npos);
}

TEST(ClusterOptions, SlotAndLogCounts) {
  const Read r = read_env({{"WK_CLUSTER_SLOTCOUNT", "65536"}, {"WK_CLUSTER_LOGCOUNT", "1024"}});
  ASSERT_FALSE(r.problem) << *r.problem;
  EXPECT_EQ(r.options.slot_count, 65536u);
  EXPECT_EQ(r.options.log_count, 1024u);

  EXPECT_EQ(problem_of({{"WK_CLUSTER_SLOTCOUNT", "0"}}),
            "invalid configuration WK_CLUSTER_SLOTCOUNT: expected an integer between 1 and 65536, "
            "got '0'");
  EXPECT_EQ(problem_of({{"WK_CLUSTER_LOGCOUNT", "1025"}}),
            "invalid configuration WK_CLUSTER_LOGCOUNT: expected an integer between 1 and 1024, "
            "got '1025'");
  EXPECT_EQ(problem_of({{"WK_CLUSTER_SLOTCOUNT", "16"}}),
            "invalid configuration cluster.logCount: must not exceed cluster.slotCount (16), got "
            "32");
  EXPECT_FALSE(read_env({{"WK_CLUSTER_SLOTCOUNT", "16"}, {"WK_CLUSTER_LOGCOUNT", "16"}}).problem);
}

TEST(ClusterOptions, ReplicaCountsFollowTheNumberOfInitNodes) {
  const auto replicas_of = [](Env env) {
    const Read r = read_env(std::move(env));
    EXPECT_FALSE(r.problem) << *r.problem;
    return std::tuple(r.options.slot_replica_count, r.options.channel_replica_count,
                      r.options.replicas());
  };
  EXPECT_EQ(replicas_of({{"WK_CLUSTER_INITNODES", "1@h1:1"}}), std::tuple(1, 1, 1));
  EXPECT_EQ(replicas_of({{"WK_CLUSTER_INITNODES", "1@h1:1 2@h2:1"}}), std::tuple(2, 2, 2));
  EXPECT_EQ(replicas_of({{"WK_CLUSTER_INITNODES", "1@h1:1 2@h2:1 3@h3:1 4@h4:1 5@h5:1"}}),
            std::tuple(3, 3, 3));
  // The larger count wins, capped at the number of nodes.
  EXPECT_EQ(replicas_of({{"WK_CLUSTER_INITNODES", "1@h1:1 2@h2:1 3@h3:1 4@h4:1 5@h5:1"},
                         {"WK_CLUSTER_CHANNELREPLICACOUNT", "5"}}),
            std::tuple(3, 5, 5));
  EXPECT_EQ(replicas_of({{"WK_CLUSTER_INITNODES", "1@h1:1 2@h2:1 3@h3:1"},
                         {"WK_CLUSTER_SLOTREPLICACOUNT", "5"}}),
            std::tuple(5, 3, 3));
  EXPECT_EQ(problem_of({{"WK_CLUSTER_SLOTREPLICACOUNT", "10"}}),
            "invalid configuration WK_CLUSTER_SLOTREPLICACOUNT: expected an integer between 1 and "
            "9, got '10'");
  EXPECT_NE(
      problem_of({{"WK_CLUSTER_CHANNELREPLICACOUNT", "0"}}).find("WK_CLUSTER_CHANNELREPLICACOUNT"),
      std::string::npos);
}

TEST(ClusterOptions, ExternalAddresses) {
  const Read r = read_env({{"WK_EXTERNAL_TCPADDR", "127.0.0.1:5111"},
                           {"WK_EXTERNAL_WSADDR", "ws://127.0.0.1:5211"},
                           {"WK_EXTERNAL_APIURL", "http://127.0.0.1:5011"}});
  ASSERT_FALSE(r.problem) << *r.problem;
  EXPECT_EQ(r.options.external_tcp_addr, "127.0.0.1:5111");
  EXPECT_EQ(r.options.external_ws_addr, "ws://127.0.0.1:5211");
  EXPECT_EQ(r.options.external_api_url, "http://127.0.0.1:5011");

  EXPECT_NE(problem_of({{"WK_EXTERNAL_TCPADDR", "nowhere"}}).find("WK_EXTERNAL_TCPADDR"),
            std::string::npos);
  EXPECT_NE(problem_of({{"WK_EXTERNAL_WSSADDR", "nowhere"}}).find("WK_EXTERNAL_WSSADDR"),
            std::string::npos);
  EXPECT_EQ(problem_of({{"WK_EXTERNAL_APIURL", "127.0.0.1:5001"}}),
            "invalid configuration WK_EXTERNAL_APIURL: expected an http:// or https:// URL, got "
            "'127.0.0.1:5001'");
}

TEST(ClusterOptions, EveryKeyIsRead) {
  config::ConfigSource source = config::ConfigSource::load({});
  (void)ClusterOptions::from(source, ".");
  const auto read = source.keys_read();
  for (const char* key :
       {"cluster.nodeId", "cluster.addr", "cluster.initNodes", "cluster.natsAddr",
        "cluster.natsUrls", "cluster.slotCount", "cluster.logCount", "cluster.slotReplicaCount",
        "cluster.channelReplicaCount", "external.tcpAddr", "external.wsAddr", "external.wssAddr",
        "external.apiUrl"}) {
    EXPECT_NE(std::find(read.begin(), read.end(), key), read.end()) << key;
  }
}

}  // namespace
}  // namespace jindou::cluster
