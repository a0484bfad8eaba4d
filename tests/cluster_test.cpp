// Cluster mode through three real nodes (docs/cluster.md): reads on any node after a write on
// another, live delivery across nodes, tokens and subscribers decided on one node and enforced
// on another, idempotent sends through different nodes, and kill -9 of a node (failover, no
// acknowledged message lost, the restarted node catching up).
//
// One cluster serves the whole suite (token authentication on); the kill -9 case runs last.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "client/wk_client.h"
#include "cluster_test.h"
#include "support/webhook_receiver.h"
#include "model/channel.h"
#include "model/error.h"
#include "proto/packet.h"

namespace jindou::testing {
namespace {

using client::ClientOptions;
using client::SendOptions;
using client::WkClient;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr milliseconds kWait = seconds(10);

// A send acknowledged by the cluster.
struct Acked {
  ChannelRef channel;
  std::string client_msg_no;
  std::string payload;
  int64_t id = 0;
  int64_t seq = 0;
};

class ClusterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    start_error_.clear();
    try {
      ServerOptions base;
      // Every node calls one receiver: each event must reach it once per cluster.
      webhooks_ = std::make_unique<HttpWebhookReceiver>();
      base.args = {"-o", "tokenAuthOn=true", "-o", "webhook.httpAddr=" + webhooks_->url(), "-o",
                   "webhook.msgNotifyEventPushInterval=100ms"};
      base.ready_timeout = seconds(60);
      cluster_ = std::make_unique<ClusterProcess>(3, base);
      const auto t0 = Clock::now();
      cluster_->start();
      const int64_t ready_ms = ElapsedMs(t0);
      WaitWritable();
      std::printf(
          "[cluster] three nodes answer /health after %lld ms, take writes through every "
          "node after %lld ms\n",
          static_cast<long long>(ready_ms), static_cast<long long>(ElapsedMs(t0)));
    } catch (const std::exception& e) {
      start_error_ = e.what();
      if (cluster_) start_error_ += "\n" + cluster_->logs_tail(60);
    }
  }
  static void TearDownTestSuite() {
    cluster_.reset();
    webhooks_.reset();
  }

  void SetUp() override {
    ASSERT_TRUE(start_error_.empty()) << "the cluster did not start: " << start_error_;
  }
  void TearDown() override {
    if (HasFailure() && cluster_) {
      std::printf("%s\n", cluster_->logs_tail(60).c_str());
    }
  }

  // Sends through every node to channels spread over the partitions until each node has had
  // every one of them accepted in one round (ownership settles in the first seconds).
  static void WaitWritable() {
    const auto deadline = Clock::now() + seconds(90);
    std::string last_error;
    for (int round = 0;; ++round) {
      bool all = true;
      for (int n = 1; n <= 3 && all; ++n) {
        HttpClient http("127.0.0.1", cluster_->node(n).http_port(), seconds(30));
        for (int c = 0; c < 64 && all; ++c) {
          auto body = SendBody("warmup", "warm-" + std::to_string(c), kGroup, "warm");
          const HttpResult r = http.post("/message/send", body);
          if (r.status != 200) {
            all = false;
            last_error = "node " + std::to_string(n) + ": HTTP " + std::to_string(r.status) + " " +
                         r.body + r.error;
          }
        }
      }
      if (all) return;
      if (Clock::now() >= deadline) {
        throw std::runtime_error(
            "the cluster did not take writes through every node within 90 s; "
            "last error: " +
            last_error);
      }
      std::this_thread::sleep_for(milliseconds(500));
    }
  }

  static ClusterProcess& cluster() { return *cluster_; }

  // A keep-alive HTTP client to node `n` (1..3), one per test and node.
  HttpClient& http(int n) {
    auto& c = http_[n];
    if (!c)
      c = std::make_unique<HttpClient>("127.0.0.1", cluster().node(n).http_port(), seconds(30));
    return *c;
  }

  // An id unique to this test: Id("g") -> "g-<TestName>-<n>".
  std::string Id(std::string_view prefix) {
    return std::string(prefix) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name() + "-" +
           std::to_string(++ids_);
  }

  // POST /user/token through node `via` (slave level: nothing is kicked).
  ::testing::AssertionResult SetToken(int via, const std::string& uid, const std::string& token) {
    return IsOk(http(via).post(
        "/user/token",
        json::object{{"uid", uid}, {"token", token}, {"device_flag", 0}, {"device_level", 0}}));
  }

  ClientOptions Options(int n, const std::string& uid, const std::string& token) {
    ClientOptions o;
    o.host = "127.0.0.1";
    o.port = cluster().node(n).tcp_port();
    o.uid = uid;
    o.token = token;
    return o;
  }

  // A wkproto client of `uid` connected to node `n`, its token registered through node 1.
  std::unique_ptr<WkClient> Client(int n, const std::string& uid) {
    const std::string token = "tok-" + uid;
    EXPECT_TRUE(SetToken(1, uid, token));
    auto c = std::make_unique<WkClient>(Options(n, uid, token));
    const proto::Connack ack = c->connect();
    EXPECT_EQ(ack.reason_code, ReasonCode::kSuccess)
        << "uid " << uid << " on node " << n << ": " << c->close_reason();
    return c;
  }

