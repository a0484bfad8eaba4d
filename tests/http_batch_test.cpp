// POST /message/sendbatch: form A (array of sends) and form B (one message to many uids).
#include "blackbox_test.h"

namespace jindou::testing {
namespace {

constexpr int kMaxBatch = 3;

class BatchTest : public BlackBoxTest {
 protected:
  static void SetUpTestSuite() {
    StartServerWith({"message.maxBatch=" + std::to_string(kMaxBatch)});
  }

  HttpResult Batch(const json::array& items) { return http().post("/message/sendbatch", items); }
};

json::object WithClientMsgNo(json::object body, std::string_view cmn) {
  body["client_msg_no"] = cmn;
  return body;
}

TEST_F(BatchTest, ArrayAnswersEachItemInOrder) {
  const std::string g1 = Id("g");
  const std::string g2 = Id("g");
  const HttpResult r = Batch({WithClientMsgNo(SendBody("alice", g1, kGroup, "a"), "b-1"),
                              WithClientMsgNo(SendBody("alice", g2, kGroup, "b"), "b-2"),
                              WithClientMsgNo(SendBody("bob", g1, kGroup, "c"), "b-3")});
  ASSERT_EQ(r.status, 200) << r.body;
  const json::value v = r.json();
  ASSERT_TRUE(v.is_array()) << r.body;
  const auto& results = v.as_array();
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(Str(results[0], "client_msg_no"), "b-1");
  EXPECT_EQ(Str(results[1], "client_msg_no"), "b-2");
  EXPECT_EQ(Str(results[2], "client_msg_no"), "b-3");
  EXPECT_EQ(Int(results[0], "message_seq"), 1);
  EXPECT_EQ(Int(results[1], "message_seq"), 1);
  EXPECT_EQ(Int(results[2], "message_seq"), 2);
  for (const auto& item : results) {
    EXPECT_GT(Int(item, "message_id"), 0);
    EXPECT_EQ(Str(item, "message_idstr"), std::to_string(Int(item, "message_id")));
  }
  EXPECT_EQ(MaxSeq(g1, kGroup), 2);
  EXPECT_EQ(MaxSeq(g2, kGroup), 1);
  const json::value page = SyncChannel("reader", g1, kGroup);
  ASSERT_TRUE(page.is_object());
  ASSERT_EQ(page.at("messages").as_array().size(), 2u);
  EXPECT_EQ(Text(page.at("messages").as_array()[0]), "a");
  EXPECT_EQ(Text(page.at("messages").as_array()[1]), "c");
}

TEST_F(BatchTest, RefusedItemsAnswerInPlaceAndTheRestSucceed) {
  const std::string ok1 = Id("g");
  const std::string gone = Id("g");
  const std::string ok2 = Id("g");
  ASSERT_TRUE(
      IsOk(http().post("/channel", json::object{{"channel_id", gone}, {"channel_type", kGroup}})));
  ASSERT_TRUE(IsOk(http().post("/channel/delete",
                               json::object{{"channel_id", gone}, {"channel_type", kGroup}})));
  const HttpResult r = Batch({SendBody("alice", ok1, kGroup), SendBody("alice", gone, kGroup),
                              SendBody("alice", ok2, kGroup)});
  ASSERT_EQ(r.status, 200) << r.body;
  const json::value v = r.json();
  const auto& results = v.as_array();
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(Int(results[0], "message_seq"), 1);
  EXPECT_EQ(Int(results[1], "status"), 403) << json::serialize(results[1]);
  EXPECT_EQ(Int(results[1], "reason_code"), 24) << json::serialize(results[1]);
  EXPECT_FALSE(Str(results[1], "msg").empty());
  EXPECT_FALSE(results[1].as_object().contains("message_id"));
  EXPECT_EQ(Int(results[2], "message_seq"), 1);
  EXPECT_EQ(MaxSeq(ok1, kGroup), 1);
  EXPECT_EQ(MaxSeq(gone, kGroup), 0);
  EXPECT_EQ(MaxSeq(ok2, kGroup), 1);
}

TEST_F(BatchTest, RepeatedClientMsgNoInOneBatchIsStoredOnce) {
  const std::string g = Id("g");
  const HttpResult r = Batch({WithClientMsgNo(SendBody("alice", g, kGroup, "x"), "dup"),
                              WithClientMsgNo(SendBody("alice", g, kGroup, "y"), "dup")});
  ASSERT_EQ(r.status, 200) << r.body;
  const json::value v = r.json();
  const auto& results = v.as_array();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(Int(results[0], "message_id"), Int(results[1], "message_id"));
  EXPECT_EQ(Int(results[0], "message_seq"), 1);
  EXPECT_EQ(Int(results[1], "message_seq"), 1);
  EXPECT_EQ(MaxSeq(g, kGroup), 1);
}

// Stream chunks go one at a time (/message/send): in a batch they are refused in place.
TEST_F(BatchTest, StreamChunkItemAnswersInPlace) {
  const std::string g = Id("g");
  auto chunk = SendBody("alice", g, kGroup);
  chunk["stream_no"] = "no-such-stream";
  const HttpResult r = Batch({SendBody("alice", g, kGroup), chunk, SendBody("alice", g, kGroup)});
  ASSERT_EQ(r.status, 200) << r.body;
  const json::value v = r.json();
  const auto& results = v.as_array();
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(Int(results[0], "message_seq"), 1);
  EXPECT_EQ(Int(results[1], "status"), 400) << json::serialize(results[1]);
  EXPECT_NE(Str(results[1], "msg").find("/message/send"), std::string::npos);
  EXPECT_TRUE(results[1].as_object().contains("reason_code"));
  EXPECT_EQ(Int(results[2], "message_seq"), 2);
  EXPECT_EQ(MaxSeq(g, kGroup), 2);
}

TEST_F(BatchTest, AnInvalidItemRejectsTheWholeCallWithItsIndex) {
  const std::string g = Id("g");
  auto bad = SendBody("alice", g, kGroup);
  bad["channel_type"] = 0;
  const HttpResult r = Batch({SendBody("alice", g, kGroup), bad, SendBody("alice", g, kGroup)});
  EXPECT_TRUE(IsSendError(r, 400, "channel_type"));
  ASSERT_EQ(r.status, 400);
  ASSERT_TRUE(r.json().as_object().contains("index")) << r.body;
  EXPECT_EQ(Int(r.json(), "index"), 1);
  EXPECT_EQ(MaxSeq(g, kGroup), 0) << "nothing of a rejected batch is sent";

  auto no_payload = SendBody("alice", g, kGroup);
  no_payload.erase("payload");
  const HttpResult r2 = Batch({no_payload, SendBody("alice", g, kGroup)});
  EXPECT_TRUE(IsSendError(r2, 400, "payload"));
  ASSERT_EQ(r2.status, 400);
  EXPECT_EQ(Int(r2.json(), "index"), 0);

  const HttpResult r3 = Batch({SendBody("alice", g, kGroup), SendBody("alice", g, kGroup), 5});
  EXPECT_TRUE(IsSendError(r3, 400, ""));
  ASSERT_EQ(r3.status, 400);
  EXPECT_EQ(Int(r3.json(), "index"), 2);
  EXPECT_EQ(MaxSeq(g, kGroup), 0);
}

TEST_F(BatchTest, MoreItemsThanMaxBatchIs413) {
  const std::string g = Id("g");
  json::array items;
  for (int i = 0; i < kMaxBatch; ++i) items.push_back(SendBody("alice", g, kGroup));
  const HttpResult full = Batch(items);
  ASSERT_EQ(full.status, 200) << full.body;
  EXPECT_EQ(full.json().as_array().size(), static_cast<size_t>(kMaxBatch));
  items.push_back(SendBody("alice", g, kGroup));
  EXPECT_TRUE(IsSendError(Batch(items), 413, ""));
  EXPECT_EQ(MaxSeq(g, kGroup), kMaxBatch);
}

TEST_F(BatchTest, BodyThatIsNeitherArrayNorObjectIs400) {
  for (std::string_view body : {"5", "\"x\"", "{", "", "null"}) {
    EXPECT_TRUE(IsError(http().post("/message/sendbatch", body), 400)) << body;
  }
}

TEST_F(BatchTest, SubscribersFormSendsOnePersonMessageToEachUid) {
  const std::string from = Id("from");
  const std::string u1 = Id("u");
  const std::string u2 = Id("u");
  json::object body{{"header", {{"red_dot", 1}}},
                    {"from_uid", from},
                    {"subscribers", json::array{json::value(u1), json::value(u2)}},
                    {"payload", base64_encode("hi all")}};
  const HttpResult r = http().post("/message/sendbatch", body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json(), json::parse(R"({"fail_uids":[],"reason":[]})"));
  for (const auto& uid : {u1, u2}) {
    EXPECT_EQ(MaxSeq(uid, kPerson, from), 1) << uid;
    const json::value page = SyncChannel(uid, from, kPerson);
    ASSERT_TRUE(page.is_object());
    ASSERT_EQ(page.at("messages").as_array().size(), 1u);
    const auto& m = page.at("messages").as_array()[0];
    EXPECT_EQ(Str(m, "from_uid"), from);
    EXPECT_EQ(Str(m, "target_uid"), uid);
    EXPECT_EQ(Text(m), "hi all");
  }
}

TEST_F(BatchTest, SubscribersFormValidatesItsFields) {
  json::object no_subscribers{{"from_uid", "alice"}, {"payload", "aGk="}};
  EXPECT_TRUE(IsError(http().post("/message/sendbatch", no_subscribers), 400, "subscribers"));
  json::object bad_uid{
      {"from_uid", "alice"}, {"subscribers", json::array{"ok", "b@d"}}, {"payload", "aGk="}};
  EXPECT_TRUE(IsError(http().post("/message/sendbatch", bad_uid), 400, "subscribers"));
  json::object bad_payload{
      {"from_uid", "alice"}, {"subscribers", json::array{"ok"}}, {"payload", "!!"}};
  EXPECT_TRUE(IsError(http().post("/message/sendbatch", bad_payload), 400, "payload"));
}

// With the default limit: one batch over many channels (and so over every shard) is one group
// commit, including when some of its items are not stored (a repeated client_msg_no, a
// no_persist message).
class LargeBatchTest : public BlackBoxTest {
 protected:
  static void SetUpTestSuite() { StartServer(); }
};

// A batch over many channels is answered item by item, and retrying it whole is exact: every
// item answers with its original id and seq and nothing is stored twice.
TEST_F(LargeBatchTest, RetryingABatchWholeStoresNothingTwice) {
  constexpr int kChannels = 64;
  std::vector<std::string> groups;
  for (int c = 0; c < kChannels; ++c) groups.push_back(Id("g"));
  json::array items;
  for (int i = 0; i < 3 * kChannels; ++i) {
    items.push_back(
        WithClientMsgNo(SendBody("alice", groups[i % kChannels], kGroup, "m" + std::to_string(i)),
                        "cmn-" + std::to_string(i)));
  }
  items.push_back(WithClientMsgNo(SendBody("alice", groups[0], kGroup, "again"), "cmn-0"));
  auto transient = SendBody("alice", groups[1], kGroup, "not stored");
  transient["header"] = {{"no_persist", 1}};
  items.push_back(transient);

  const HttpResult r = http().post("/message/sendbatch", items);
  ASSERT_EQ(r.status, 200) << r.body;
  const json::value v = r.json();
  ASSERT_EQ(v.as_array().size(), items.size());
  for (int i = 0; i < 3 * kChannels; ++i) {
    EXPECT_EQ(Int(v.as_array()[static_cast<size_t>(i)], "message_seq"), i / kChannels + 1);
  }
  EXPECT_EQ(Int(v.as_array()[3 * kChannels], "message_id"), Int(v.as_array()[0], "message_id"))
      << "the repeated client_msg_no answers with the original";

  items.pop_back();  // the no_persist item is delivered again on every try, never stored
  const HttpResult again = http().post("/message/sendbatch", items);
  ASSERT_EQ(again.status, 200) << again.body;
  const json::value w = again.json();
  ASSERT_EQ(w.as_array().size(), items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    EXPECT_EQ(Int(w.as_array()[i], "message_id"), Int(v.as_array()[i], "message_id")) << i;
    EXPECT_EQ(Int(w.as_array()[i], "message_seq"), Int(v.as_array()[i], "message_seq")) << i;
  }
  for (const auto& g : groups) EXPECT_EQ(MaxSeq(g, kGroup), 3) << g;
}

}  // namespace
}  // namespace jindou::testing
