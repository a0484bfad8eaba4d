// /health, /docs, /docs/openapi.json (and that it lists exactly the routes served), 404 for
// unknown routes, 405 for wrong methods, and the manager token.
#include <map>
#include <set>

#include "blackbox_test.h"

namespace jindou::testing {
namespace {

class OpsTest : public BlackBoxTest {
 protected:
  static void SetUpTestSuite() { StartServer(); }

  // True when the server has no route at `path` for any method.
  bool Unrouted(const std::string& path) {
    for (const char* method : {"GET", "POST"}) {
      const HttpResult r = http().request(method, path, method == std::string("POST") ? "{}" : "");
      if (r.status != 404) return false;
      try {
        if (Str(r.json(), "msg").find("no such endpoint") == std::string::npos) return false;
      } catch (const std::exception&) {
        return false;
      }
    }
    return true;
  }
};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

TEST_F(OpsTest, HealthAnswersOk) {
  const HttpResult r = http().get("/health");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json(), json::parse(R"({"status":"ok"})"));
  EXPECT_EQ(r.header("Content-Type").rfind("application/json", 0), 0u) << r.header("Content-Type");
}

TEST_F(OpsTest, DocsIsAnHtmlPage) {
  const HttpResult r = http().get("/docs");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Lower(r.header("Content-Type")).rfind("text/html", 0), 0u) << r.header("Content-Type");
  EXPECT_NE(Lower(r.body).find("<html"), std::string::npos);
  EXPECT_NE(r.body.find("openapi.json"), std::string::npos)
      << "the page shows the OpenAPI document";
}

TEST_F(OpsTest, OpenApiListsExactlyTheRoutesServed) {
  const HttpResult r = http().get("/docs/openapi.json");
  ASSERT_EQ(r.status, 200);
  json::value doc;
  ASSERT_NO_THROW(doc = r.json());
  ASSERT_TRUE(doc.is_object());
  EXPECT_EQ(Str(doc, "openapi").rfind("3.", 0), 0u);
  ASSERT_TRUE(doc.at("paths").is_object());
  const auto& paths = doc.at("paths").as_object();
  EXPECT_GT(paths.size(), 20u);

  // Every documented operation is served with the documented method.
  std::set<std::string> documented;
  for (const auto& [path, operations] : paths) {
    documented.emplace(path);
    ASSERT_TRUE(operations.is_object()) << path;
    for (const auto& [method, op] : operations.as_object()) {
      std::string upper(method);
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      const HttpResult answer =
          http().request(upper, std::string(path), upper == "POST" ? "{}" : "");
      EXPECT_NE(answer.status, 405) << upper << " " << path << " -> " << answer.body;
      if (answer.status == 404) {
        EXPECT_EQ(Str(answer.json(), "msg").find("no such endpoint"), std::string::npos)
            << upper << " " << path << " is documented but not served";
      }
    }
  }

  // Every path the contract names (and some that exist nowhere) is served exactly when listed.
  const std::vector<std::string> candidates = {"/message/send",
                                               "/message/sendbatch",
                                               "/messages",
                                               "/message",
                                               "/channel/messagesync",
                                               "/channel/max_message_seq",
                                               "/cluster/messages",
                                               "/message/sync",
                                               "/message/syncack",
                                               "/stream/open",
                                               "/stream/close",
                                               "/user/token",
                                               "/user/device_quit",
                                               "/user/onlinestatus",
                                               "/channel",
                                               "/channel/info",
                                               "/channel/delete",
                                               "/channel/subscriber_add",
                                               "/channel/subscriber_remove",
                                               "/channel/blacklist_add",
                                               "/channel/blacklist_set",
                                               "/channel/blacklist_remove",
                                               "/channel/whitelist_add",
                                               "/channel/whitelist_set",
                                               "/channel/whitelist_remove",
                                               "/channel/whitelist",
                                               "/conversation/sync",
                                               "/conversations/clearUnread",
                                               "/conversations/setUnread",
                                               "/conversations/delete",
                                               "/health",
                                               "/docs",
                                               "/docs/openapi.json",
                                               "/varz",
                                               "/connz",
                                               "/conn/kick",
                                               "/metrics",
                                               "/route",
                                               "/route/batch",
                                               "/cluster/nodes",
                                               "/message/search",
                                               "/channels",
                                               "/api",
                                               "/",
                                               "/docs/",
                                               "/message/send/"};
  for (const auto& path : candidates) {
    EXPECT_EQ(documented.count(path) == 1, !Unrouted(path))
        << path
        << (documented.count(path) ? " is documented but not served"
                                   : " is served but not documented");
  }
}

TEST_F(OpsTest, UnknownRouteIs404) {
  for (const char* path : {"/nope", "/message/sendx", "/message/send/extra", "/MESSAGE/SEND"}) {
    EXPECT_TRUE(IsError(http().post(path, "{}"), 404)) << path;
    EXPECT_TRUE(IsError(http().get(path), 404)) << path;
  }
  EXPECT_TRUE(IsError(http().get("/nope?x=1"), 404));
}