  // POST /message/send through node `via`; the answer (null after a reported failure).
  json::value SendVia(int via, const json::object& body) {
    const HttpResult r = http(via).post("/message/send", body);
    if (r.status != 200) {
      ADD_FAILURE() << "POST /message/send via node " << via << " " << json::serialize(body)
                    << " -> HTTP " << r.status << " " << r.body << r.error;
      return nullptr;
    }
    return r.json();
  }

  // SEND and its SENDACK (a default one, with a reported failure, when none comes).
  proto::Sendack SendAndAck(WkClient& c, const std::string& channel, uint8_t type,
                            std::string_view payload, const SendOptions& options = {}) {
    const uint32_t seq = c.send(channel, type, payload, options);
    auto ack = c.wait_sendack(seq, seconds(30));
    EXPECT_TRUE(ack) << "no SENDACK for client_seq " << seq << " from " << c.options().uid << ": "
                     << c.close_reason();
    return ack.value_or(proto::Sendack{.reason_code = ReasonCode::kSystemError});
  }

  // Checks `channel` through node `n` right now (no retry): exactly the messages of `acked`, in
  // seqs 1..n, with their ids, client_msg_nos and payloads.
  void ExpectChannelHolds(int n, const ChannelRef& channel, const std::vector<Acked>& acked) {
    const ChannelRead read = ReadChannel(http(n), channel);
    ASSERT_TRUE(read.ok) << "node " << n << ": " << read.error;
    std::vector<int64_t> seqs;
    for (const auto& [seq, m] : read.by_seq) seqs.push_back(seq);
    std::vector<int64_t> want;
    for (size_t i = 1; i <= acked.size(); ++i) want.push_back(static_cast<int64_t>(i));
    EXPECT_EQ(seqs, want) << "node " << n << ", channel " << channel.id;
    for (const auto& a : acked) {
      auto it = read.by_seq.find(a.seq);
      if (it == read.by_seq.end()) {
        ADD_FAILURE() << "node " << n << " lacks seq " << a.seq << " of " << channel.id;
        continue;
      }
      EXPECT_EQ(Int(it->second, "message_id"), a.id) << "node " << n << " seq " << a.seq;
      EXPECT_EQ(Str(it->second, "client_msg_no"), a.client_msg_no) << "node " << n;
      EXPECT_EQ(Text(it->second), a.payload) << "node " << n;
    }
  }

  static inline std::unique_ptr<ClusterProcess> cluster_;
  static inline std::unique_ptr<HttpWebhookReceiver> webhooks_;
  static inline std::string start_error_;

 private:
  std::map<int, std::unique_ptr<HttpClient>> http_;
  int ids_ = 0;
};

// Each send, through nodes 1, 2, 3 in turn, is readable through the two other nodes as soon as
// its answer is in: /channel/max_message_seq, /messages, /message, /channel/messagesync.
TEST_F(ClusterTest, EveryNodeReadsWhatAnotherNodeJustAcknowledged) {
  const ChannelRef group{Id("g"), kGroup, "reader"};
  const std::string from = Id("from");
  const std::string to = Id("to");
  // A person channel read by either party.
  const ChannelRef person_by_from{to, kPerson, from};
  const ChannelRef person_by_to{from, kPerson, to};

  std::vector<Acked> group_acked;
  std::vector<Acked> person_acked;
  for (int i = 1; i <= 30; ++i) {
    const int via = (i - 1) % 3 + 1;
    const bool person = i % 3 == 0;
    const ChannelRef& c = person ? person_by_from : group;
    auto& acked = person ? person_acked : group_acked;
    const std::string cmn = Id("cmn");
    const std::string text = "message " + std::to_string(i) + " via node " + std::to_string(via);
    auto body =
        person ? SendBody(from, to, kPerson, text) : SendBody("sender", group.id, kGroup, text);
    body["client_msg_no"] = cmn;
    const json::value r = SendVia(via, body);
    ASSERT_TRUE(r.is_object());
    Acked a{c, cmn, text, Int(r, "message_id"), Int(r, "message_seq")};
    EXPECT_EQ(a.seq, static_cast<int64_t>(acked.size()) + 1)
        << "seqs of one channel count 1, 2, 3 ... whichever node takes the send";
    acked.push_back(a);

    for (int other = 1; other <= 3; ++other) {
      if (other == via) continue;
      SCOPED_TRACE("send " + std::to_string(i) + " via node " + std::to_string(via) +
                   ", read via node " + std::to_string(other));
      // max_message_seq
      std::string target =
          "/channel/max_message_seq?channel_id=" + c.id + "&channel_type=" + std::to_string(c.type);
      if (person) target += "&login_uid=" + c.login_uid;
      const HttpResult max = http(other).get(target);
      ASSERT_EQ(max.status, 200) << max.body << max.error;
      EXPECT_EQ(Int(max.json(), "message_seq"), a.seq);
      // /messages by seq and by client_msg_no
      const HttpResult ms = http(other).post(
          "/messages", json::object{{"login_uid", c.login_uid},
                                    {"channel_id", c.id},
                                    {"channel_type", c.type},
                                    {"message_seqs", json::array{a.seq}},
                                    {"client_msg_nos", json::array{json::string(cmn)}}});
      ASSERT_EQ(ms.status, 200) << ms.body << ms.error;
      ASSERT_EQ(ms.json().as_array().size(), 1u) << ms.body;
      EXPECT_EQ(Int(ms.json().as_array()[0], "message_id"), a.id);
      EXPECT_EQ(Text(ms.json().as_array()[0]), text);
      // /message by client_msg_no
      const HttpResult one = http(other).post("/message", json::object{{"login_uid", c.login_uid},
                                                                       {"channel_id", c.id},
                                                                       {"channel_type", c.type},
                                                                       {"client_msg_no", cmn}});
      ASSERT_EQ(one.status, 200) << one.body << one.error;
      EXPECT_EQ(Int(one.json(), "message_seq"), a.seq);
      // /channel/messagesync from this seq
      const HttpResult sync =
          http(other).post("/channel/messagesync", json::object{{"login_uid", c.login_uid},
                                                                {"channel_id", c.id},
                                                                {"channel_type", c.type},
                                                                {"start_message_seq", a.seq},
                                                                {"limit", 10},
                                                                {"pull_mode", 0}});
      ASSERT_EQ(sync.status, 200) << sync.body << sync.error;
      EXPECT_EQ(Seqs(sync.json().at("messages")), std::vector<int64_t>{a.seq});
    }
  }
  for (int n = 1; n <= 3; ++n) {
    ExpectChannelHolds(n, group, group_acked);
    ExpectChannelHolds(n, person_by_from, person_acked);
    // The other party reads the same person channel.
    ExpectChannelHolds(n, person_by_to, person_acked);
  }
}

