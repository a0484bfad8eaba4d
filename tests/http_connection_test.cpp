// The HTTP layer over real sockets: pipelining, keep-alive, malformed requests, the body limit,
// and many connections sending to one channel at once.
#include <algorithm>
#include <cstdio>
#include <mutex>
#include <set>
#include <thread>

#include "blackbox_test.h"

namespace jindou::testing {
namespace {

class ConnectionTest : public BlackBoxTest {
 protected:
  static void SetUpTestSuite() { StartServer(); }
};

std::string RawPost(std::string_view path, std::string_view body) {
  return "POST " + std::string(path) +
         " HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

// A client that stops taking its responses is closed once one has waited longer than
// http.writeTimeout: it holds neither its connection nor the response for ever.
class WriteTimeoutTest : public BlackBoxTest {
 protected:
  static void SetUpTestSuite() { StartServerWith({"http.writeTimeout=1s"}); }
  int64_t HttpConnections() { return Int(http().get("/varz").json(), "http_connections"); }
};

TEST_F(WriteTimeoutTest, ClientThatStopsReadingIsClosed) {
  // This test's own client (the start-up probe's connection may still be closing).
  ASSERT_TRUE(Eventually([&] { return HttpConnections() == 1; }));
  HttpClient stuck(server().host(), server().http_port());
  // Far more response bytes than the sockets between us can hold.
  std::string requests;
  for (int i = 0; i < 400; ++i) requests += "GET /docs/openapi.json HTTP/1.1\r\nHost: t\r\n\r\n";
  ASSERT_TRUE(stuck.send_raw(requests));
  ASSERT_TRUE(Eventually([&] { return HttpConnections() == 2; }));
  EXPECT_TRUE(Eventually([&] { return HttpConnections() == 1; }, std::chrono::seconds(60)))
      << "the connection that does not read is still open";
  // What was written before the close still arrives, then the end of the connection.
  int answered = 0;
  while (answered < 400 && stuck.read_response().status == 200) ++answered;
  EXPECT_LT(answered, 400);
}

// Request bodies being received share one memory budget (at least the largest body: 16 MiB
// here): a request that would pass it is answered 503 at once, and later ones fit again.
class BodyBudgetTest : public BlackBoxTest {
 protected:
  static void SetUpTestSuite() { StartServerWith({"http.maxPendingBodyBytes=1048576"}); }
  static std::string Header(size_t length) {
    return "POST /message/send HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
           "Expect: 100-continue\r\nContent-Length: " +
           std::to_string(length) + "\r\n\r\n";
  }
};

TEST_F(BodyBudgetTest, BodiesOverTheBudgetAreRefusedUntilOthersAreDone) {
  HttpClient first(server().host(), server().http_port());
  ASSERT_TRUE(first.send_raw(Header(10'000'000)));
  ASSERT_EQ(first.read_response().status, 100);  // its 10 MB are now reserved
  {
    HttpClient second(server().host(), server().http_port());
    ASSERT_TRUE(second.send_raw(Header(8'000'000)));
    EXPECT_TRUE(IsError(second.read_response(), 503, "retry later"));
  }
  ASSERT_TRUE(first.send_raw(std::string(10'000'000, ' ')));
  EXPECT_TRUE(IsError(first.read_response(), 400));
  // Once the first request is answered its reservation is given back.
  EXPECT_TRUE(Eventually([&] {
    HttpClient again(server().host(), server().http_port());
    return again.send_raw(Header(8'000'000)) && again.read_response().status == 100;
  }));
}

TEST_F(ConnectionTest, PipelinedRequestsAreAnsweredInOrder) {
  const std::string g = Id("g");
  auto first = SendBody("alice", g, kGroup);
  first["client_msg_no"] = "p1";
  auto second = SendBody("alice", g, kGroup);
  second["client_msg_no"] = "p2";
  ASSERT_TRUE(http().send_raw(RawPost("/message/send", json::serialize(first)) +
                              RawPost("/message/send", json::serialize(second))));
  const HttpResult r1 = http().read_response();
  const HttpResult r2 = http().read_response();
  ASSERT_EQ(r1.status, 200) << r1.body << r1.error;
  ASSERT_EQ(r2.status, 200) << r2.body << r2.error;
  EXPECT_EQ(Str(r1.json(), "client_msg_no"), "p1");
  EXPECT_EQ(Int(r1.json(), "message_seq"), 1);
  EXPECT_EQ(Str(r2.json(), "client_msg_no"), "p2");
  EXPECT_EQ(Int(r2.json(), "message_seq"), 2);

  ASSERT_TRUE(http().send_raw(
      "GET /health HTTP/1.1\r\nHost: test\r\n\r\n"
      "GET /nope HTTP/1.1\r\nHost: test\r\n\r\n" +
      RawPost("/channel/max_message_seq", "{}") + "GET /channel/max_message_seq?channel_id=" + g +
      "&channel_type=2 HTTP/1.1\r\nHost: t\r\n\r\n"));
  EXPECT_EQ(http().read_response().status, 200);
  EXPECT_TRUE(IsError(http().read_response(), 404));
  EXPECT_TRUE(IsError(http().read_response(), 405));
  const HttpResult last = http().read_response();
  ASSERT_EQ(last.status, 200) << last.body << last.error;
  EXPECT_EQ(last.json(), json::parse(R"({"message_seq":2})"));
  EXPECT_EQ(http().connections_opened(), 1);
}

TEST_F(ConnectionTest, ChunkedBodiesAreAccepted) {
  const std::string g = Id("g");
  const std::string body = json::serialize(SendBody("alice", g, kGroup, "chunked"));
  const size_t half = body.size() / 2;
  auto chunk = [](std::string_view part) {
    char size[16];
    std::snprintf(size, sizeof(size), "%zx", part.size());
    return std::string(size) + "\r\n" + std::string(part) + "\r\n";
  };
  ASSERT_TRUE(
      http().send_raw("POST /message/send HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n" +
                      chunk(std::string_view(body).substr(0, half)) +
                      chunk(std::string_view(body).substr(half)) + "0\r\n\r\n"));
  const HttpResult r = http().read_response();
  ASSERT_EQ(r.status, 200) << r.body << r.error;
  EXPECT_EQ(Int(r.json(), "message_seq"), 1);
}

TEST_F(ConnectionTest, KeepAliveReusesOneConnection) {
  const std::string g = Id("g");
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Send("alice", g, kGroup).is_object());
  EXPECT_EQ(http().get("/health").status, 200);
  EXPECT_EQ(MaxSeq(g, kGroup), 5);
  EXPECT_EQ(http().connections_opened(), 1);
}

TEST_F(ConnectionTest, ConnectionCloseIsHonoured) {
  ASSERT_TRUE(http().send_raw("GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
  EXPECT_EQ(http().read_response().status, 200);
  HttpClient raw(server().host(), server().http_port());
  ASSERT_TRUE(raw.send_raw("GET /health HTTP/1.0\r\n\r\n"));
  const HttpResult r = raw.read_response();
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(raw.peer_closed());
}

TEST_F(ConnectionTest, MalformedHttpIs400WithAJsonBody) {
  for (std::string_view bad :
       {"GARBAGE\r\n\r\n", "GET /health HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n",
        "GET /health HTTP/7\r\nHost: t\r\n\r\n", "POST /message/send HTTP/1.1\r\nHost t\r\n\r\n"}) {
    HttpClient raw(server().host(), server().http_port());
    ASSERT_TRUE(raw.send_raw(bad));
    const HttpResult r = raw.read_response();
    EXPECT_TRUE(IsError(r, 400)) << bad;
  }
  EXPECT_EQ(http().get("/health").status, 200) << "the server survives";
}

TEST_F(ConnectionTest, BodyOverTheHttpLimitIs413) {
  HttpClient raw(server().host(), server().http_port());
  const uint64_t huge = 64ull << 20;  // above any body limit the default config allows
  ASSERT_TRUE(
      raw.send_raw("POST /message/send HTTP/1.1\r\nHost: t\r\nContent-Type: "
                   "application/json\r\nContent-Length: " +
                   std::to_string(huge) + "\r\n\r\n{\"payload\":\""));
  const HttpResult r = raw.read_response();
  EXPECT_TRUE(IsError(r, 413)) << r.error;
  EXPECT_EQ(http().get("/health").status, 200);
}

TEST_F(ConnectionTest, ThousandConcurrentSendsGetSeqsOneToThousand) {
  const std::string g = Id("g");
  constexpr int kThreads = 25;
  constexpr int kPerThread = 40;
  std::mutex mu;
  std::vector<int64_t> seqs;
  std::set<int64_t> ids;
  std::vector<std::string> failures;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      HttpClient client(server().host(), server().http_port());
      for (int i = 0; i < kPerThread; ++i) {
        auto body = SendBody("u" + std::to_string(t), g, kGroup, std::to_string(t * 1000 + i));
        const HttpResult r = client.post("/message/send", body);
        std::lock_guard lock(mu);
        if (r.status != 200) {
          failures.push_back(std::to_string(r.status) + " " + r.body + r.error);
          continue;
        }
        const json::value v = r.json();
        seqs.push_back(Int(v, "message_seq"));
        ids.insert(Int(v, "message_id"));
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(failures.empty()) << failures.size() << " failed, first: " << failures[0];
  std::sort(seqs.begin(), seqs.end());
  std::vector<int64_t> expected;
  for (int i = 1; i <= kThreads * kPerThread; ++i) expected.push_back(i);
  EXPECT_EQ(seqs, expected) << "no gap, no duplicate";
  EXPECT_EQ(ids.size(), expected.size());
  EXPECT_EQ(MaxSeq(g, kGroup), 1000);

  const json::value page =
      SyncChannel("reader", g, kGroup, {{"start_message_seq", 1}, {"limit", 1000}});
  ASSERT_TRUE(page.is_object());
  EXPECT_EQ(Seqs(page.at("messages")), expected);
  EXPECT_EQ(Int(page, "more"), 0);
  std::set<std::string> payloads;
  for (const auto& m : page.at("messages").as_array()) payloads.insert(Text(m));
  EXPECT_EQ(payloads.size(), 1000u) << "every message stored once";
}

TEST_F(ConnectionTest, ConcurrentRetriesOfOneClientMsgNoStoreOneMessage) {
  const std::string g = Id("g");
  constexpr int kThreads = 16;
  std::mutex mu;
  std::set<std::pair<int64_t, int64_t>> answers;  // (message_id, message_seq)
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      HttpClient client(server().host(), server().http_port());
      auto body = SendBody("alice", g, kGroup, "once");
      body["client_msg_no"] = "same";
      const HttpResult r = client.post("/message/send", body);
      std::lock_guard lock(mu);
      if (r.status == 200) {
        answers.emplace(Int(r.json(), "message_id"), Int(r.json(), "message_seq"));
      } else {
        answers.emplace(-r.status, -1);
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(answers.size(), 1u) << "every retry answers the original ids";
  EXPECT_EQ(answers.begin()->second, 1);
  EXPECT_EQ(MaxSeq(g, kGroup), 1);
}

}  // namespace
}  // namespace jindou::testing
