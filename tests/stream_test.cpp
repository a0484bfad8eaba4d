// Streams end to end: /stream/open, chunks through /message/send, /stream/close, the idle end,
// WuKongIM 2.2's /event, assembled reads (stream_v2), EVENT packets to protocol v5 clients while
// v2-v4 clients get the anchor alone, every error case, and kill -9 in the middle of a stream.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "model/base64.h"
#include "wkproto_test.h"

namespace jindou::client {
namespace {

namespace json = boost::json;
using jindou::testing::IsError;

using jindou::testing::kGroup;

class StreamTest : public WkClientTest {
 protected:
  static void SetUpTestSuite() { StartServerWith({"stream.idleTimeout=1s"}); }

  // POST /stream/open; the answer.
  json::value Open(const std::string& channel, std::string_view text = "anchor",
                   json::object extra = {}) {
    extra["from_uid"] = "bot";
    extra["channel_id"] = channel;
    extra["channel_type"] = kGroup;
    extra["payload"] = base64_encode(text);
    return PostOk("/stream/open", extra);
  }
  jindou::testing::HttpResult Chunk(const std::string& stream_no, std::string_view text,
                                    std::string client_msg_no = {}) {
    json::object body{{"stream_no", stream_no}, {"payload", base64_encode(text)}};
    if (!client_msg_no.empty()) body["client_msg_no"] = client_msg_no;
    return http().post("/message/send", body);
  }
  json::value Close(const std::string& stream_no) {
    return PostOk("/stream/close", json::object{{"stream_no", stream_no}});
  }
  // The newest message of `channel` as messagesync with stream_v2 shows it.
  json::value Anchor(const std::string& channel, int stream_v2 = 1) {
    const json::value page =
        SyncChannel("reader", channel, kGroup, json::object{{"stream_v2", stream_v2}});
    const auto& messages = page.at("messages").as_array();
    if (messages.empty()) return nullptr;
    return messages.back();
  }
  static std::string StreamData(const json::value& anchor) {
    return base64_decode(Str(anchor, "stream_data")).value_or("<not base64>");
  }
  // The next EVENT packet `client` receives.
  static std::optional<proto::Event> NextEvent(WkClient& client) {
    auto p = client.wait_packet(
        [](const proto::Packet& packet) { return std::holds_alternative<proto::Event>(packet); },
        kWait);
    if (!p) return std::nullopt;
    return std::get<proto::Event>(*p);
  }
};

TEST_F(StreamTest, OpenHundredChunksCloseAndReadAssembled) {
  const std::string g = Id("g");
  const std::string reader = Id("u");
  Group(g, {"bot", reader});
  const json::value opened = Open(g, "anchor", json::object{{"client_msg_no", Id("c")}});
  const std::string stream_no = Str(opened, "stream_no");
  ASSERT_FALSE(stream_no.empty());
  EXPECT_EQ(Int(opened, "message_seq"), 1);
  std::string expected;
  for (int i = 1; i <= 100; ++i) {
    const std::string piece = "token" + std::to_string(i) + " ";
    const auto r = Chunk(stream_no, piece);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(Int(r.json(), "stream_seq"), i);
    EXPECT_EQ(Int(r.json(), "message_seq"), 1);  // the anchor's
    EXPECT_EQ(Str(r.json(), "stream_no"), stream_no);
    expected += piece;
  }
  json::value anchor = Anchor(g);
  EXPECT_EQ(StreamData(anchor), expected);
  EXPECT_EQ(Int(anchor, "end"), 0);
  Close(stream_no);
  anchor = Anchor(g);
  EXPECT_EQ(StreamData(anchor), expected);
  EXPECT_EQ(Int(anchor, "end"), 1);
  EXPECT_EQ(Int(anchor, "end_reason"), 0);
  // stream_v2 0: the anchor alone.
  const json::value plain = Anchor(g, 0);
  EXPECT_FALSE(plain.as_object().contains("stream_data"));
  EXPECT_EQ(Str(plain, "stream_no"), stream_no);
  // /messages and /message the same way.
  const json::value by_seq = PostOk("/messages", json::object{{"channel_id", g},
                                                              {"channel_type", kGroup},
                                                              {"message_seqs", json::array{1}},
                                                              {"stream_v2", 1}});
  EXPECT_EQ(StreamData(by_seq.as_array().at(0)), expected);
  const json::value one = PostOk("/message", json::object{{"channel_id", g},
                                                          {"channel_type", kGroup},
                                                          {"message_id", Int(opened, "message_id")},
                                                          {"stream_v2", 1}});
  EXPECT_EQ(StreamData(one), expected);
  EXPECT_EQ(Int(one, "end"), 1);
}

TEST_F(StreamTest, ErrorsAreClear) {
  const std::string g = Id("g");
  Group(g, {"bot"});
  EXPECT_TRUE(IsError(Chunk("no-such-stream", "x"), 404, "no-such-stream"));
  EXPECT_TRUE(
      IsError(http().post("/stream/close", json::object{{"stream_no", "nope"}}), 404, "nope"));
  EXPECT_TRUE(IsError(http().post("/stream/close", json::object{}), 400, "stream_no"));
  EXPECT_TRUE(
      IsError(http().post("/message/send", json::object{{"stream_no", "x"}, {"payload", "%%"}}),
              400, "payload"));
  EXPECT_TRUE(IsError(http().post("/stream/open", json::object{{"from_uid", "bot"},
                                                               {"payload", base64_encode("a")}}),
                      400, "channel_id"));
  EXPECT_TRUE(
      IsError(http().post("/stream/open", json::object{{"channel_id", g},
                                                       {"channel_type", kGroup},
                                                       {"header", json::object{{"no_persist", 1}}},
                                                       {"payload", base64_encode("a")}}),
              400, "no_persist"));
  const std::string stream_no = Str(Open(g), "stream_no");
  Close(stream_no);
  EXPECT_TRUE(IsError(Chunk(stream_no, "late"), 400, "closed"));
  // Closing again answers as the first close did.
  EXPECT_EQ(Str(Close(stream_no), "stream_no"), stream_no);
  // Chunks go one at a time.
  const auto batch =
      http().post("/message/sendbatch", json::array{json::object{{"stream_no", stream_no},
                                                                 {"channel_id", g},
                                                                 {"channel_type", kGroup},
                                                                 {"payload", base64_encode("a")}}});
  ASSERT_EQ(batch.status, 200) << batch.body;
  EXPECT_EQ(Int(batch.json().as_array().at(0), "status"), 400);
}

TEST_F(StreamTest, RetriesStoreNothingTwice) {
  const std::string g = Id("g");
  Group(g, {"bot"});
  const std::string c = Id("c");
  const json::value first = Open(g, "a", json::object{{"client_msg_no", c}});
  const json::value again = Open(g, "a", json::object{{"client_msg_no", c}});
  EXPECT_EQ(Str(first, "stream_no"), Str(again, "stream_no"));
  EXPECT_EQ(Int(first, "message_id"), Int(again, "message_id"));
  const std::string stream_no = Str(first, "stream_no");
  ASSERT_EQ(Chunk(stream_no, "one", "k1").status, 200);
  const auto retry = Chunk(stream_no, "one", "k1");
  ASSERT_EQ(retry.status, 200) << retry.body;
  EXPECT_EQ(Int(retry.json(), "stream_seq"), 1);
  EXPECT_EQ(StreamData(Anchor(g)), "one");
  EXPECT_EQ(MaxSeq(g, kGroup), 1);
}

TEST_F(StreamTest, IdleStreamsEndWithReasonTimeout) {
  const std::string g = Id("g");
  Group(g, {"bot"});
  const std::string stream_no = Str(Open(g), "stream_no");
  ASSERT_EQ(Chunk(stream_no, "x").status, 200);
  EXPECT_TRUE(Eventually([&] { return Int(Anchor(g), "end") == 1; }));
  EXPECT_EQ(Int(Anchor(g), "end_reason"), 2);
  EXPECT_TRUE(IsError(Chunk(stream_no, "late"), 400, "closed"));
}

// A v5 client sees the anchor, Start, every chunk in order and End, each EVENT's data being JSON;
// a v4 client in the same channel gets the anchor as a plain RECV, no EVENT, and the next message.
TEST_F(StreamTest, V5ClientsGetEventsOlderClientsTheAnchor) {
  const std::string g = Id("g");
  const std::string v5 = Id("v5");
  const std::string v4 = Id("v4");
  Group(g, {"bot", v5, v4});
  WkClient new_client = Connected(Options(v5, Transport::kTcp, 5));
  WkClient old_client = Connected(Options(v4, Transport::kTcp, 4));
  const std::string cmn = Id("c");
  const json::value opened = Open(g, "anchor", json::object{{"client_msg_no", cmn}});
  const std::string stream_no = Str(opened, "stream_no");
  for (int i = 1; i <= 100; ++i) ASSERT_EQ(Chunk(stream_no, "t" + std::to_string(i)).status, 200);
  Close(stream_no);
  Send("bot", g, kGroup, "after the stream");

  auto anchor = new_client.wait_recv(kWait);
  ASSERT_TRUE(anchor) << new_client.close_reason();
  EXPECT_EQ(anchor->message_id, Int(opened, "message_id"));
  auto start = NextEvent(new_client);
  ASSERT_TRUE(start);
  EXPECT_EQ(start->type, "___TextMessageStart");
  EXPECT_EQ(start->id, cmn);
  const json::value s = json::parse(start->data);
  EXPECT_EQ(Str(s, "stream_no"), stream_no);
  EXPECT_EQ(Str(s, "message_id"), std::to_string(Int(opened, "message_id")));
  EXPECT_EQ(Str(s, "channel_id"), g);
  for (int i = 1; i <= 100; ++i) {
    auto chunk = NextEvent(new_client);
    ASSERT_TRUE(chunk) << "chunk " << i;
    EXPECT_EQ(chunk->type, "___TextMessageContent");
    const json::value c = json::parse(chunk->data);
    EXPECT_EQ(Int(c, "chunk_seq"), i);
    EXPECT_EQ(base64_decode(Str(c, "payload")), "t" + std::to_string(i));
  }
  auto end = NextEvent(new_client);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->type, "___TextMessageEnd");
  EXPECT_EQ(Int(json::parse(end->data), "end_reason"), 0);
  ASSERT_TRUE(new_client.wait_recv(kWait));  // the next message

