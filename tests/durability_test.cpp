// What survives a crash (kill -9), a graceful shutdown under load, and what expiry removes.
#include <atomic>
#include <csignal>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "blackbox_test.h"

namespace jindou::testing {
namespace {

struct Stored {
  int64_t id = 0;
  int64_t seq = 0;
};

// Every message of group `g` by seq (messagesync pages from seq 1).
std::map<int64_t, json::value> ReadAll(HttpClient& http, const std::string& g) {
  std::map<int64_t, json::value> out;
  int64_t last = 0;
  for (int page = 0; page < 1000; ++page) {
    json::object body{{"login_uid", "reader"},         {"channel_id", g}, {"channel_type", kGroup},
                      {"start_message_seq", last + 1}, {"limit", 1000},   {"pull_mode", 0}};
    const HttpResult r = http.post("/channel/messagesync", body);
    EXPECT_EQ(r.status, 200) << r.body << r.error;
    if (r.status != 200) break;
    const json::value v = r.json();
    for (const auto& m : v.at("messages").as_array()) {
      last = Int(m, "message_seq");
      out.emplace(last, m);
    }
    if (Int(v, "more") == 0) break;
  }
  return out;
}

json::value MustSend(HttpClient& http, const json::object& body) {
  const HttpResult r = http.post("/message/send", body);
  EXPECT_EQ(r.status, 200) << r.body << r.error;
  return r.status == 200 ? r.json() : json::value();
}

TEST(DurabilityTest, KillNineLosesNoAcknowledgedMessage) {
  ServerProcess server;
  server.start();
  const std::string g = "durable";
  std::vector<Stored> sent;
  {
    HttpClient http(server.host(), server.http_port());
    for (int i = 1; i <= 200; ++i) {
      auto body = SendBody("alice", g, kGroup, "m" + std::to_string(i));
      body["client_msg_no"] = "c" + std::to_string(i);
      const json::value r = MustSend(http, body);
      ASSERT_TRUE(r.is_object());
      sent.push_back({Int(r, "message_id"), Int(r, "message_seq")});
    }
  }
  server.kill9();
  server.start();

  HttpClient http(server.host(), server.http_port());
  const auto stored = ReadAll(http, g);
  ASSERT_EQ(stored.size(), 200u);
  for (int i = 1; i <= 200; ++i) {
    const auto it = stored.find(i);
    ASSERT_NE(it, stored.end()) << "seq " << i;
    EXPECT_EQ(Int(it->second, "message_id"), sent[i - 1].id) << "seq " << i;
    EXPECT_EQ(sent[i - 1].seq, i);
    EXPECT_EQ(Text(it->second), "m" + std::to_string(i));
  }
  json::object find{{"login_uid", "reader"},
                    {"channel_id", g},
                    {"channel_type", kGroup},
                    {"message_id", sent[99].id}};
  const HttpResult one = http.post("/message", find);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(Int(one.json(), "message_seq"), 100);

  // The sequence and the id generator continue; idempotency keys survive.
  const json::value next = MustSend(http, SendBody("alice", g, kGroup, "after"));
  ASSERT_TRUE(next.is_object());
  EXPECT_EQ(Int(next, "message_seq"), 201);
  EXPECT_GT(Int(next, "message_id"), sent.back().id);
  auto retry = SendBody("alice", g, kGroup, "m7 again");
  retry["client_msg_no"] = "c7";
  const json::value again = MustSend(http, retry);
  ASSERT_TRUE(again.is_object());
  EXPECT_EQ(Int(again, "message_id"), sent[6].id);
  EXPECT_EQ(Int(again, "message_seq"), 7);
  const HttpResult max = http.get("/channel/max_message_seq?channel_id=" + g + "&channel_type=2");
  EXPECT_EQ(max.json(), json::parse(R"({"message_seq":201})"));
}

TEST(DurabilityTest, KillNineKeepsChannelSettings) {
  ServerProcess server;
  server.start();
  {
    HttpClient http(server.host(), server.http_port());
    ASSERT_TRUE(IsOk(http.post(
        "/channel", json::object{{"channel_id", "closed"}, {"channel_type", kGroup}, {"ban", 1}})));
  }
  server.kill9();
  server.start();
  HttpClient http(server.host(), server.http_port());
  EXPECT_TRUE(
      IsSendError(http.post("/message/send", SendBody("alice", "closed", kGroup)), 403, "", 19));
}

TEST(DurabilityTest, SigtermWhileSendingExitsZeroAndKeepsEveryAcknowledgedSend) {
  ServerProcess server;
  server.start();
  constexpr int kThreads = 6;
  std::mutex mu;
  std::map<int64_t, Stored> acked;  // by message_id
  std::atomic<int> count{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      HttpClient client(server.host(), server.http_port(), std::chrono::seconds(30));
      for (int i = 0; !stop; ++i) {
        auto body = SendBody("u" + std::to_string(t), t % 2 == 0 ? "even" : "odd", kGroup);
        body["client_msg_no"] = std::to_string(t) + "-" + std::to_string(i);
        const HttpResult r = client.post("/message/send", body);
        if (r.status != 200) return;  // the server is going away
        const json::value v = r.json();
        std::lock_guard lock(mu);
        acked[Int(v, "message_id")] = {Int(v, "message_id"), Int(v, "message_seq")};
        ++count;
      }
    });
  }
  // Enough sends in flight that SIGTERM lands among them (how many is not the point).
  EXPECT_TRUE(Eventually([&] { return count >= 100; }, std::chrono::seconds(60)));
  server.signal(SIGTERM);
  const std::optional<int> status = server.wait_exit(std::chrono::seconds(30));
  stop = true;
  for (auto& t : threads) t.join();
  ASSERT_TRUE(status.has_value()) << "no exit within 30 s of SIGTERM\n" << server.log();
  EXPECT_EQ(*status, 0) << server.log();