// Concurrent sends through all three nodes to one channel get seqs 1..n with no gap or repeat,
// and every node reads the same channel.
TEST_F(ClusterTest, ConcurrentSendsThroughAllNodesGetGapFreeSeqs) {
  const ChannelRef group{Id("g"), kGroup, "reader"};
  constexpr int kThreads = 6;
  constexpr int kPerThread = 25;
  std::mutex mu;
  std::vector<Acked> acked;
  std::vector<std::string> failures;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const int via = t % 3 + 1;
      HttpClient h("127.0.0.1", cluster().node(via).http_port(), seconds(30));
      for (int i = 0; i < kPerThread; ++i) {
        const std::string cmn = group.id + "-t" + std::to_string(t) + "-" + std::to_string(i);
        auto body = SendBody("u" + std::to_string(t), group.id, kGroup, cmn);
        body["client_msg_no"] = cmn;
        const HttpResult r = h.post("/message/send", body);
        std::lock_guard lock(mu);
        if (r.status != 200) {
          failures.push_back("via node " + std::to_string(via) + ": HTTP " +
                             std::to_string(r.status) + " " + r.body + r.error);
          continue;
        }
        acked.push_back(
            {group, cmn, cmn, Int(r.json(), "message_id"), Int(r.json(), "message_seq")});
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_TRUE(failures.empty()) << failures.size() << " sends failed, first: " << failures.front();
  std::sort(acked.begin(), acked.end(),
            [](const Acked& a, const Acked& b) { return a.seq < b.seq; });
  for (size_t i = 0; i < acked.size(); ++i) {
    EXPECT_EQ(acked[i].seq, static_cast<int64_t>(i) + 1) << "seqs given out with a gap or twice";
  }
  for (int n = 1; n <= 3; ++n) ExpectChannelHolds(n, group, acked);
}

// A client on node 3 receives, live, a message sent over HTTP through node 1 and one SENT by a
// client on node 2, in a person channel and in a group.
TEST_F(ClusterTest, ClientOnOneNodeReceivesWhatOtherNodesTook) {
  const std::string r_uid = Id("recv");
  const std::string s_uid = Id("send");
  const std::string http_uid = Id("backend");
  auto receiver = Client(3, r_uid);
  auto sender = Client(2, s_uid);
  ASSERT_TRUE(receiver->connected() && sender->connected());

  // HTTP through node 1, person channel.
  const json::value sent = SendVia(1, SendBody(http_uid, r_uid, kPerson, "over http via node 1"));
  ASSERT_TRUE(sent.is_object());
  auto recv = receiver->wait_recv(kWait);
  ASSERT_TRUE(recv) << "no RECV on node 3 for an HTTP send through node 1: "
                    << receiver->close_reason();
  EXPECT_EQ(recv->from_uid, http_uid);
  EXPECT_EQ(recv->channel_id, http_uid);
  EXPECT_EQ(recv->channel_type, kPerson);
  EXPECT_EQ(recv->payload, "over http via node 1");
  EXPECT_EQ(recv->message_id, Int(sent, "message_id"));
  EXPECT_EQ(recv->message_seq, static_cast<uint32_t>(Int(sent, "message_seq")));

  // SEND by a client of node 2, person channel.
  const proto::Sendack ack = SendAndAck(*sender, r_uid, kPerson, "over wkproto via node 2");
  ASSERT_EQ(ack.reason_code, ReasonCode::kSuccess);
  recv = receiver->wait_recv(kWait);
  ASSERT_TRUE(recv) << "no RECV on node 3 for a SEND on node 2: " << receiver->close_reason();
  EXPECT_EQ(recv->from_uid, s_uid);
  EXPECT_EQ(recv->channel_id, s_uid);
  EXPECT_EQ(recv->payload, "over wkproto via node 2");
  EXPECT_EQ(recv->message_id, ack.message_id);
  EXPECT_EQ(recv->message_seq, ack.message_seq);

  // A group made through node 1; a SEND on node 2 and an HTTP send through node 1.
  const std::string g = Id("g");
  ASSERT_TRUE(CreateGroup(http(1), g, {r_uid, s_uid}));
  const proto::Sendack gack = SendAndAck(*sender, g, kGroup, "group via node 2");
  ASSERT_EQ(gack.reason_code, ReasonCode::kSuccess);
  recv = receiver->wait_recv(kWait);
  ASSERT_TRUE(recv) << receiver->close_reason();
  EXPECT_EQ(recv->channel_id, g);
  EXPECT_EQ(recv->channel_type, kGroup);
  EXPECT_EQ(recv->from_uid, s_uid);
  EXPECT_EQ(recv->payload, "group via node 2");
  EXPECT_EQ(recv->message_seq, 1u);

  const json::value gsent = SendVia(1, SendBody(http_uid, g, kGroup, "group over http via node 1"));
  ASSERT_TRUE(gsent.is_object());
  for (WkClient* c : {receiver.get(), sender.get()}) {
    const auto got = c->wait_recv(
        [&](const proto::Recv& m) { return m.message_id == Int(gsent, "message_id"); }, kWait);
    ASSERT_TRUE(got) << c->options().uid << ": " << c->close_reason();
    EXPECT_EQ(got->payload, "group over http via node 1");
    EXPECT_EQ(got->message_seq, 2u);
  }
  // Nothing arrives twice (a broadcast between nodes must not double a delivery), and the
  // sending connection gets a SENDACK, no RECV of its own SEND (as on a single node).
  EXPECT_FALSE(receiver->wait_recv(milliseconds(1500))) << "an extra RECV arrived on node 3";
  while (auto extra = sender->wait_recv(milliseconds(200))) {
    ADD_FAILURE() << "the sending connection (node 2) got a RECV: seq " << extra->message_seq
                  << " of " << extra->channel_id << " from " << extra->from_uid << ", payload '"
                  << extra->payload << "'"
                  << (extra->message_id == gack.message_id || extra->message_id == ack.message_id
                          ? " - its own SEND"
                          : "");
  }
}

TEST_F(ClusterTest, ConnectionIdsCarryTheirNodeSoASkipNamesOneConnection) {
  // A delivery from another node skips the sending connection by its id: ids must name one
  // connection in the whole cluster, which they do by carrying the node id in their high bits.
  std::vector<std::unique_ptr<WkClient>> clients;
  for (int n = 1; n <= 3; ++n) {
    const std::string uid = Id("conn" + std::to_string(n));
    clients.push_back(Client(n, uid));
    const HttpResult r = http(n).get("/connz?uid=" + uid);
    ASSERT_EQ(r.status, 200) << r.body;
    const json::value v = r.json();
    ASSERT_FALSE(v.at("connections").as_array().empty()) << "node " << n << ": " << r.body;
    for (const auto& c : v.at("connections").as_array()) {
      EXPECT_EQ(static_cast<uint64_t>(Int(c, "id")) >> 40, static_cast<uint64_t>(n))
          << "connection " << Int(c, "id") << " of node " << n;
    }
  }
}

TEST_F(ClusterTest, WebhookEventsFireOncePerCluster) {
  // Messages accepted through every node, to channels of every owner: the receiver (called by
  // all three nodes) gets each message in msg.notify exactly once.
  const std::string from = Id("hook");
  std::set<int64_t> sent;
  for (int i = 0; i < 30; ++i) {
    const HttpResult r =
        http(i % 3 + 1).post("/message/send", SendBody(from, "hook-g" + std::to_string(i), kGroup));
    ASSERT_EQ(r.status, 200) << r.body << r.error;
    sent.insert(Int(r.json(), "message_id"));
  }
  auto notified = [&from](const std::vector<WebhookCall>& calls) {
    std::multiset<int64_t> ids;
    for (const auto& c : calls) {
      if (c.event != "msg.notify" || !c.accepted) continue;
      const json::value body = json::parse(c.body);
      for (const auto& m : body.as_array()) {
        if (Str(m, "from_uid") == from) ids.insert(Int(m, "message_id"));
      }
    }
    return ids;
  };
  ASSERT_TRUE(webhooks_->wait_until(
      [&](const std::vector<WebhookCall>& calls) {
        const auto ids = notified(calls);
        return std::all_of(sent.begin(), sent.end(), [&](int64_t id) { return ids.count(id); });
      },
      seconds(30)))
      << "not every message was notified";
  // Duplicates would come from the other nodes' queues within their push interval.
  std::this_thread::sleep_for(milliseconds(1500));
  const auto ids = notified(webhooks_->calls());
  for (int64_t id : sent) EXPECT_EQ(ids.count(id), 1u) << "message " << id;
  EXPECT_EQ(ids.size(), sent.size());
}

TEST_F(ClusterTest, ClusterMessagesOnAnyNodeSelectsTheStoringNode) {
  const std::string from = Id("search");
  std::set<int64_t> sent;
  for (int i = 0; i < 24; ++i) {
    const HttpResult r = http(i % 3 + 1).post(
        "/message/send", SendBody(from, "search-g" + std::to_string(i), kGroup));
    ASSERT_EQ(r.status, 200) << r.body << r.error;
    sent.insert(Int(r.json(), "message_id"));
  }
  for (int via = 1; via <= 3; ++via) {
    // Without node_id: every node's messages, through any node.
    const HttpResult all = http(via).get("/cluster/messages?limit=1000&from_uid=" + from);
    ASSERT_EQ(all.status, 200) << all.body;
    std::set<int64_t> found;
    const json::value all_body = all.json();
    for (const auto& m : all_body.at("data").as_array()) found.insert(Int(m, "message_id"));
    EXPECT_EQ(found, sent) << "through node " << via;
    // node_id: exactly the messages that node stored (their ids carry its node bits).
    std::set<int64_t> by_node;
    for (int k = 1; k <= 3; ++k) {
      const HttpResult r = http(via).get("/cluster/messages?limit=1000&node_id=" +
                                         std::to_string(k) + "&from_uid=" + from);
      ASSERT_EQ(r.status, 200) << r.body;
      const json::value body = r.json();
      for (const auto& m : body.at("data").as_array()) {
        const int64_t id = Int(m, "message_id");
        EXPECT_EQ((id >> 12) & 1023, k) << "message " << id << " listed for node " << k;
        by_node.insert(id);
      }
    }
    EXPECT_EQ(by_node, sent) << "the nodes' parts do not add up, through node " << via;
    EXPECT_EQ(http(via).get("/cluster/messages?node_id=9").status, 404);
  }
}

TEST_F(ClusterTest, OnlineStatusAndKicksReachEveryNode) {
  const std::string uid = Id("roamer");
  auto client = Client(3, uid);
  // Online through nodes 1 and 2, which hold none of its connections.
  for (int via : {1, 2}) {
    const HttpResult r = http(via).post("/user/onlinestatus", json::array{json::value(uid)});
    ASSERT_EQ(r.status, 200) << r.body;
    bool online = false;
    const json::value body = r.json();
    for (const auto& e : body.as_array()) {
      if (Str(e, "uid") == uid && Int(e, "online") == 1) online = true;
    }
    EXPECT_TRUE(online) << "node " << via << ": " << r.body;
  }
  // A kick through node 2 closes the connection on node 3.
  ASSERT_TRUE(IsOk(http(2).post("/conn/kick", json::object{{"uid", uid}})));
  EXPECT_TRUE(client->wait_closed(seconds(10))) << "the client on node 3 was not kicked";
}

TEST_F(ClusterTest, TokensSetThroughOneNodeAuthenticateOnTheOthers) {
  const std::string uid = Id("u");
  ASSERT_TRUE(SetToken(1, uid, "first"));
  for (int n : {2, 3}) {
    WkClient good(Options(n, uid, "first"));
    EXPECT_EQ(good.connect().reason_code, ReasonCode::kSuccess) << "node " << n;
    WkClient wrong(Options(n, uid, "other"));
    EXPECT_EQ(wrong.connect().reason_code, ReasonCode::kAuthFail) << "node " << n;
  }
  ASSERT_TRUE(SetToken(3, uid, "second"));
  WkClient old_token(Options(2, uid, "first"));
  EXPECT_EQ(old_token.connect().reason_code, ReasonCode::kAuthFail)
      << "node 2 still takes the token replaced through node 3";
  WkClient new_token(Options(2, uid, "second"));
  EXPECT_EQ(new_token.connect().reason_code, ReasonCode::kSuccess);

  const std::string unknown = Id("nobody");
  WkClient none(Options(3, unknown, "x"));
  EXPECT_EQ(none.connect().reason_code, ReasonCode::kAuthFail);
}

// Subscribers set through node 2 decide a client SEND through node 3; changes through node 1
// and node 2 take effect at once.
TEST_F(ClusterTest, SubscribersSetThroughOneNodeAreEnforcedOnAnother) {
  const std::string g = Id("g");
  const std::string a = Id("a");
  const std::string b = Id("b");
  const std::string x = Id("x");
  ASSERT_TRUE(CreateGroup(http(2), g, {a, b}));
  auto member = Client(3, a);
  auto outsider = Client(3, x);

  EXPECT_EQ(SendAndAck(*member, g, kGroup, "from a member").reason_code, ReasonCode::kSuccess);
  EXPECT_EQ(SendAndAck(*outsider, g, kGroup, "from an outsider").reason_code,
            ReasonCode::kSubscriberNotExist);

  ASSERT_TRUE(IsOk(http(1).post("/channel/subscriber_add",
                                json::object{{"channel_id", g},
                                             {"channel_type", kGroup},
                                             {"subscribers", json::array{json::string(x)}}})));
  EXPECT_EQ(SendAndAck(*outsider, g, kGroup, "now a member").reason_code, ReasonCode::kSuccess)
      << "subscriber added through node 1, send through node 3";

  ASSERT_TRUE(IsOk(http(2).post("/channel/subscriber_remove",
                                json::object{{"channel_id", g},
                                             {"channel_type", kGroup},
                                             {"subscribers", json::array{json::string(a)}}})));
  EXPECT_EQ(SendAndAck(*member, g, kGroup, "no longer a member").reason_code,
            ReasonCode::kSubscriberNotExist)
      << "subscriber removed through node 2, send through node 3";

  // Exactly the two accepted sends are stored, on every node.
  for (int n = 1; n <= 3; ++n) {
    const ChannelRead read = ReadChannel(http(n), ChannelRef{g, kGroup, "reader"});
    ASSERT_TRUE(read.ok) << read.error;
    std::vector<std::string> texts;
    for (const auto& [seq, m] : read.by_seq) texts.push_back(Text(m));
    EXPECT_EQ(texts, (std::vector<std::string>{"from a member", "now a member"})) << "node " << n;
  }
}

// One client_msg_no sent through every node (in turn, then all at once) is stored once; the same
// for SENDs of one user's two devices on two nodes.
TEST_F(ClusterTest, SameClientMsgNoThroughDifferentNodesIsStoredOnce) {
  const ChannelRef g{Id("g"), kGroup, "reader"};
  auto body = SendBody("dup-sender", g.id, kGroup, "once");
  body["client_msg_no"] = Id("cmn");
  std::vector<json::value> answers;
  for (int n = 1; n <= 3; ++n) answers.push_back(SendVia(n, body));
  for (const auto& a : answers) {
    ASSERT_TRUE(a.is_object());
    EXPECT_EQ(Int(a, "message_id"), Int(answers[0], "message_id"));
    EXPECT_EQ(Int(a, "message_seq"), 1);
  }

  // All at once, three times over.
  auto body2 = SendBody("dup-sender", g.id, kGroup, "concurrently");
  body2["client_msg_no"] = Id("cmn");
  std::mutex mu;
  std::vector<std::pair<int64_t, int64_t>> ids;
  std::vector<std::string> failures;
  std::vector<std::thread> threads;
  for (int t = 0; t < 9; ++t) {
    threads.emplace_back([&, t] {
      HttpClient h("127.0.0.1", cluster().node(t % 3 + 1).http_port(), seconds(30));
      const HttpResult r = h.post("/message/send", body2);
      std::lock_guard lock(mu);
      if (r.status == 200) {
        ids.emplace_back(Int(r.json(), "message_id"), Int(r.json(), "message_seq"));
      } else {
        failures.push_back("HTTP " + std::to_string(r.status) + " " + r.body + r.error);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_TRUE(failures.empty()) << failures.front();
  ASSERT_FALSE(ids.empty());
  for (const auto& id : ids) EXPECT_EQ(id, ids.front()) << "one client_msg_no, two messages";
  EXPECT_EQ(ids.front().second, 2);

  // One user, two devices on nodes 2 and 3, one client_msg_no.
  const std::string uid = Id("w");
  ASSERT_TRUE(IsOk(http(1).post("/channel/subscriber_add",
                                json::object{{"channel_id", g.id},
                                             {"channel_type", kGroup},
                                             {"subscribers", json::array{json::string(uid)}}})));
  const std::string token = "tok-" + uid;
  ASSERT_TRUE(SetToken(1, uid, token));
  WkClient d2(Options(2, uid, token));
  WkClient d3(Options(3, uid, token));
  ASSERT_EQ(d2.connect().reason_code, ReasonCode::kSuccess);
  ASSERT_EQ(d3.connect().reason_code, ReasonCode::kSuccess);
  SendOptions so;
  so.client_msg_no = Id("cmn");
  const proto::Sendack a2 = SendAndAck(d2, g.id, kGroup, "device", so);
  const proto::Sendack a3 = SendAndAck(d3, g.id, kGroup, "device", so);
  EXPECT_EQ(a2.reason_code, ReasonCode::kSuccess);
  EXPECT_EQ(a3.reason_code, ReasonCode::kSuccess);
  EXPECT_EQ(a3.message_id, a2.message_id);
  EXPECT_EQ(a3.message_seq, a2.message_seq);
  EXPECT_EQ(a2.message_seq, 3u);

  for (int n = 1; n <= 3; ++n) {
    const ChannelRead read = ReadChannel(http(n), g);
    ASSERT_TRUE(read.ok) << read.error;
    std::vector<int64_t> seqs;
    for (const auto& [seq, m] : read.by_seq) seqs.push_back(seq);
    EXPECT_EQ(seqs, (std::vector<int64_t>{1, 2, 3})) << "node " << n;
    const HttpResult by_cmn = http(n).post(
        "/messages", json::object{{"login_uid", "reader"},
                                  {"channel_id", g.id},
                                  {"channel_type", kGroup},
                                  {"client_msg_nos", json::array{body["client_msg_no"]}}});
    ASSERT_EQ(by_cmn.status, 200) << by_cmn.body;
    EXPECT_EQ(by_cmn.json().as_array().size(), 1u) << "node " << n << ": " << by_cmn.body;
  }
}

// kill -9 of node 1 (it owns about a third of the partitions): the channels it decided take
// writes through nodes 2 and 3 again within 15 s, nothing acknowledged before is lost or
// renumbered, and node 1 restarted on its data catches up within 30 s. Runs last.
TEST_F(ClusterTest, ZzKillNineOfANodeFailsOverAndItCatchesUpAfterRestart) {
  constexpr int kChannels = 48;
  std::vector<ChannelRef> channels;
  std::vector<std::string> senders;
  for (int i = 0; i < kChannels; ++i) {
    const std::string sender = "fo-sender-" + std::to_string(i);
    senders.push_back(sender);
    if (i % 2 == 0) {
      channels.push_back(ChannelRef{"fo-group-" + std::to_string(i), kGroup, "reader"});
    } else {
      // person channel sender -> recipient, read by the sender
      channels.push_back(ChannelRef{"fo-peer-" + std::to_string(i), kPerson, sender});
    }
  }
  std::map<std::string, std::vector<Acked>> acked;  // by channel key
  std::mutex mu;
  const auto body_for = [&](int i, const std::string& cmn) {
    auto b = SendBody(senders[static_cast<size_t>(i)], channels[static_cast<size_t>(i)].id,
                      channels[static_cast<size_t>(i)].type, "payload of " + cmn);
    b["client_msg_no"] = cmn;
    return b;
  };

  // Three messages per channel through nodes 1, 2, 3.
  for (int i = 0; i < kChannels; ++i) {
    for (int k = 0; k < 3; ++k) {
      const std::string cmn = "fo-" + std::to_string(i) + "-pre-" + std::to_string(k);
      const json::value r = SendVia(k + 1, body_for(i, cmn));
      ASSERT_TRUE(r.is_object());
      acked[channels[static_cast<size_t>(i)].key()].push_back(
          {channels[static_cast<size_t>(i)], cmn, "payload of " + cmn, Int(r, "message_id"),
           Int(r, "message_seq")});
    }
  }

  cluster().kill9(1);
  const auto killed = Clock::now();
  std::printf("[failover] node 1 killed with SIGKILL\n");

  // One thread per channel: sends through node 2 or 3, each send retried with its client_msg_no
  // until it is acknowledged; the first acknowledgement after the kill ends the channel's gap.
  std::vector<int64_t> gap_ms(kChannels, -1);
  std::vector<std::string> errors(kChannels);
  std::vector<int> failed_attempts(kChannels, 0);
  std::map<std::string, int> error_kinds;
  std::vector<std::thread> threads;
  for (int i = 0; i < kChannels; ++i) {
    threads.emplace_back([&, i] {
      const int via = i % 2 == 0 ? 2 : 3;
      HttpClient h("127.0.0.1", cluster().node(via).http_port(), seconds(30));
      for (int k = 0; k < 3; ++k) {
        const std::string cmn = "fo-" + std::to_string(i) + "-post-" + std::to_string(k);
        const auto give_up = Clock::now() + seconds(60);
        for (;;) {
          const HttpResult r = h.post("/message/send", body_for(i, cmn));
          if (r.status == 200) {
            std::lock_guard lock(mu);
            if (gap_ms[static_cast<size_t>(i)] < 0)
              gap_ms[static_cast<size_t>(i)] = ElapsedMs(killed);
            acked[channels[static_cast<size_t>(i)].key()].push_back(
                {channels[static_cast<size_t>(i)], cmn, "payload of " + cmn,
                 Int(r.json(), "message_id"), Int(r.json(), "message_seq")});
            break;
          }
          std::lock_guard lock(mu);
          ++failed_attempts[static_cast<size_t>(i)];
          errors[static_cast<size_t>(i)] = "via node " + std::to_string(via) + ": HTTP " +
                                           std::to_string(r.status) + " " + r.body + r.error;
          ++error_kinds["HTTP " + std::to_string(r.status) + " " +
                        (r.body + r.error).substr(0, 160)];
          if (Clock::now() >= give_up) return;
          std::this_thread::sleep_for(milliseconds(100));
        }
      }
    });
  }
  for (auto& t : threads) t.join();

  int64_t worst = 0;
  int worst_channel = -1;
  int unavailable = 0;
  int attempts_failed = 0;
  for (int i = 0; i < kChannels; ++i) {
    attempts_failed += failed_attempts[static_cast<size_t>(i)];
    if (gap_ms[static_cast<size_t>(i)] < 0) {
      ++unavailable;
      ADD_FAILURE() << "channel " << channels[static_cast<size_t>(i)].id
                    << " took no write within 60 s of the kill; last error: "
                    << errors[static_cast<size_t>(i)];
      continue;
    }
    if (gap_ms[static_cast<size_t>(i)] > worst) {
      worst = gap_ms[static_cast<size_t>(i)];
      worst_channel = i;
    }
  }
  std::vector<int64_t> sorted = gap_ms;
  std::sort(sorted.begin(), sorted.end());
  std::printf(
      "[failover] first write acknowledged after the kill: median %lld ms, slowest %lld ms "
      "(channel %s); %d failed attempts answered meanwhile; %d channels never writable\n",
      static_cast<long long>(sorted[sorted.size() / 2]), static_cast<long long>(worst),
      worst_channel >= 0 ? channels[static_cast<size_t>(worst_channel)].id.c_str() : "-",
      attempts_failed, unavailable);
  for (const auto& [what, count] : error_kinds)
    std::printf("[failover]   %dx %s\n", count, what.c_str());
  EXPECT_LE(worst, 15'000) << "writes through the surviving nodes took longer than 15 s to "
                              "resume; channel "
                           << (worst_channel >= 0 ? channels[static_cast<size_t>(worst_channel)].id
                                                  : "-");

  // Every acknowledged message, before and after the kill, on nodes 2 and 3 with its seq.
  for (int n : {2, 3}) {
    for (const auto& c : channels) {
      auto& list = acked[c.key()];
      std::sort(list.begin(), list.end(),
                [](const Acked& a, const Acked& b) { return a.seq < b.seq; });
      int tries = 0;
      const ChannelRead read = ReadChannelRetrying(http(n), c, seconds(10), &tries);
      ASSERT_TRUE(read.ok) << "node " << n << ": " << read.error;
      EXPECT_EQ(tries, 1) << "node " << n << " needed " << tries << " reads of " << c.id;
      ExpectChannelHolds(n, c, list);
    }
  }

  // Node 1 again, on its data directory: it catches up with what was written without it.
  const auto restart = Clock::now();
  ASSERT_NO_THROW(cluster().start(1));
  const int64_t started_ms = ElapsedMs(restart);
  std::set<std::string> behind;
  for (const auto& c : channels) behind.insert(c.key());
  const auto deadline = restart + seconds(30);
  std::map<std::string, std::string> last_problem;
  while (!behind.empty() && Clock::now() < deadline) {
    for (const auto& c : channels) {
      if (behind.count(c.key()) == 0) continue;
      const ChannelRead read = ReadChannel(http(1), c);
      const auto& list = acked[c.key()];
      if (!read.ok) {
        last_problem[c.key()] = read.error;
        continue;
      }
      bool same = read.by_seq.size() == list.size();
      for (const auto& a : list) {
        auto it = read.by_seq.find(a.seq);
        same = same && it != read.by_seq.end() && Int(it->second, "message_id") == a.id;
      }
      if (same) {
        behind.erase(c.key());
      } else {
        last_problem[c.key()] = "holds " + std::to_string(read.by_seq.size()) + " of " +
                                std::to_string(list.size()) + " messages";
      }
    }
    if (!behind.empty()) std::this_thread::sleep_for(milliseconds(200));
  }
  std::printf("[failover] node 1 restarted: ready after %lld ms, %s after %lld ms\n",
              static_cast<long long>(started_ms),
              behind.empty() ? "all channels caught up" : "NOT caught up",
              static_cast<long long>(ElapsedMs(restart)));
  for (const auto& key : behind) {
    ADD_FAILURE() << "node 1 has not caught up with " << key
                  << " within 30 s of its restart: " << last_problem[key];
  }

  // And it takes writes again.
  for (int i = 0; i < kChannels; i += 7) {
    const std::string cmn = "fo-" + std::to_string(i) + "-after";
    bool ok = false;
    std::string error;
    for (const auto give_up = Clock::now() + seconds(30); !ok && Clock::now() < give_up;) {
      const HttpResult r = http(1).post("/message/send", body_for(i, cmn));
      ok = r.status == 200;
      if (ok) {
        EXPECT_EQ(Int(r.json(), "message_seq"),
                  static_cast<int64_t>(acked[channels[static_cast<size_t>(i)].key()].size()) + 1);
      } else {
        error = "HTTP " + std::to_string(r.status) + " " + r.body + r.error;
        std::this_thread::sleep_for(milliseconds(200));
      }
    }
    EXPECT_TRUE(ok) << "node 1 takes no write for " << channels[static_cast<size_t>(i)].id
                    << " within 30 s: " << error;
  }
}

}  // namespace
}  // namespace jindou::testing
