// Webhooks against real receivers: an HTTP server and a gRPC server in this process, the jindou
// binary calling them. Every msg.notify arrives in order per channel, through receiver outages,
// kill -9 and dead letters; msg.offline names exactly the offline recipients; user.onlinestatus
// follows real client connections, also across a crash; signatures verify; focusEvents filters.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <map>
#include <set>

#include "support/grpc_webhook_receiver.h"
#include "support/webhook_receiver.h"
#include "wkproto_test.h"

namespace jindou::testing {
namespace {

using client::ClientOptions;
using client::NowMs;
using client::WkClient;

// The messages of every accepted msg.notify call, in arrival order.
std::vector<json::value> NotifiedMessages(const WebhookLog& log) {
  std::vector<json::value> out;
  for (const auto& call : log.accepted("msg.notify")) {
    const json::value body = json::parse(call.body);
    for (const auto& m : body.as_array()) out.push_back(m);
  }
  return out;
}

// Distinct message ids among `messages`.
std::set<int64_t> Ids(const std::vector<json::value>& messages) {
  std::set<int64_t> out;
  for (const auto& m : messages) out.insert(Int(m, "message_id"));
  return out;
}

// A reference HMAC-SHA256 of `timestamp.body`, hex, as a receiver would compute it.
std::string ReferenceSignature(const std::string& secret, const std::string& timestamp,
                               const std::string& body) {
  const std::string text = timestamp + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(text.data()), text.size(), mac, &size);
  std::string hex = "sha256=";
  char buf[3];
  for (unsigned int i = 0; i < size; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", mac[i]);
    hex += buf;
  }
  return hex;
}

// One user.onlinestatus entry, parsed.
struct StatusEntry {
  std::string uid;
  int device_flag = 0;
  int online = 0;
  std::string conn_id;
  int device_count = 0;
  int total_count = 0;
};

std::vector<StatusEntry> StatusEntries(const WebhookLog& log) {
  std::vector<StatusEntry> out;
  for (const auto& call : log.accepted("user.onlinestatus")) {
    const json::value body = json::parse(call.body);
    for (const auto& v : body.as_array()) {
      const std::string s(v.as_string());
      std::vector<std::string> f;
      size_t start = 0;
      for (size_t dash; (dash = s.find('-', start)) != std::string::npos; start = dash + 1) {
        f.push_back(s.substr(start, dash - start));
      }
      f.push_back(s.substr(start));
      if (f.size() < 6) continue;
      StatusEntry e;
      const size_t n = f.size();
      for (size_t i = 0; i + 5 < n; ++i) e.uid += (i ? "-" : "") + f[i];
      e.device_flag = std::stoi(f[n - 5]);
      e.online = std::stoi(f[n - 4]);
      e.conn_id = f[n - 3];
      e.device_count = std::stoi(f[n - 2]);
      e.total_count = std::stoi(f[n - 1]);
      out.push_back(e);
    }
  }
  return out;
}

class WebhookTest : public ::testing::Test {
 protected:
  // Starts a server calling `url` (or, when grpc, the gRPC address) with quick pushes.
  void Start(const std::string& address, std::vector<std::string> settings = {},
             bool grpc = false) {
    ServerOptions options;
    settings.push_back(std::string(grpc ? "webhook.grpcAddr=" : "webhook.httpAddr=") + address);
    settings.push_back("webhook.msgNotifyEventPushInterval=50ms");
    for (const auto& s : settings) {
      options.args.push_back("-o");
      options.args.push_back(s);
    }
    server_ = std::make_unique<ServerProcess>(options);
    server_->start();
    http_ = std::make_unique<HttpClient>(server_->host(), server_->http_port());
  }
  HttpClient& http() { return *http_; }
  // Sends expecting 200; the response.
  json::value Send(const json::object& body) {
    const HttpResult r = http().post("/message/send", body);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? r.json() : json::value();
  }
  void Group(const std::string& g, const std::vector<std::string>& members) {
    ASSERT_TRUE(CreateGroup(http(), g, members));
  }
  json::value Varz() { return http().get("/varz").json(); }
  WkClient Connected(const std::string& uid, uint8_t device_flag = 0) {
    ClientOptions o;
    o.host = server_->host();
    o.port = server_->tcp_port();
    o.uid = uid;
    o.device_flag = device_flag;
    WkClient c(std::move(o));
    EXPECT_EQ(c.connect().reason_code, ReasonCode::kSuccess);
    return c;
  }

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<HttpClient> http_;
};

TEST_F(WebhookTest, EveryStoredMessageArrivesInOrderPerChannel) {
  HttpWebhookReceiver receiver;
  Start(receiver.url());
  std::map<std::string, std::vector<int64_t>> sent;  // channel -> message ids in seq order
  for (int round = 0; round < 30; ++round) {
    for (int c = 0; c < 5; ++c) {
      const std::string g = "g" + std::to_string(c);
      auto r = Send(SendBody("alice", g, kGroup, g + "-" + std::to_string(round)));
      ASSERT_TRUE(r.is_object());
      sent[g].push_back(Int(r, "message_id"));
    }
  }
  ASSERT_TRUE(receiver.wait_until([](const auto&) { return true; }));
  ASSERT_TRUE(receiver.wait_until([&](const auto&) {
    return Ids(NotifiedMessages(receiver)).size() >= 150;
  })) << "arrived: "
      << Ids(NotifiedMessages(receiver)).size();
  std::map<std::string, std::vector<int64_t>> arrived;
  for (const auto& m : NotifiedMessages(receiver)) {
    arrived[Str(m, "channel_id")].push_back(Int(m, "message_id"));
    EXPECT_EQ(Int(m, "channel_type"), kGroup);
    EXPECT_EQ(Text(m), Str(m, "channel_id") + "-" + std::to_string(Int(m, "message_seq") - 1));
  }
  EXPECT_EQ(arrived, sent);
  // Batches: at most msgNotifyEventCountPerPush (100) messages per call.
  for (const auto& call : receiver.accepted("msg.notify")) {
    EXPECT_LE(json::parse(call.body).as_array().size(), 100u);
    EXPECT_EQ(call.headers.at("content-type"), "application/json");
    EXPECT_EQ(call.headers.at("host"), "127.0.0.1:" + std::to_string(receiver.port()));
  }
}

TEST_F(WebhookTest, AReceiverThatIsDownGetsEverythingOnceItIsBack) {
  HttpWebhookReceiver receiver;
  Start(receiver.url());
  receiver.stop();
  std::set<int64_t> sent;
  for (int i = 0; i < 100; ++i) {
    auto r = Send(SendBody("alice", "down", kGroup, "m" + std::to_string(i)));
    ASSERT_TRUE(r.is_object());
    sent.insert(Int(r, "message_id"));
  }
  // The server has tried and failed at least once before the receiver comes back.
  ASSERT_TRUE(Eventually([&] {
    return Varz().at("webhook").at("events").at("msg.notify").at("failed_attempts").as_int64() > 0;
  }));
  receiver.start();
  ASSERT_TRUE(receiver.wait_until([&](const auto&) {
    return Ids(NotifiedMessages(receiver)) == sent;
  })) << "arrived "
      << Ids(NotifiedMessages(receiver)).size() << " of 100";
  const auto events = Varz().at("webhook").at("events").at("msg.notify");
  EXPECT_EQ(events.at("dead_lettered").as_int64(), 0);
  EXPECT_TRUE(Eventually([&] {
    return Varz().at("webhook").at("events").at("msg.notify").at("backlog").as_int64() == 0;
  }));
}

TEST_F(WebhookTest, KillNineDuringDeliveryLosesNothing) {
  HttpWebhookReceiver receiver;
  receiver.set_delay(std::chrono::milliseconds(300));  // deliveries are in progress at the kill
  Start(receiver.url(), {"webhook.msgNotifyEventCountPerPush=20"});
  std::set<int64_t> sent;
  for (int i = 0; i < 200; ++i) {
    auto r = Send(SendBody("alice", "k" + std::to_string(i % 3), kGroup, "m" + std::to_string(i)));
    ASSERT_TRUE(r.is_object());
    sent.insert(Int(r, "message_id"));
  }
  ASSERT_TRUE(receiver.wait_until([](const auto& calls) { return !calls.empty(); }));
  server_->kill9();
  ASSERT_LT(Ids(NotifiedMessages(receiver)).size(), sent.size()) << "the kill came too late";
  receiver.set_delay(std::chrono::milliseconds(0));
  server_->start();
  ASSERT_TRUE(receiver.wait_until([&](const auto&) {
    return Ids(NotifiedMessages(receiver)) == sent;
  })) << "arrived "
      << Ids(NotifiedMessages(receiver)).size() << " of " << sent.size();
}

TEST_F(WebhookTest, FailedCallsBecomeDeadLettersThatReplay) {
  HttpWebhookReceiver receiver;
  receiver.set_status(500);
  Start(receiver.url(),
        {"webhook.msgNotifyEventRetryMaxCount=2", "webhook.msgNotifyEventCountPerPush=10"});
  std::set<int64_t> sent;
  for (int i = 0; i < 25; ++i) {
    auto r = Send(SendBody("alice", "dl", kGroup, "m" + std::to_string(i)));
    ASSERT_TRUE(r.is_object());
    sent.insert(Int(r, "message_id"));
  }
  // Every message ends up in a dead letter (calls of at most 10 messages each).
  json::value page;
  int64_t events = 0;
  ASSERT_TRUE(Eventually(
      [&] {
        page = http().get("/webhook/deadletters?limit=100").json();
        events = 0;
        for (const auto& d : page.at("dead_letters").as_array()) events += Int(d, "events");
        return events == 25;
      },
      std::chrono::seconds(60)))
      << page;
  const int64_t letters = Int(page, "total");
  EXPECT_GE(letters, 3);
  std::set<int64_t> in_letters;
  for (const auto& d : page.at("dead_letters").as_array()) {
    EXPECT_EQ(Str(d, "event"), "msg.notify");
    EXPECT_EQ(Int(d, "attempts"), 2);
    EXPECT_LE(Int(d, "events"), 10);
    EXPECT_NE(Str(d, "last_error").find("500"), std::string::npos) << d;
    for (const auto& m : d.at("body").as_array()) in_letters.insert(Int(m, "message_id"));
  }
  EXPECT_EQ(in_letters, sent);
  EXPECT_EQ(Varz().at("webhook").at("dead_letters").as_int64(), letters);
  EXPECT_TRUE(receiver.accepted("msg.notify").empty());

  receiver.set_status(200);
  const HttpResult replay = http().post("/webhook/deadletters/replay", json::object{});
  ASSERT_EQ(replay.status, 200) << replay.body;
  EXPECT_EQ(Int(replay.json(), "replayed"), letters);
  ASSERT_TRUE(
      receiver.wait_until([&](const auto&) { return Ids(NotifiedMessages(receiver)) == sent; }));
  EXPECT_EQ(Int(http().get("/webhook/deadletters").json(), "total"), 0);
}

TEST_F(WebhookTest, DeadLettersCanBeDeleted) {
  HttpWebhookReceiver receiver;
  receiver.set_status(503);
  Start(receiver.url(), {"webhook.msgNotifyEventRetryMaxCount=1"});
  Send(SendBody("alice", "del", kGroup));
  json::value page;
  // The count moves when the dead letter is handed to the store, the list once it is durable.
  ASSERT_TRUE(Eventually([&] {
    page = http().get("/webhook/deadletters").json();
    return Int(page, "total") == 1 && page.at("dead_letters").as_array().size() == 1;
  }));
  EXPECT_TRUE(IsError(http().post("/webhook/deadletters/delete", json::object{}), 400, "ids"));
  const int64_t id = Int(page.at("dead_letters").at(0), "id");
  const HttpResult r =
      http().post("/webhook/deadletters/delete", json::object{{"ids", json::array{id}}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Int(r.json(), "deleted"), 1);
  EXPECT_EQ(Int(http().get("/webhook/deadletters").json(), "total"), 0);
  EXPECT_TRUE(IsError(http().get("/webhook/deadletters?limit=x"), 400, "limit"));
}

TEST_F(WebhookTest, CallsAreSignedWithTheSecret) {
  HttpWebhookReceiver receiver;
  Start(receiver.url(), {"webhook.secret=s3cret"});
  Send(SendBody("alice", "signed", kGroup));
  ASSERT_TRUE(
      receiver.wait_until([&](const auto&) { return !NotifiedMessages(receiver).empty(); }));
  for (const auto& call : receiver.accepted("msg.notify")) {
    const std::string ts = call.headers.at("x-wk-timestamp");
    EXPECT_NEAR(std::stoll(ts), NowMs() / 1000, 60);
    EXPECT_EQ(call.headers.at("x-wk-signature"), ReferenceSignature("s3cret", ts, call.body));
    EXPECT_NE(call.headers.at("x-wk-signature"), ReferenceSignature("other", ts, call.body));
  }
}

TEST_F(WebhookTest, FocusEventsFilters) {
  HttpWebhookReceiver receiver;
  Start(receiver.url(), {"webhook.focusEvents=msg.offline"});
  Group("focus", {"alice", "bob"});
  Send(SendBody("alice", "focus", kGroup));
  ASSERT_TRUE(
      receiver.wait_until([&](const auto&) { return !receiver.accepted("msg.offline").empty(); }));
  {
    WkClient c = Connected("carol");  // no user.onlinestatus either
    Send(SendBody("alice", "focus", kGroup, "second"));
    ASSERT_TRUE(receiver.wait_until(
        [&](const auto&) { return receiver.accepted("msg.offline").size() >= 2; }));
  }
  for (const auto& call : receiver.calls()) EXPECT_EQ(call.event, "msg.offline");
  const auto events = Varz().at("webhook").at("events").as_object();
  EXPECT_EQ(events.size(), 1u);
  EXPECT_TRUE(events.contains("msg.offline"));
}

TEST_F(WebhookTest, OfflineNamesExactlyTheOfflineRecipients) {
  HttpWebhookReceiver receiver;
  Start(receiver.url(), {"webhook.focusEvents=msg.offline"});
  Group("team", {"alice", "bob", "carol", "dave"});
  WkClient bob = Connected("bob");
  WkClient carol = Connected("carol", 1);
  const auto stored = Send(SendBody("alice", "team", kGroup, "to the team"));
  auto typing = SendBody("alice", "team", kGroup, "typing");
  typing["header"] = json::object{{"no_persist", 1}};
  Send(typing);
  Send(SendBody("carol", "erin", kPerson, "hi erin"));
  ASSERT_TRUE(receiver.wait_until(
      [&](const auto&) { return receiver.accepted("msg.offline").size() >= 3; }));
  std::map<std::string, json::value> by_text;
  for (const auto& call : receiver.accepted("msg.offline")) {
    const json::value v = json::parse(call.body);
    by_text[Text(v)] = v;
  }
  ASSERT_EQ(by_text.size(), 3u);
  // The sender is never named; bob and carol have connections.
  EXPECT_EQ(by_text["to the team"].at("to_uids"), json::parse(R"(["dave"])"));
  EXPECT_EQ(Int(by_text["to the team"], "message_id"), Int(stored, "message_id"));
  EXPECT_EQ(Int(by_text["to the team"], "message_seq"), 1);
  EXPECT_EQ(by_text["typing"].at("to_uids"), json::parse(R"(["dave"])"));
  EXPECT_EQ(Int(by_text["typing"], "message_seq"), 0);
  EXPECT_EQ(by_text["hi erin"].at("to_uids"), json::parse(R"(["erin"])"));
  EXPECT_EQ(Str(by_text["hi erin"], "channel_id"), "erin");  // as WuKongIM: the recipient
  EXPECT_EQ(Str(by_text["hi erin"], "from_uid"), "carol");
}

TEST_F(WebhookTest, OnlineStatusFollowsConnections) {
  HttpWebhookReceiver receiver;
  Start(receiver.url(), {"webhook.focusEvents=user.onlinestatus"});
  std::optional<WkClient> app(Connected("olivia", 0));
  WkClient web = Connected("olivia", 1);
  app->disconnect();
  app.reset();
  ASSERT_TRUE(
      receiver.wait_until([&](const auto&) { return StatusEntries(receiver).size() >= 3; }));
  const auto entries = StatusEntries(receiver);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].uid, "olivia");
  EXPECT_EQ(entries[0].online, 1);
  EXPECT_EQ(entries[0].device_flag, 0);
  EXPECT_EQ(entries[0].device_count, 1);
  EXPECT_EQ(entries[0].total_count, 1);
  EXPECT_EQ(entries[1].online, 1);
  EXPECT_EQ(entries[1].device_flag, 1);
  EXPECT_EQ(entries[1].device_count, 1);
  EXPECT_EQ(entries[1].total_count, 2);
  EXPECT_EQ(entries[2].online, 0);
  EXPECT_EQ(entries[2].device_flag, 0);
  EXPECT_EQ(entries[2].conn_id, entries[0].conn_id);
  EXPECT_EQ(entries[2].device_count, 0);
  EXPECT_EQ(entries[2].total_count, 1);
}