  server.start();
  HttpClient http(server.host(), server.http_port());
  std::map<int64_t, Stored> stored;
  for (const char* g : {"even", "odd"}) {
    const auto messages = ReadAll(http, g);
    int64_t expected_seq = 1;
    for (const auto& [seq, m] : messages) {
      EXPECT_EQ(seq, expected_seq++) << "stored seqs of " << g << " have no gap";
      stored[Int(m, "message_id")] = {Int(m, "message_id"), seq};
    }
  }
  size_t missing = 0;
  for (const auto& [id, s] : acked) {
    const auto it = stored.find(id);
    if (it == stored.end() || it->second.seq != s.seq) ++missing;
  }
  EXPECT_EQ(missing, 0u) << "of " << acked.size() << " acknowledged sends";
  EXPECT_GE(acked.size(), 100u);
}

TEST(DurabilityTest, SigtermWithIdleKeepAliveConnectionsExitsZero) {
  ServerProcess server;
  server.start();
  std::vector<std::unique_ptr<HttpClient>> idle;
  for (int i = 0; i < 4; ++i) {
    idle.push_back(std::make_unique<HttpClient>(server.host(), server.http_port()));
    ASSERT_EQ(idle.back()->get("/health").status, 200);
  }
  EXPECT_EQ(server.stop(std::chrono::seconds(20)), 0) << server.log();
  for (auto& client : idle) EXPECT_TRUE(client->peer_closed()) << "idle connections are closed";
}

