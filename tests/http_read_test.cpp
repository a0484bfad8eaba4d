// POST /messages, POST /message, GET /channel/max_message_seq.
#include "blackbox_test.h"

namespace jindou::testing {
namespace {

class ReadTest : public BlackBoxTest {
 protected:
  static void SetUpTestSuite() { StartServer(); }

  // Sends `count` messages "m1".."mN" with client_msg_no "c1".."cN"; their send responses.
  std::vector<json::value> Fill(const std::string& channel, int count, int type = kGroup,
                                const std::string& from = "alice") {
    std::vector<json::value> out;
    for (int i = 1; i <= count; ++i) {
      auto body = SendBody(from, channel, type, "m" + std::to_string(i));
      body["client_msg_no"] = "c" + std::to_string(i);
      out.push_back(Send(body));
    }
    return out;
  }

  HttpResult Query(const std::string& channel, json::object keys, int type = kGroup) {
    keys["login_uid"] = "reader";
    keys["channel_id"] = channel;
    keys["channel_type"] = type;
    return http().post("/messages", keys);
  }
};

TEST_F(ReadTest, MessagesUnionsTheKeysNewestFirst) {
  const std::string g = Id("g");
  const auto sent = Fill(g, 6);
  ASSERT_EQ(sent.size(), 6u);
  json::object keys{
      {"message_seqs", json::array{1, 3}},
      {"message_ids", json::array{sent[4].at("message_id"), sent[0].at("message_id")}},
      {"client_msg_nos", json::array{"c2", "c3"}}};
  const HttpResult r = Query(g, keys);
  ASSERT_EQ(r.status, 200) << r.body;
  const json::value v = r.json();
  ASSERT_TRUE(v.is_array()) << r.body;
  EXPECT_EQ(Seqs(v), (std::vector<int64_t>{5, 3, 2, 1}));
  for (const auto& m : v.as_array()) {
    EXPECT_EQ(Text(m), "m" + std::to_string(Int(m, "message_seq")));
    EXPECT_EQ(Str(m, "channel_id"), g);
  }
}

TEST_F(ReadTest, MessagesLeavesOutWhatIsMissing) {
  const std::string g = Id("g");
  const auto sent = Fill(g, 2);
  const std::string other = Id("g");
  const auto elsewhere = Fill(other, 1);
  ASSERT_TRUE(elsewhere[0].is_object());
  json::object keys{{"message_seqs", json::array{2, 99}},
                    {"message_ids", json::array{elsewhere[0].at("message_id"), 12345}},
                    {"client_msg_nos", json::array{"nope"}}};
  const HttpResult r = Query(g, keys);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Seqs(r.json()), (std::vector<int64_t>{2}));

  json::object none{{"message_seqs", json::array{7, 8}}};
  const HttpResult empty = Query(g, none);
  ASSERT_EQ(empty.status, 200) << empty.body;
  EXPECT_EQ(empty.json(), json::array());
}

TEST_F(ReadTest, MessagesAcceptsIdsAsDecimalStrings) {
  const std::string g = Id("g");
  const auto sent = Fill(g, 2);
  ASSERT_TRUE(sent[1].is_object());
  json::object keys{{"message_ids", json::array{sent[1].at("message_idstr")}}};
  const HttpResult r = Query(g, keys);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Seqs(r.json()), (std::vector<int64_t>{2}));
}

TEST_F(ReadTest, MessagesNeedsAKey) {
  const std::string g = Id("g");
  EXPECT_TRUE(IsError(Query(g, {}), 400, "message_seqs"));
  json::object empty{{"message_seqs", json::array{}},
                     {"message_ids", json::array{}},
                     {"client_msg_nos", json::array{}}};
  EXPECT_TRUE(IsError(Query(g, empty), 400, "message_seqs"));
}