TEST_F(WebhookTest, ACrashReportsItsConnectionsOfflineAtTheNextStart) {
  HttpWebhookReceiver receiver;
  Start(receiver.url(), {"webhook.focusEvents=user.onlinestatus"});
  WkClient c = Connected("crash");
  ASSERT_TRUE(
      receiver.wait_until([&](const auto&) { return StatusEntries(receiver).size() >= 1; }));
  const std::string conn_id = StatusEntries(receiver).at(0).conn_id;
  server_->kill9();
  server_->start();
  // At least once: the online report may come again (the kill can fall between its delivery
  // and the cursor's move); then the connection the crash cut is reported offline.
  auto offline = [&] {
    for (const auto& e : StatusEntries(receiver)) {
      if (e.online == 0) return std::optional<StatusEntry>(e);
    }
    return std::optional<StatusEntry>();
  };
  ASSERT_TRUE(receiver.wait_until([&](const auto&) { return offline().has_value(); }));
  EXPECT_EQ(offline()->uid, "crash");
  EXPECT_EQ(offline()->conn_id, conn_id);
  EXPECT_EQ(offline()->total_count, 0);
  for (const auto& e : StatusEntries(receiver)) EXPECT_EQ(e.conn_id, conn_id);
}

TEST_F(WebhookTest, GrpcReceiverGetsTheSameEvents) {
  GrpcWebhookReceiver receiver;
  receiver.set_success(false);  // refused at first: retried
  Start(receiver.address(), {"webhook.secret=g"}, true);
  std::set<int64_t> sent;
  for (int i = 0; i < 10; ++i) {
    auto r = Send(SendBody("alice", "grpc", kGroup, "m" + std::to_string(i)));
    ASSERT_TRUE(r.is_object());
    sent.insert(Int(r, "message_id"));
  }
  ASSERT_TRUE(receiver.wait_until([](const auto& calls) { return !calls.empty(); }));
  receiver.set_success(true);
  ASSERT_TRUE(
      receiver.wait_until([&](const auto&) { return Ids(NotifiedMessages(receiver)) == sent; }));
  std::vector<int64_t> seqs;
  for (const auto& m : NotifiedMessages(receiver)) seqs.push_back(Int(m, "message_seq"));
  EXPECT_TRUE(std::is_sorted(seqs.begin(), seqs.end()));
  for (const auto& call : receiver.accepted("msg.notify")) {
    const std::string ts = call.headers.at("x-wk-timestamp");
    EXPECT_EQ(call.headers.at("x-wk-signature"), ReferenceSignature("g", ts, call.body));
  }
  EXPECT_EQ(Str(Varz().at("webhook"), "transport"), "grpc");
}

TEST(WebhookConfig, BadAddressesRefuseToStart) {
  for (const char* setting :
       {"webhook.httpAddr=ftp://x", "webhook.grpcAddr=nohost", "webhook.focusEvents=msg.nope"}) {
    ServerOptions options;
    options.args = {"-o", setting};
    ServerProcess server(options);
    server.spawn();
    const auto status = server.wait_exit(std::chrono::seconds(20));
    ASSERT_TRUE(status.has_value()) << setting;
    EXPECT_NE(*status, 0) << setting;
    EXPECT_NE(server.log().find("webhook."), std::string::npos) << server.log();
  }
}

}  // namespace
}  // namespace jindou::testing