TEST(DurabilityTest, ExpiredMessageDisappearsFromEveryReadPath) {
  ServerProcess server;
  server.start();
  HttpClient http(server.host(), server.http_port());
  const std::string g = "expiring";
  ASSERT_TRUE(IsOk(http.post(
      "/channel",
      json::object{{"channel_id", g}, {"channel_type", kGroup}, {"subscribers", {"member"}}})));
  const auto find = [&](const json::value& id) {
    json::object body{
        {"login_uid", "reader"}, {"channel_id", g}, {"channel_type", kGroup}, {"message_id", id}};
    return http.post("/message", body);
  };
  // expire is in whole seconds from the send's timestamp: 10 s leaves a slow machine at least
  // 9 s to see the message before it goes.
  std::vector<json::value> sent;
  for (int i = 1; i <= 3; ++i) {
    auto body = SendBody("alice", g, kGroup, "m" + std::to_string(i));
    body["client_msg_no"] = "c" + std::to_string(i);
    body["header"] = {{"sync_once", 1}};
    if (i == 2) body["expire"] = 10;
    sent.push_back(MustSend(http, body));
    ASSERT_TRUE(sent.back().is_object());
    if (i == 2) {
      const HttpResult before = find(sent[1].at("message_id"));
      ASSERT_EQ(before.status, 200) << "visible before it expires: " << before.body;
      EXPECT_EQ(Int(before.json(), "expire"), 10);
    }
  }

  ASSERT_TRUE(Eventually([&] { return find(sent[1].at("message_id")).status == 404; },
                         std::chrono::seconds(30)))
      << "the message never expired";

  const auto check_gone = [&] {
    const json::value not_found = json::parse(R"({"status":404,"msg":"message not found"})");
    const HttpResult by_id = find(sent[1].at("message_id"));
    EXPECT_EQ(by_id.status, 404);
    EXPECT_EQ(by_id.json(), not_found);
    json::object by_cmn{{"login_uid", "reader"},
                        {"channel_id", g},
                        {"channel_type", kGroup},
                        {"client_msg_no", "c2"}};
    EXPECT_EQ(http.post("/message", by_cmn).json(), not_found);
    EXPECT_EQ(find(sent[0].at("message_id")).status, 200);
    EXPECT_EQ(find(sent[2].at("message_id")).status, 200);

    json::object query{{"login_uid", "reader"},
                       {"channel_id", g},
                       {"channel_type", kGroup},
                       {"message_seqs", json::array{1, 2, 3}},
                       {"message_ids", json::array{sent[1].at("message_id")}},
                       {"client_msg_nos", json::array{"c2"}}};
    const HttpResult listed = http.post("/messages", query);
    ASSERT_EQ(listed.status, 200);
    EXPECT_EQ(Seqs(listed.json()), (std::vector<int64_t>{3, 1}));

    const auto all = ReadAll(http, g);
    std::vector<int64_t> seqs;
    for (const auto& [seq, m] : all) seqs.push_back(seq);
    EXPECT_EQ(seqs, (std::vector<int64_t>{1, 3}));

    const HttpResult search = http.get("/cluster/messages?channel_id=" + g + "&channel_type=2");
    ASSERT_EQ(search.status, 200);
    EXPECT_EQ(Seqs(search.json().at("data")), (std::vector<int64_t>{3, 1}));
    EXPECT_EQ(Int(search.json(), "total"), 2);
    const HttpResult queued = http.post("/message/sync", json::object{{"uid", "member"}});
    ASSERT_EQ(queued.status, 200);
    EXPECT_EQ(Seqs(queued.json()), (std::vector<int64_t>{1, 3})) << "nor from /message/sync";

    const HttpResult by_message_id =
        http.get("/cluster/messages?message_id=" + Str(sent[1], "message_idstr"));
    ASSERT_EQ(by_message_id.status, 200);
    EXPECT_EQ(by_message_id.json(), json::parse(R"({"data":[],"total":0})"));
  };
  check_gone();
  http.close();
  ASSERT_EQ(server.stop(), 0);
  server.start();
  check_gone();
  EXPECT_EQ(Int(MustSend(http, SendBody("alice", g, kGroup, "m4")), "message_seq"), 4)
      << "an expired message keeps its seq";
}

}  // namespace
}  // namespace jindou::testing