TEST_F(ReadTest, MessagesTakesAtMost1000Keys) {
  const std::string g = Id("g");
  Fill(g, 1);
  json::array seqs;
  for (int i = 1; i <= 1000; ++i) seqs.push_back(i);
  const HttpResult ok = Query(g, {{"message_seqs", seqs}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(Seqs(ok.json()), (std::vector<int64_t>{1}));
  json::object too_many{{"message_seqs", seqs}, {"client_msg_nos", json::array{"c1"}}};
  EXPECT_TRUE(IsError(Query(g, too_many), 400, "1000"));
  seqs.push_back(1001);
  EXPECT_TRUE(IsError(Query(g, {{"message_seqs", seqs}}), 400, "1000"));
}

TEST_F(ReadTest, MessagesValidatesItsFields) {
  const std::string g = Id("g");
  EXPECT_TRUE(IsError(Query(g, {{"message_seqs", "1"}}), 400, "message_seqs"));
  EXPECT_TRUE(IsError(Query(g, {{"message_seqs", json::array{-1}}}), 400, "message_seqs"));
  EXPECT_TRUE(IsError(Query(g, {{"message_ids", json::array{"x"}}}), 400, "message_ids"));
  EXPECT_TRUE(IsError(Query(g, {{"client_msg_nos", json::array{1}}}), 400, "client_msg_nos"));
  EXPECT_TRUE(IsError(Query(g, {{"message_seqs", json::array{1}}}, 0), 400, "channel_type"));
  EXPECT_TRUE(IsError(Query(g, {{"message_seqs", json::array{1}}}, 300), 400, "channel_type"));
  EXPECT_TRUE(IsError(Query("a#b", {{"message_seqs", json::array{1}}}), 400, "channel_id"));
  EXPECT_TRUE(IsError(http().post("/messages", "{"), 400, "JSON"));
  json::object no_channel{{"login_uid", "reader"}, {"message_seqs", json::array{1}}};
  EXPECT_TRUE(IsError(http().post("/messages", no_channel), 400, "channel_id"));
}

TEST_F(ReadTest, PersonReadsNeedLoginUidUnlessTheIdIsDerived) {
  const std::string a = Id("a");
  const std::string b = Id("b");
  Fill(b, 2, kPerson, a);
  json::object keys{{"channel_id", b}, {"channel_type", kPerson}, {"message_seqs", json::array{1}}};
  EXPECT_TRUE(IsError(http().post("/messages", keys), 400, "login_uid"));
  keys["login_uid"] = a;
  const HttpResult r = http().post("/messages", keys);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(Seqs(r.json()), (std::vector<int64_t>{1}));
  EXPECT_EQ(Str(r.json().as_array()[0], "channel_id"), b);

  json::object find{{"channel_id", b}, {"channel_type", kPerson}, {"client_msg_no", "c1"}};
  EXPECT_TRUE(IsError(http().post("/message", find), 400, "login_uid"));
  EXPECT_TRUE(IsError(http().get("/channel/max_message_seq?channel_id=" + b + "&channel_type=1"),
                      400, "login_uid"));
  json::object sync{{"login_uid", ""}, {"channel_id", b}, {"channel_type", kPerson}};
  EXPECT_TRUE(IsError(http().post("/channel/messagesync", sync), 400, "login_uid"));
}

TEST_F(ReadTest, MessageFindsByIdOrClientMsgNo) {
  const std::string g = Id("g");
  const auto sent = Fill(g, 3);
  ASSERT_TRUE(sent[1].is_object());
  for (const json::value& id : {sent[1].at("message_id"), sent[1].at("message_idstr")}) {
    json::object by_id{
        {"login_uid", "reader"}, {"channel_id", g}, {"channel_type", kGroup}, {"message_id", id}};
    const HttpResult r = http().post("/message", by_id);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(Int(r.json(), "message_seq"), 2);
    EXPECT_EQ(Text(r.json()), "m2");
  }
  json::object by_cmn{{"login_uid", "reader"},
                      {"channel_id", g},
                      {"channel_type", kGroup},
                      {"client_msg_no", "c3"}};
  const HttpResult r = http().post("/message", by_cmn);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Int(r.json(), "message_seq"), 3);
  EXPECT_EQ(Int(r.json(), "message_id"), Int(sent[2], "message_id"));
}

TEST_F(ReadTest, MessageAnswers404WhenAbsent) {
  const std::string g = Id("g");
  const auto sent = Fill(g, 1);
  const auto elsewhere = Fill(Id("g"), 1);
  ASSERT_TRUE(elsewhere[0].is_object());
  const json::value expected = json::parse(R"({"status":404,"msg":"message not found"})");
  const std::vector<std::pair<std::string, json::value>> absent = {
      {"message_id", 42},
      {"message_id", elsewhere[0].at("message_id")},
      {"client_msg_no", "no-such"}};
  for (const auto& [key, value] : absent) {
    json::object body{{"login_uid", "reader"}, {"channel_id", g}, {"channel_type", kGroup}};
    body[key] = value;
    const HttpResult r = http().post("/message", body);
    EXPECT_EQ(r.status, 404) << key << " " << r.body;
    EXPECT_EQ(r.json(), expected) << r.body;
  }
  json::object unknown_channel{{"login_uid", "reader"},
                               {"channel_id", Id("nothing")},
                               {"channel_type", kGroup},
                               {"client_msg_no", "c1"}};
  const HttpResult r = http().post("/message", unknown_channel);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.json(), expected) << r.body;
}

