// The HTTP endpoints that describe connected clients (api.md "Users and connections", "GET /connz",
// "GET /varz"), with real WkClients connected over TCP and WebSocket: /user/onlinestatus,
// /connz (fields, uid filter, paging, total) and /varz (fields, connection figures, counters).
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "model/channel.h"
#include "wkproto_test.h"

namespace jindou::client {
namespace {

namespace json = boost::json;

class PresenceTest : public EncryptedTest {
 protected:
  // GET `target`, expecting 200 and a JSON object (an empty object after a reported failure).
  json::object GetObject(const std::string& target) {
    const auto r = http().get(target);
    if (r.status != 200 || !r.json().is_object()) {
      ADD_FAILURE() << "GET " << target << " -> HTTP " << r.status << " " << r.body << r.error;
      return {};
    }
    return r.json().as_object();
  }

  // /user/onlinestatus for `uids`: the set of (uid, device_flag) it lists, each checked to say
  // online 1.
  std::set<std::pair<std::string, int64_t>> Online(const std::vector<std::string>& uids) {
    json::array body;
    for (const auto& u : uids) body.emplace_back(u);
    const json::value v = PostOk("/user/onlinestatus", body);
    std::set<std::pair<std::string, int64_t>> out;
    if (!v.is_array()) {
      ADD_FAILURE() << "/user/onlinestatus must answer an array: " << json::serialize(v);
      return out;
    }
    for (const auto& e : v.as_array()) {
      EXPECT_EQ(Int(e, "online"), 1) << json::serialize(e);
      const bool fresh = out.emplace(Str(e, "uid"), Int(e, "device_flag")).second;
      EXPECT_TRUE(fresh) << "one entry per device type: " << json::serialize(v);
    }
    return out;
  }

  json::object Varz() { return GetObject("/varz"); }
  uint64_t Figure(const json::object& varz, std::string_view key) {
    return varz.contains(key) ? varz.at(key).to_number<uint64_t>() : 0;
  }

