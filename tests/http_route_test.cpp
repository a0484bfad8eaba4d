// /route, /route/batch and /cluster/nodes on a single node: it hands out its own addresses
// (derived from the listen addresses, or external.*) and describes itself as a one-node cluster.
#include "blackbox_test.h"

namespace jindou::testing {
namespace {

class RouteTest : public BlackBoxTest {
 protected:
  static void SetUpTestSuite() { StartServer(); }

  json::object Addresses() {
    return json::object{{"tcp_addr", "127.0.0.1:" + std::to_string(server().tcp_port())},
                        {"ws_addr", "ws://127.0.0.1:" + std::to_string(server().ws_port())},
                        {"wss_addr", ""}};
  }
};

TEST_F(RouteTest, RouteAnswersThisNodesAddresses) {
  const HttpResult r = http().get("/route?uid=alice");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json(), json::value(Addresses())) << r.body;
  // Every user goes to the one node.
  EXPECT_EQ(http().get("/route?uid=bob").json(), json::value(Addresses()));
}

TEST_F(RouteTest, RouteNeedsAUid) {
  EXPECT_TRUE(IsError(http().get("/route"), 400, "uid"));
  EXPECT_TRUE(IsError(http().get("/route?uid="), 400, "uid"));
  EXPECT_TRUE(IsError(http().post("/route", "{}"), 405));
}

TEST_F(RouteTest, BatchGroupsEveryUidOnThisNode) {
  const HttpResult r = http().post("/route/batch", R"(["alice","bob","carol"])");
  ASSERT_EQ(r.status, 200) << r.body;
  json::object group = Addresses();
  group["uids"] = json::array{"alice", "bob", "carol"};
  EXPECT_EQ(r.json(), json::value(json::array{group})) << r.body;

  const HttpResult empty = http().post("/route/batch", "[]");
  ASSERT_EQ(empty.status, 200) << empty.body;
  EXPECT_EQ(empty.json(), json::value(json::array{}));
}

TEST_F(RouteTest, BatchRefusesAnythingButAnArrayOfUids) {
  for (const char* body : {R"({"uids":["a"]})", R"(["a",1])", R"(["a",""])", "\"a\"", "[null]"}) {
    EXPECT_TRUE(IsError(http().post("/route/batch", body), 400, "array of uids")) << body;
  }
  EXPECT_TRUE(IsError(http().post("/route/batch", "[\"a\""), 400)) << "malformed JSON";
  EXPECT_TRUE(IsError(http().get("/route/batch"), 405));
}

TEST_F(RouteTest, ClusterNodesDescribesThisNodeAlone) {
  const HttpResult r = http().get("/cluster/nodes");
  ASSERT_EQ(r.status, 200) << r.body;
  const json::value v = r.json();
  ASSERT_EQ(v.at("nodes").as_array().size(), 1u) << r.body;
  const json::value& node = v.at("nodes").as_array()[0];
  EXPECT_EQ(Int(node, "id"), 1);
  EXPECT_EQ(node.at("online"), json::value(true));
  EXPECT_EQ(node.at("healthy"), json::value(true));
  EXPECT_EQ(Str(node, "api_url"), "http://127.0.0.1:" + std::to_string(server().http_port()));
  EXPECT_EQ(Str(node, "tcp_addr"), Str(Addresses(), "tcp_addr"));
  EXPECT_EQ(Str(node, "ws_addr"), Str(Addresses(), "ws_addr"));
  EXPECT_EQ(Str(node, "wss_addr"), "");
  EXPECT_EQ(Int(node, "partitions_led"), 0);
  EXPECT_EQ(Int(node, "slots_led"), 1024);  // every slot
  EXPECT_EQ(v.at("partitions"), json::value(json::array{}));
  EXPECT_EQ(Int(v, "slot_count"), 1024);
  EXPECT_EQ(Int(v, "partition_count"), 0);
  EXPECT_EQ(Int(v, "node_id"), 1);
  EXPECT_EQ(Str(v, "mode"), "single");
}

TEST_F(RouteTest, VarzHasNoClusterFiguresOnASingleNode) {
  const HttpResult r = http().get("/varz");
  ASSERT_EQ(r.status, 200);
  EXPECT_FALSE(r.json().as_object().contains("cluster")) << r.body;
}

// external.* replaces what is derived; wssAddr is handed out when configured.
class RouteExternalTest : public BlackBoxTest {
 protected:
  static void SetUpTestSuite() {
    ServerOptions options;
    options.wss = true;
    for (const char* setting :
         {"external.tcpAddr=im.example.com:15100", "external.wsAddr=im.example.com:15200",
          "external.apiUrl=https://api.example.com", "cluster.nodeId=7", "cluster.slotCount=64"}) {
      options.args.push_back("-o");
      options.args.push_back(setting);
    }
    StartServer(std::move(options));
  }
};

TEST_F(RouteExternalTest, ExternalAddressesAreHandedOut) {
  const HttpResult r = http().get("/route?uid=alice");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(
      r.json(),
      json::parse(R"({"tcp_addr":"im.example.com:15100","ws_addr":"ws://im.example.com:15200",)"
                  R"("wss_addr":"wss://127.0.0.1:)" +
                  std::to_string(server().wss_port()) + "\"}"))
      << r.body;

  const HttpResult batch = http().post("/route/batch", R"(["bob"])");
  ASSERT_EQ(batch.status, 200) << batch.body;
  EXPECT_EQ(Str(batch.json().as_array().at(0), "tcp_addr"), "im.example.com:15100");

  const json::value nodes = http().get("/cluster/nodes").json();
  const json::value& node = nodes.at("nodes").as_array().at(0);
  EXPECT_EQ(Int(node, "id"), 7);
  EXPECT_EQ(Str(node, "api_url"), "https://api.example.com");
  EXPECT_EQ(Int(node, "slots_led"), 64);
  EXPECT_EQ(Int(nodes, "slot_count"), 64);
}

}  // namespace
}  // namespace jindou::testing