TEST_F(ReadTest, MessageNeedsAnIdOrClientMsgNo) {
  const std::string g = Id("g");
  json::object body{{"login_uid", "reader"}, {"channel_id", g}, {"channel_type", kGroup}};
  EXPECT_TRUE(IsError(http().post("/message", body), 400, "message_id"));
  body["message_id"] = "abc";
  EXPECT_TRUE(IsError(http().post("/message", body), 400, "message_id"));
  body["message_id"] = json::array{};
  EXPECT_TRUE(IsError(http().post("/message", body), 400, "message_id"));
  body.erase("message_id");
  body["client_msg_no"] = 5;
  EXPECT_TRUE(IsError(http().post("/message", body), 400, "client_msg_no"));
}

TEST_F(ReadTest, MaxMessageSeqIsZeroForUnknownChannels) {
  const std::string g = Id("g");
  EXPECT_EQ(MaxSeq(g, kGroup), 0);
  EXPECT_EQ(MaxSeq(Id("a"), kPerson, Id("b")), 0);
  Fill(g, 3);
  EXPECT_EQ(MaxSeq(g, kGroup), 3);
  EXPECT_EQ(MaxSeq(g, 4), 0) << "the channel type is part of the channel";
  const HttpResult r = http().get("/channel/max_message_seq?channel_id=" + g + "&channel_type=2");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json(), json::parse(R"({"message_seq":3})"));
}

TEST_F(ReadTest, MaxMessageSeqValidatesItsQuery) {
  EXPECT_TRUE(IsError(http().get("/channel/max_message_seq?channel_type=2"), 400, "channel_id"));
  EXPECT_TRUE(IsError(http().get("/channel/max_message_seq?channel_id=g"), 400, "channel_type"));
  EXPECT_TRUE(IsError(http().get("/channel/max_message_seq?channel_id=g&channel_type=x"), 400,
                      "channel_type"));
  EXPECT_TRUE(IsError(http().get("/channel/max_message_seq?channel_id=g&channel_type=0"), 400,
                      "channel_type"));
  EXPECT_TRUE(IsError(http().get("/channel/max_message_seq?channel_id=a%26b&channel_type=2"), 400,
                      "channel_id"));
  EXPECT_TRUE(IsError(http().get("/channel/max_message_seq?channel_id=%FF&channel_type=2"), 400,
                      "channel_id"))
      << "ids are UTF-8";
  EXPECT_TRUE(IsError(http().get("/channel/max_message_seq?channel_id=&channel_type=2"), 400,
                      "channel_id"));
  // Only person channels have derived a@b ids.
  EXPECT_TRUE(IsError(http().get("/channel/max_message_seq?channel_id=a%40b&channel_type=2"), 400,
                      "channel_id"));
  EXPECT_TRUE(IsError(http().get("/channel/max_message_seq?channel_id=" + std::string(129, 'x') +
                                 "&channel_type=2"),
                      400, "channel_id"));
}

}  // namespace
}  // namespace jindou::testing