  ClientOptions Device(const std::string& uid, uint8_t flag, Transport transport,
                       uint8_t version = 5) {
    ClientOptions o = Options(uid, transport, version);
    o.device_flag = flag;
    return o;
  }
};

using Entries = std::set<std::pair<std::string, int64_t>>;

// Every figure api.md lists for GET /varz.
constexpr const char* kVarzFields[] = {"server_id",
                                       "version",
                                       "uptime_seconds",
                                       "connections",
                                       "users_online",
                                       "connections_accepted",
                                       "in_packets",
                                       "out_packets",
                                       "in_bytes",
                                       "out_bytes",
                                       "client_sends",
                                       "recvs_sent",
                                       "recv_retries",
                                       "slow_consumers",
                                       "protocol_errors",
                                       "deliveries",
                                       "messages_stored",
                                       "group_commits",
                                       "largest_group_commit",
                                       "storage_healthy",
                                       "memory_resident_bytes"};

TEST_F(PresenceTest, OnlineStatusHasOneEntryPerConnectedDeviceType) {
  const std::string a = Id("a");
  const std::string b = Id("b");
  const std::string offline = Id("offline");
  WkClient a_app1 = Connected(Device(a, 0, Transport::kTcp));
  WkClient a_app2 = Connected(Device(a, 0, Transport::kTcp));  // another device_id, same type
  WkClient a_web = Connected(Device(a, 1, Transport::kWebSocket));
  WkClient b_pc = Connected(Device(b, 2, Transport::kWebSocket));
  EXPECT_EQ(Online({a, b, offline}), (Entries{{a, 0}, {a, 1}, {b, 2}}));
  EXPECT_EQ(Online({offline}), Entries{});

  a_web.disconnect();
  EXPECT_TRUE(Eventually([&] {
    return Online({a, b}) == Entries{{a, 0}, {b, 2}};
  })) << "the web device went offline";
  a_app1.disconnect();
  EXPECT_EQ(Online({a}), (Entries{{a, 0}})) << "a second APP connection is still there";
  a_app2.disconnect();
  EXPECT_TRUE(Eventually([&] {
    return Online({a, b}) == Entries{{b, 2}};
  })) << "after the last disconnect the user is absent";
}

TEST_F(PresenceTest, OnlineStatusRefusesABodyThatIsNotAnArrayOfUids) {
  EXPECT_TRUE(IsError(http().post("/user/onlinestatus", R"({"uids":["a"]})"), 400));
  EXPECT_TRUE(IsError(http().post("/user/onlinestatus", "[1,2]"), 400));
}

TEST_F(PresenceTest, ConnzDescribesEachConnection) {
  const std::string uid = Id("u");
  ClientOptions app = Device(uid, 0, Transport::kTcp, 4);
  app.device_id = Id("app-device");
  ClientOptions web = Device(uid, 1, Transport::kWebSocket, 2);
  web.device_id = Id("web-device");
  WkClient over_tcp = Connected(app);
  WkClient over_ws = Connected(web);
  WkClient someone_else = Connected(Options(Id("other")));

  const json::object page = GetObject("/connz?uid=" + uid);
  ASSERT_TRUE(page.contains("connections")) << json::serialize(page);
  const int64_t now = Int(page, "now");
  EXPECT_GT(now, 1'600'000'000);
  EXPECT_GE(Int(page, "total"), 3);
  EXPECT_EQ(Int(page, "offset"), 0);
  EXPECT_EQ(Int(page, "limit"), 100);
  const auto& conns = page.at("connections").as_array();
  ASSERT_EQ(conns.size(), 2u) << "the uid filter lists only this user's connections: "
                              << json::serialize(page);
  std::set<int64_t> ids;
  for (const auto& c : conns) {
    SCOPED_TRACE(json::serialize(c));
    const bool is_app = Int(c, "device_flag") == 0;
    const ClientOptions& o = is_app ? app : web;
    ids.insert(Int(c, "id"));
    EXPECT_GT(Int(c, "id"), 0);
    EXPECT_EQ(Str(c, "uid"), uid);
    EXPECT_EQ(Int(c, "device_flag"), o.device_flag);
    EXPECT_EQ(Int(c, "device_level"), 0);
    EXPECT_EQ(Str(c, "device_id"), o.device_id);
    EXPECT_EQ(Int(c, "version"), o.version);
    EXPECT_EQ(Str(c, "transport"), is_app ? "tcp" : "ws");
    EXPECT_EQ(Str(c, "remote").rfind("127.0.0.1:", 0), 0u);
    EXPECT_GT(Int(c, "connected_at"), 0);
    EXPECT_LE(Int(c, "connected_at"), now);
    EXPECT_GE(Int(c, "uptime_seconds"), 0);
  }
  EXPECT_EQ(ids.size(), 2u) << "connection ids are distinct";

  over_tcp.disconnect();
  EXPECT_TRUE(Eventually([&] {
    const json::object p = GetObject("/connz?uid=" + uid);
    const auto& c = p.at("connections").as_array();
    return c.size() == 1 && Str(c[0], "transport") == "ws";
  })) << "a closed connection leaves the list";
}

TEST_F(PresenceTest, ConnzPagesThroughAllConnectionsById) {
  std::vector<WkClient> clients;
  std::set<std::string> uids;
  for (int i = 0; i < 5; ++i) {
    const std::string uid = Id("p");
    uids.insert(uid);
    clients.push_back(
        Connected(Options(uid, i % 2 == 0 ? Transport::kTcp : Transport::kWebSocket)));
  }
  // Connections of earlier tests are gone once the total is exactly these five.
  ASSERT_TRUE(Eventually([&] { return Int(GetObject("/connz"), "total") == 5; }))
      << json::serialize(GetObject("/connz"));

  std::vector<int64_t> ids;
  std::set<std::string> seen;
  int64_t offset = 0;
  for (int pages = 0; pages < 10; ++pages) {
    const json::object page = GetObject("/connz?limit=2&offset=" + std::to_string(offset));
    SCOPED_TRACE(json::serialize(page));
    EXPECT_EQ(Int(page, "total"), 5);
    EXPECT_EQ(Int(page, "limit"), 2);
    EXPECT_EQ(Int(page, "offset"), offset);
    const auto& conns = page.at("connections").as_array();
    ASSERT_LE(conns.size(), 2u);
    for (const auto& c : conns) {
      EXPECT_GT(Int(c, "id"), offset) << "a page lists ids above its offset";
      EXPECT_TRUE(ids.empty() || Int(c, "id") > ids.back()) << "ids ascend";
      ids.push_back(Int(c, "id"));
      seen.insert(Str(c, "uid"));
    }
    if (conns.size() < 2) break;
    offset = ids.back();
  }
  EXPECT_EQ(ids.size(), 5u);
  EXPECT_EQ(seen, uids);

  // The uid filter pages the same way.
  const std::string uid = *uids.begin();
  const json::object filtered = GetObject("/connz?uid=" + uid);
  const auto& mine = filtered.at("connections").as_array();
  ASSERT_EQ(mine.size(), 1u);
  const int64_t id = Int(mine[0], "id");
  EXPECT_TRUE(GetObject("/connz?uid=" + uid + "&offset=" + std::to_string(id))
                  .at("connections")
                  .as_array()
                  .empty());
  EXPECT_TRUE(GetObject("/connz?uid=" + Id("nobody")).at("connections").as_array().empty());
  EXPECT_TRUE(IsError(http().get("/connz?offset=abc"), 400, "offset"));
  EXPECT_TRUE(IsError(http().get("/connz?limit=-1"), 400, "limit"));
}

TEST_F(PresenceTest, VarzReportsConnectionsAndCountsTraffic) {
  const std::string a = Id("a");
  const std::string b = Id("b");
  WkClient sender = Connected(Options(a));
  WkClient receiver = Connected(Options(b, Transport::kWebSocket));
  WkClient receiver_web = Connected(Device(b, 1, Transport::kWebSocket));
  ASSERT_TRUE(Eventually([&] {
    const json::object v = Varz();
    return Figure(v, "connections") == 3 && Figure(v, "users_online") == 2;
  })) << json::serialize(Varz());

  const json::object before = Varz();
  for (const char* key : kVarzFields) {
    EXPECT_TRUE(before.contains(key)) << "/varz lacks " << key << ": " << json::serialize(before);
  }
  EXPECT_EQ(Int(before, "server_id"), 1) << "cluster.nodeId defaults to 1";
  EXPECT_TRUE(before.at("version").is_string());
  EXPECT_GE(Int(before, "uptime_seconds"), 0);
  EXPECT_EQ(before.at("storage_healthy"), json::value(true));
  EXPECT_GT(Figure(before, "memory_resident_bytes"), 0u);
  EXPECT_GE(Figure(before, "connections_accepted"), 3u);

  const uint32_t seq = sender.send(b, kChannelPerson, kText);
  const auto ack = sender.wait_sendack(seq, kWait);
  ASSERT_TRUE(ack);
  ASSERT_EQ(ack->reason_code, ReasonCode::kSuccess);
  ASSERT_TRUE(receiver.wait_recv(kWait));
  ASSERT_TRUE(receiver_web.wait_recv(kWait));
  WkClient late = Connected(Options(Id("late")));

  json::object after;
  const auto grew = [&](std::string_view key, uint64_t by) {
    return Figure(after, key) >= Figure(before, key) + by;
  };
  EXPECT_TRUE(Eventually([&] {
    after = Varz();
    return grew("client_sends", 1) && grew("messages_stored", 1) && grew("group_commits", 1) &&
           grew("recvs_sent", 2) && grew("deliveries", 1) && grew("in_packets", 3) &&
           grew("out_packets", 3) && grew("in_bytes", kText.size()) &&
           grew("out_bytes", 2 * kText.size()) && grew("connections_accepted", 1) &&
           Figure(after, "connections") == 4 && Figure(after, "users_online") == 3;
  })) << "before "
      << json::serialize(before) << "\nafter " << json::serialize(after);
  EXPECT_GE(Figure(after, "largest_group_commit"), 1u);
  EXPECT_GE(Figure(after, "uptime_seconds"), Figure(before, "uptime_seconds"));
}

}  // namespace
}  // namespace jindou::client