TEST_F(OpsTest, WrongMethodIs405) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"GET", "/message/send"}, {"PUT", "/message/send"},   {"DELETE", "/channel"},
      {"GET", "/messages"},     {"POST", "/health"},        {"POST", "/channel/max_message_seq"},
      {"GET", "/message/sync"}, {"PATCH", "/channel/info"}, {"POST", "/docs"}};
  for (const auto& [method, path] : cases) {
    const HttpResult r = http().request(method, path, method == "GET" ? "" : "{}");
    EXPECT_TRUE(IsError(r, 405)) << method << " " << path;
    EXPECT_FALSE(r.header("Allow").empty()) << method << " " << path;
    EXPECT_EQ(r.header("Allow").find(method), std::string::npos) << r.header("Allow");
  }
  EXPECT_EQ(http().get("/message/send").header("Allow"), "POST");
  EXPECT_EQ(http().post("/health", "{}").header("Allow"), "GET");
}

TEST_F(OpsTest, NoAuthModeIsAnnouncedInTheLog) {
  EXPECT_NE(server().log().find("managerToken"), std::string::npos) << server().log();
}

// --- manager token ---

constexpr const char* kToken = "s3cret-token";

class AuthTest : public BlackBoxTest {
 protected:
  static void SetUpTestSuite() {
    ServerOptions options;
    options.args = {"--manager-token", kToken};
    StartServer(std::move(options));
  }
};

TEST_F(AuthTest, RequestsWithoutAValidTokenAre401) {
  const std::string g = Id("g");
  const std::string send = json::serialize(SendBody("alice", g, kGroup));
  const std::vector<Headers> wrong = {{},
                                      {{"Authorization", "Bearer wrong"}},
                                      {{"Authorization", kToken}},
                                      {{"Authorization", std::string("Bearer ") + kToken + "x"}},
                                      {{"Authorization", "Bearer"}},
                                      {{"token", "wrong"}},
                                      {{"token", ""}}};
  for (const auto& headers : wrong) {
    const std::string shown =
        headers.empty() ? "no header" : headers[0].first + ": " + headers[0].second;
    EXPECT_TRUE(IsError(http().post("/message/send", send, headers), 401)) << shown;
    EXPECT_TRUE(
        IsError(http().get("/channel/max_message_seq?channel_id=g&channel_type=2", headers), 401))
        << shown;
    EXPECT_TRUE(IsError(http().get("/cluster/messages", headers), 401)) << shown;
    EXPECT_TRUE(IsError(
        http().post("/channel",
                    json::serialize(json::object{{"channel_id", g}, {"channel_type", 2}}), headers),
        401))
        << shown;
  }
}

// A request the server would refuse is answered before its body is read: a client without the
// token cannot make the server hold a large body (here: never sent).
TEST_F(AuthTest, LargeBodyWithoutTokenIsRefusedBeforeItIsRead) {
  HttpClient client(server().host(), server().http_port());
  ASSERT_TRUE(
      client.send_raw("POST /message/send HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                      "Content-Length: 10000000\r\n\r\n"));
  EXPECT_TRUE(IsError(client.read_response(), 401));
  EXPECT_TRUE(client.peer_closed());
}

// A client that sends its whole request before it reads still gets the refusal: the server
// drops the unread body instead of resetting the connection under the answer.
TEST_F(AuthTest, RefusalReachesAClientThatSentItsWholeBody) {
  for (const std::string path : {"/message/send", "/no/such/route"}) {
    SCOPED_TRACE(path);
    HttpClient client(server().host(), server().http_port());
    const std::string body(2u << 20, ' ');
    ASSERT_TRUE(client.send_raw("POST " + path +
                                " HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                                "Content-Length: " +
                                std::to_string(body.size()) + "\r\n\r\n" + body));
    const HttpResult r = client.read_response();
    EXPECT_TRUE(IsError(r, path == "/message/send" ? 401 : 404)) << r.error;
    EXPECT_TRUE(client.peer_closed());
  }
}

TEST_F(AuthTest, BearerAndTokenHeadersAreAccepted) {
  const std::string g = Id("g");
  const std::string send = json::serialize(SendBody("alice", g, kGroup));
  const HttpResult bearer =
      http().post("/message/send", send, {{"Authorization", std::string("Bearer ") + kToken}});
  ASSERT_EQ(bearer.status, 200) << bearer.body;
  EXPECT_EQ(Int(bearer.json(), "message_seq"), 1);
  const HttpResult token = http().post("/message/send", send, {{"token", kToken}});
  ASSERT_EQ(token.status, 200) << token.body;
  EXPECT_EQ(Int(token.json(), "message_seq"), 2);
  const HttpResult read = http().get("/channel/max_message_seq?channel_id=" + g + "&channel_type=2",
                                     {{"token", kToken}});
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(Int(read.json(), "message_seq"), 2);
}

TEST_F(AuthTest, HealthAndDocsArePublic) {
  EXPECT_EQ(http().get("/health").status, 200);
  EXPECT_EQ(http().get("/docs").status, 200);
  const HttpResult doc = http().get("/docs/openapi.json");
  EXPECT_EQ(doc.status, 200);
  EXPECT_NO_THROW(doc.json());
}

}  // namespace
}  // namespace jindou::testing