  auto old_anchor = old_client.wait_recv(kWait);
  ASSERT_TRUE(old_anchor) << old_client.close_reason();
  EXPECT_EQ(old_anchor->message_id, Int(opened, "message_id"));
  EXPECT_EQ(old_anchor->setting & (kSettingStream | kSettingLegacyStream), 0);
  auto next = old_client.wait_recv(kWait);
  ASSERT_TRUE(next) << old_client.close_reason();
  EXPECT_EQ(next->payload, "after the stream");
  EXPECT_TRUE(old_client.ping(kWait));
  for (size_t i = old_client.queued(); i > 0; --i) {
    auto p = old_client.next_packet(kWait);
    ASSERT_TRUE(p);
    EXPECT_FALSE(std::holds_alternative<proto::Event>(*p));
  }
}

// WuKongIM 2.2's /event: Start opens a stream keyed by client_msg_no, Content appends its data
// (the EVENT carries the data unchanged), End closes it (data "error": end_reason 1); other
// types are relayed to v5 clients.
TEST_F(StreamTest, EventApiDrivesTheSameStreams) {
  const std::string g = Id("g");
  const std::string v5 = Id("v5");
  Group(g, {"bot", v5});
  WkClient client = Connected(Options(v5, Transport::kTcp, 5));
  const std::string cmn = Id("c");
  auto event = [&](std::string type, json::value data) {
    return http().post("/event", json::object{{"client_msg_no", cmn},
                                              {"channel_id", g},
                                              {"channel_type", kGroup},
                                              {"from_uid", "bot"},
                                              {"event", json::object{{"id", "same-id"},
                                                                     {"type", type},
                                                                     {"timestamp", NowMs()},
                                                                     {"data", data}}}});
  };
  ASSERT_EQ(event("___TextMessageStart", "Hello").status, 200);
  ASSERT_EQ(event("___TextMessageContent", ", world").status, 200);
  ASSERT_EQ(event("___TextMessageContent", json::object{{"delta", "!"}}).status, 200);
  ASSERT_TRUE(IsOk(event("typing", json::object{{"uid", "bot"}})));
  ASSERT_EQ(event("___TextMessageEnd", "error").status, 200);

  ASSERT_TRUE(client.wait_recv(kWait));
  auto start = NextEvent(client);
  ASSERT_TRUE(start);
  EXPECT_EQ(start->type, "___TextMessageStart");
  EXPECT_EQ(Str(json::parse(start->data), "stream_no"), cmn);
  auto first = NextEvent(client);
  ASSERT_TRUE(first);
  EXPECT_EQ(json::parse(first->data), json::value(", world"));
  auto second = NextEvent(client);
  ASSERT_TRUE(second);
  EXPECT_EQ(json::parse(second->data), (json::object{{"delta", "!"}}));
  auto typing = NextEvent(client);
  ASSERT_TRUE(typing);
  EXPECT_EQ(typing->type, "typing");
  EXPECT_EQ(json::parse(typing->data), (json::object{{"uid", "bot"}}));
  auto end = NextEvent(client);
  ASSERT_TRUE(end);
  EXPECT_EQ(Int(json::parse(end->data), "end_reason"), 1);

  const json::value anchor = Anchor(g);
  EXPECT_EQ(Text(anchor), "Hello");
  EXPECT_EQ(StreamData(anchor), R"(, world{"delta":"!"})");
  EXPECT_EQ(Int(anchor, "end_reason"), 1);
  EXPECT_TRUE(IsError(event("___TextMessageContent", "late"), 400, "closed"));
  // The same client_msg_no cannot name a second stream elsewhere.
  const std::string other = Id("g");
  Group(other, {"bot"});
  EXPECT_TRUE(IsError(
      http().post("/event", json::object{{"client_msg_no", cmn},
                                         {"channel_id", other},
                                         {"channel_type", kGroup},
                                         {"from_uid", "bot"},
                                         {"event", json::object{{"type", "___TextMessageStart"},
                                                                {"data", "x"}}}}),
      400, cmn));
  EXPECT_EQ(StreamData(Anchor(g)), R"(, world{"delta":"!"})");
  EXPECT_TRUE(IsError(http().post("/event", json::object{{"channel_id", g},
                                                         {"channel_type", kGroup},
                                                         {"event", json::object{}}}),
                      400, "event.type"));
}

// A chunk fits one EVENT packet; a stream holds at most 32 MiB; one read answer carries at most
// 32 MiB of assembled streams. Each limit answers 413 and says which.
TEST_F(StreamTest, ChunksStreamsAndAnswersAreBounded) {
  const std::string g = Id("g");
  Group(g, {"bot"});
  const std::string big = Str(Open(g), "stream_no");
  EXPECT_TRUE(IsError(Chunk(big, std::string(1 << 20, 'x')), 413, "chunk"));
  const std::string piece(700 * 1024, 'x');
  int stored = 0;
  for (;;) {
    const auto r = Chunk(big, piece);
    if (r.status != 200) {
      EXPECT_TRUE(IsError(r, 413, "32 MiB"));
      break;
    }
    ASSERT_LT(++stored, 100);
  }
  EXPECT_EQ(stored, (32 << 20) / (700 * 1024));
  const std::string small = Str(Open(g), "stream_no");
  ASSERT_EQ(Chunk(small, piece).status, 200);
  // Both anchors in one answer: over the limit. Each alone: fine.
  const auto both = http().post(
      "/channel/messagesync",
      json::object{
          {"login_uid", "reader"}, {"channel_id", g}, {"channel_type", kGroup}, {"stream_v2", 1}});
  EXPECT_TRUE(IsError(both, 413, "32 MiB"));
  const json::value page =
      SyncChannel("reader", g, kGroup, json::object{{"stream_v2", 1}, {"start_message_seq", 2}});
  ASSERT_EQ(page.at("messages").as_array().size(), 1u);
  EXPECT_EQ(StreamData(page.at("messages").as_array().at(0)).size(), piece.size());
  const json::value anchors = Anchor(g, 0);
  EXPECT_EQ(Str(anchors, "stream_no"), small);
}

class StreamRestartTest : public ::testing::Test {};

TEST_F(StreamRestartTest, KillNineKeepsAcknowledgedChunks) {
  ServerOptions options;
  options.args = {"-o", "stream.idleTimeout=1h"};
  ServerProcess server(options);
  server.start();
  jindou::testing::HttpClient http(server.host(), server.http_port());
  auto post = [&](std::string_view path, const json::object& body) {
    auto r = http.post(path, body);
    EXPECT_EQ(r.status, 200) << path << " " << r.body;
    return r.json();
  };
  const json::value opened = post("/stream/open", json::object{{"from_uid", "bot"},
                                                               {"channel_id", "g"},
                                                               {"channel_type", kGroup},
                                                               {"payload", base64_encode("a")}});
  const std::string stream_no = Str(opened, "stream_no");
  std::string expected;
  for (int i = 0; i < 50; ++i) {
    const std::string piece = std::to_string(i) + ",";
    post("/message/send", json::object{{"stream_no", stream_no},
                                       {"payload", base64_encode(piece)},
                                       {"client_msg_no", "k" + std::to_string(i)}});
    expected += piece;
  }
  server.kill9();
  server.start();
  jindou::testing::HttpClient again(server.host(), server.http_port());
  // A chunk retried after the crash is answered with its first stream_seq and stored once.
  auto retried = again.post("/message/send", json::object{{"stream_no", stream_no},
                                                          {"payload", base64_encode("7,")},
                                                          {"client_msg_no", "k7"}});
  ASSERT_EQ(retried.status, 200) << retried.body;
  EXPECT_EQ(Int(retried.json(), "stream_seq"), 8);
  auto r = again.post("/message/send",
                      json::object{{"stream_no", stream_no}, {"payload", base64_encode("end")}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Int(r.json(), "stream_seq"), 51);
  expected += "end";
  ASSERT_EQ(again.post("/stream/close", json::object{{"stream_no", stream_no}}).status, 200);
  const auto page = again.post("/channel/messagesync", json::object{{"login_uid", "reader"},
                                                                    {"channel_id", "g"},
                                                                    {"channel_type", kGroup},
                                                                    {"stream_v2", 1}});
  ASSERT_EQ(page.status, 200) << page.body;
  const json::value body = page.json();
  const json::value& anchor = body.at("messages").as_array().at(0);
  EXPECT_EQ(base64_decode(Str(anchor, "stream_data")), expected);
  EXPECT_EQ(Int(anchor, "end"), 1);
}

}  // namespace
}  // namespace jindou::client
