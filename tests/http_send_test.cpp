// POST /message/send: ids and sequence numbers, person channels, idempotency, validation.
#include <chrono>
#include <set>

#include "blackbox_test.h"

namespace jindou::testing {
namespace {

constexpr int kMaxPayload = 1024;

class SendTest : public BlackBoxTest {
 protected:
  static void SetUpTestSuite() {
    StartServerWith({"message.maxPayloadBytes=" + std::to_string(kMaxPayload)});
  }

  // POST /message with `key` = `value` in the channel; the HTTP answer.
  HttpResult Find(std::string_view channel, int type, std::string_view key,
                  const json::value& value, std::string_view login_uid = "reader") {
    json::object body{{"login_uid", login_uid}, {"channel_id", channel}, {"channel_type", type}};
    body[key] = value;
    return http().post("/message", body);
  }
};

TEST_F(SendTest, AnswersWithIdsSeqAndClientMsgNo) {
  const std::string g = Id("g");
  auto body = SendBody("alice", g, kGroup);
  body["client_msg_no"] = "cmn-1";
  const json::value first = Send(body);
  ASSERT_TRUE(first.is_object());
  ASSERT_TRUE(first.at("message_id").is_int64() || first.at("message_id").is_uint64());
  EXPECT_GT(Int(first, "message_id"), 0);
  EXPECT_EQ(Str(first, "message_idstr"), std::to_string(Int(first, "message_id")));
  EXPECT_EQ(Int(first, "message_seq"), 1);
  EXPECT_EQ(Str(first, "client_msg_no"), "cmn-1");

  const json::value second = Send("alice", g, kGroup);
  ASSERT_TRUE(second.is_object());
  EXPECT_EQ(Int(second, "message_seq"), 2);
  EXPECT_NE(Int(second, "message_id"), Int(first, "message_id"));
  EXPECT_EQ(MaxSeq(g, kGroup), 2);
}

TEST_F(SendTest, GeneratesA32HexClientMsgNoWhenEmpty) {
  const std::string g = Id("g");
  std::set<std::string> seen;
  for (int i = 0; i < 3; ++i) {
    const json::value r = Send("alice", g, kGroup);
    ASSERT_TRUE(r.is_object());
    const std::string cmn = Str(r, "client_msg_no");
    EXPECT_EQ(cmn.size(), 32u) << cmn;
    EXPECT_EQ(cmn.find_first_not_of("0123456789abcdefABCDEF"), std::string::npos) << cmn;
    seen.insert(cmn);
  }
  EXPECT_EQ(seen.size(), 3u);
}

TEST_F(SendTest, StoredMessageCarriesEveryField) {
  const std::string g = Id("g");
  auto body = SendBody("alice", g, kGroup, "Hello");
  body["header"] = {{"no_persist", 0}, {"red_dot", 1}, {"sync_once", 0}};
  body["tag_key"] = "important";
  body["client_msg_no"] = "full-1";
  const json::value sent = Send(body);
  ASSERT_TRUE(sent.is_object());
  const HttpResult r = Find(g, kGroup, "message_id", sent.at("message_id"));
  ASSERT_EQ(r.status, 200) << r.body;
  const json::value m = r.json();
  EXPECT_EQ(Int(m, "message_id"), Int(sent, "message_id"));
  EXPECT_EQ(Str(m, "message_idstr"), Str(sent, "message_idstr"));
  EXPECT_EQ(Int(m, "message_seq"), 1);
  EXPECT_EQ(Str(m, "client_msg_no"), "full-1");
  EXPECT_EQ(Str(m, "from_uid"), "alice");
  EXPECT_EQ(Str(m, "channel_id"), g);
  EXPECT_EQ(Int(m, "channel_type"), kGroup);
  EXPECT_EQ(Str(m, "target_uid"), g);
  EXPECT_EQ(Str(m, "payload"), "SGVsbG8=");
  EXPECT_EQ(Int(m, "setting"), 0);
  EXPECT_EQ(Int(m, "expire"), 0);
  EXPECT_EQ(m.at("header"), json::parse(R"({"no_persist":0,"red_dot":1,"sync_once":0})"));
  EXPECT_EQ(Str(m, "tag_key"), "important");
  EXPECT_FALSE(m.as_object().contains("stream_no")) << "stream_no is present only when set";
  // Unix seconds, written by this machine's clock.
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  EXPECT_NEAR(static_cast<double>(Int(m, "timestamp")), static_cast<double>(now), 120.0);
}

TEST_F(SendTest, TagKeyIsAbsentWhenNotSet) {
  const std::string g = Id("g");
  const json::value sent = Send("alice", g, kGroup);
  ASSERT_TRUE(sent.is_object());
  const HttpResult r = Find(g, kGroup, "message_id", sent.at("message_id"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(r.json().as_object().contains("tag_key")) << r.body;
}

TEST_F(SendTest, EmptyFromUidIsTheSystemSender) {
  const std::string g = Id("g");
  json::object body{{"channel_id", g}, {"channel_type", kGroup}, {"payload", "aGk="}};
  const json::value sent = Send(body);
  ASSERT_TRUE(sent.is_object());
  const HttpResult r = Find(g, kGroup, "message_id", sent.at("message_id"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Str(r.json(), "from_uid"), "____system");
}

TEST_F(SendTest, BothDirectionsOfAPersonChannelShareOneSequence) {
  const std::string a = Id("a");
  const std::string b = Id("b");
  const json::value r1 = Send(a, b, kPerson, "one");
  const json::value r2 = Send(b, a, kPerson, "two");
  const json::value r3 = Send(a, b, kPerson, "three");
  ASSERT_TRUE(r1.is_object() && r2.is_object() && r3.is_object());
  EXPECT_EQ(Int(r1, "message_seq"), 1);
  EXPECT_EQ(Int(r2, "message_seq"), 2);
  EXPECT_EQ(Int(r3, "message_seq"), 3);
  EXPECT_EQ(MaxSeq(b, kPerson, a), 3);
  EXPECT_EQ(MaxSeq(a, kPerson, b), 3);

  // channel_id is the peer of login_uid; target_uid the party that is not from_uid.
  for (const auto& [login, peer] : {std::pair{a, b}, std::pair{b, a}}) {
    const json::value page = SyncChannel(login, peer, kPerson);
    ASSERT_TRUE(page.is_object());
    const auto& messages = page.at("messages").as_array();
    ASSERT_EQ(messages.size(), 3u);
    for (const auto& m : messages) {
      EXPECT_EQ(Str(m, "channel_id"), peer) << json::serialize(m);
      EXPECT_EQ(Str(m, "target_uid"), Str(m, "from_uid") == a ? b : a) << json::serialize(m);
    }
    EXPECT_EQ(Text(messages[1]), "two");
  }
}

TEST_F(SendTest, PersonChannelIdFollowsTheCrcRule) {
  // crc32("bob") > crc32("alice"); "u9990985" and "u16400040" have equal crc32 (wkproto.md).
  ASSERT_TRUE(Send("alice", "bob", kPerson).is_object());
  ASSERT_TRUE(Send("bob", "alice", kPerson).is_object());
  EXPECT_EQ(MaxSeq("bob@alice", kPerson), 2);
  EXPECT_EQ(MaxSeq("alice@bob", kPerson), 0);
  // A reader that is neither party sees the party that is not the sender as channel_id.
  const json::value page = SyncChannel("carol", "bob@alice", kPerson);
  ASSERT_TRUE(page.is_object());
  ASSERT_EQ(page.at("messages").as_array().size(), 2u);
  EXPECT_EQ(Str(page.at("messages").as_array()[0], "channel_id"), "bob");
  EXPECT_EQ(Str(page.at("messages").as_array()[0], "target_uid"), "bob");
  EXPECT_EQ(Str(page.at("messages").as_array()[1], "channel_id"), "alice");
  EXPECT_EQ(Str(page.at("messages").as_array()[1], "target_uid"), "alice");

  ASSERT_TRUE(Send("u16400040", "u9990985", kPerson).is_object());
  ASSERT_TRUE(Send("u9990985", "u16400040", kPerson).is_object());
  EXPECT_EQ(MaxSeq("u9990985@u16400040", kPerson), 2);
  EXPECT_EQ(MaxSeq("u16400040@u9990985", kPerson), 0);
}

TEST_F(SendTest, RetryWithTheSameClientMsgNoStoresNothing) {
  const std::string g = Id("g");
  auto body = SendBody("alice", g, kGroup, "first");
  body["client_msg_no"] = "retry-1";
  const json::value original = Send(body);
  ASSERT_TRUE(original.is_object());
  ASSERT_TRUE(Send("alice", g, kGroup, "other").is_object());

  body["payload"] = base64_encode("second");
  const json::value retry = Send(body);
  ASSERT_TRUE(retry.is_object());
  EXPECT_EQ(Int(retry, "message_id"), Int(original, "message_id"));
  EXPECT_EQ(Str(retry, "message_idstr"), Str(original, "message_idstr"));
  EXPECT_EQ(Int(retry, "message_seq"), 1);
  EXPECT_EQ(Str(retry, "client_msg_no"), "retry-1");
  EXPECT_EQ(MaxSeq(g, kGroup), 2);
  const HttpResult stored = Find(g, kGroup, "client_msg_no", json::value("retry-1"));
  ASSERT_EQ(stored.status, 200) << stored.body;
  EXPECT_EQ(Text(stored.json()), "first");

  // Idempotency is per (channel, from_uid, client_msg_no).
  auto other_sender = SendBody("bob", g, kGroup);
  other_sender["client_msg_no"] = "retry-1";
  const json::value r = Send(other_sender);
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(Int(r, "message_seq"), 3);
  auto other_channel = SendBody("alice", Id("g"), kGroup);
  other_channel["client_msg_no"] = "retry-1";
  const json::value r2 = Send(other_channel);
  ASSERT_TRUE(r2.is_object());
  EXPECT_EQ(Int(r2, "message_seq"), 1);
  EXPECT_NE(Int(r2, "message_id"), Int(original, "message_id"));
}

TEST_F(SendTest, NoPersistIsNotStored) {
  const std::string g = Id("g");
  auto body = SendBody("alice", g, kGroup);
  body["header"] = {{"no_persist", 1}};
  const json::value r = Send(body);
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(Int(r, "message_seq"), 0);
  EXPECT_GT(Int(r, "message_id"), 0);
  EXPECT_EQ(MaxSeq(g, kGroup), 0);
  EXPECT_TRUE(IsError(Find(g, kGroup, "message_id", r.at("message_id")), 404));
}

TEST_F(SendTest, SubscribersWithoutAChannelAnswerSeqZero) {
  json::object body{{"from_uid", "alice"},
                    {"subscribers", json::array{"u1", "u2"}},
                    {"payload", base64_encode("temp")}};
  const json::value r = Send(body);
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(Int(r, "message_seq"), 0);
  EXPECT_GT(Int(r, "message_id"), 0);
}

TEST_F(SendTest, ChannelTypesAbove4BehaveLikeGroups) {
  for (int type : {3, 4, 5, 200, 255}) {
    const std::string c = Id("c");
    const json::value r = Send("alice", c, type);
    ASSERT_TRUE(r.is_object()) << "channel_type " << type;
    EXPECT_EQ(Int(r, "message_seq"), 1);
    EXPECT_EQ(MaxSeq(c, type), 1);
  }
}

TEST_F(SendTest, UnknownFieldsAreIgnored) {
  const std::string g = Id("g");
  auto body = SendBody("alice", g, kGroup);
  body["no_such_field"] = json::object{{"nested", 1}};
  body["header"] = {{"red_dot", 1}, {"future_flag", 1}};
  const json::value r = Send(body);
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(Int(r, "message_seq"), 1);
}

TEST_F(SendTest, UnknownStreamNoIs404) {
  const std::string g = Id("g");
  auto body = SendBody("alice", g, kGroup);
  body["stream_no"] = "no-such-stream";
  EXPECT_TRUE(IsSendError(http().post("/message/send", body), 404, "stream_no"));
  EXPECT_EQ(MaxSeq(g, kGroup), 0);
}

TEST_F(SendTest, MalformedBodiesAre400) {
  for (std::string_view body : {"{", "", "[1,2]", "\"text\"", "{\"a\":1}x"}) {
    EXPECT_TRUE(IsSendError(http().post("/message/send", body), 400, "")) << body;
  }
  EXPECT_TRUE(IsSendError(http().post("/message/send", "{"), 400, "JSON"));
}

TEST_F(SendTest, FieldsOfTheWrongJsonTypeAre400NamingTheField) {
  const std::vector<std::pair<std::string, json::value>> cases = {
      {"channel_type", "2"}, {"payload", 123},     {"from_uid", 5},
      {"channel_id", true},  {"client_msg_no", 7}, {"expire", "5"},
      {"subscribers", "u1"}, {"header", "x"},      {"tag_key", json::array{}},
      {"channel_type", 2.5}, {"expire", -1},
  };
  for (const auto& [field, value] : cases) {
    auto body = SendBody("alice", Id("g"), kGroup);
    body[field] = value;
    EXPECT_TRUE(IsSendError(http().post("/message/send", body), 400, field))
        << field << "=" << json::serialize(value);
  }
  auto body = SendBody("alice", Id("g"), kGroup);
  body["header"] = {{"red_dot", "1"}};
  EXPECT_TRUE(IsSendError(http().post("/message/send", body), 400, "red_dot"));
}

TEST_F(SendTest, MissingFieldsAre400NamingTheField) {
  auto no_payload = SendBody("alice", Id("g"), kGroup);
  no_payload.erase("payload");
  EXPECT_TRUE(IsSendError(http().post("/message/send", no_payload), 400, "payload"));
  auto no_channel = SendBody("alice", Id("g"), kGroup);
  no_channel.erase("channel_id");
  EXPECT_TRUE(IsSendError(http().post("/message/send", no_channel), 400, "channel_id"));
  auto no_type = SendBody("alice", Id("g"), kGroup);
  no_type.erase("channel_type");
  EXPECT_TRUE(IsSendError(http().post("/message/send", no_type), 400, "channel_type"));
}

TEST_F(SendTest, BadBase64Is400) {
  for (std::string_view payload : {"not base64!", "%%%%", "aGk=aGk=x", "a"}) {
    auto body = SendBody("alice", Id("g"), kGroup);
    body["payload"] = payload;
    EXPECT_TRUE(IsSendError(http().post("/message/send", body), 400, "payload")) << payload;
  }
}

TEST_F(SendTest, ChannelTypeOutOfRangeIs400) {
  for (int type : {0, 256, 300, -1}) {
    auto body = SendBody("alice", Id("g"), type);
    EXPECT_TRUE(IsSendError(http().post("/message/send", body), 400, "channel_type")) << type;
  }
}

TEST_F(SendTest, BadIdsAre400NamingTheField) {
  const std::vector<std::string> bad = {
      "a@b", "a#b", "a&b", std::string("a\x01z", 3), "a\tb", "a\x7f", std::string(129, 'x')};
  for (const auto& id : bad) {
    auto from = SendBody(id, Id("g"), kGroup);
    EXPECT_TRUE(IsSendError(http().post("/message/send", from), 400, "from_uid")) << id;
    auto channel = SendBody("alice", id, kGroup);
    EXPECT_TRUE(IsSendError(http().post("/message/send", channel), 400, "channel_id")) << id;
    auto person = SendBody("alice", id, kPerson);
    EXPECT_TRUE(IsSendError(http().post("/message/send", person), 400, "channel_id")) << id;
    auto subscribers = SendBody("alice", Id("g"), kGroup);
    subscribers["subscribers"] = json::array{"ok", json::value(id)};
    EXPECT_TRUE(IsSendError(http().post("/message/send", subscribers), 400, "subscribers")) << id;
  }
  // 128 bytes is the longest id.
  const std::string longest(128, 'y');
  EXPECT_TRUE(Send(longest, longest, kGroup).is_object());
}

TEST_F(SendTest, PayloadOverMaxPayloadBytesIs413) {
  const std::string g = Id("g");
  const json::value ok = Send("alice", g, kGroup, std::string(kMaxPayload, 'p'));
  ASSERT_TRUE(ok.is_object());
  const HttpResult r =
      http().post("/message/send", SendBody("alice", g, kGroup, std::string(kMaxPayload + 1, 'p')));
  EXPECT_TRUE(IsSendError(r, 413, "payload"));
  EXPECT_EQ(MaxSeq(g, kGroup), 1);
}

}  // namespace
}  // namespace jindou::testing
