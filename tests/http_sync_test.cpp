// POST /channel/messagesync (ranges, `more`, limits, paging) and the deprecated
// POST /message/sync + /message/syncack.
#include <set>

#include "blackbox_test.h"

namespace jindou::testing {
namespace {

class SyncTest : public BlackBoxTest {
 protected:
  static void SetUpTestSuite() { StartServer(); }

  // A group with messages seq 1..count (payload "m<seq>"), sent in batches.
  std::string Channel(int count) {
    const std::string g = Id("g");
    for (int sent = 0; sent < count;) {
      json::array items;
      for (; sent < count && items.size() < 1000; ++sent) {
        items.push_back(SendBody("alice", g, kGroup, "m" + std::to_string(sent + 1)));
      }
      const HttpResult r = http().post("/message/sendbatch", items);
      EXPECT_EQ(r.status, 200) << r.body.substr(0, 500);
    }
    EXPECT_EQ(MaxSeq(g, kGroup), count);
    return g;
  }

  struct Page {
    std::vector<int64_t> seqs;
    int64_t more = -1;
  };
  // messagesync with the given start/end/limit/pull_mode; checks the echo and the order.
  Page Sync(const std::string& g, int64_t start, int64_t end, int64_t limit, int pull_mode) {
    json::object body{
        {"start_message_seq", start}, {"end_message_seq", end}, {"pull_mode", pull_mode}};
    if (limit >= 0) body["limit"] = limit;
    const json::value v = SyncChannel("reader", g, kGroup, body);
    Page page;
    if (!v.is_object()) return page;
    EXPECT_EQ(Int(v, "start_message_seq"), start);
    EXPECT_EQ(Int(v, "end_message_seq"), end);
    page.more = Int(v, "more");
    page.seqs = Seqs(v.at("messages"));
    for (const auto& m : v.at("messages").as_array()) {
      EXPECT_EQ(Text(m), "m" + std::to_string(Int(m, "message_seq")));
      EXPECT_EQ(Str(m, "message_idstr"), std::to_string(Int(m, "message_id")));
    }
    return page;
  }
};

std::vector<int64_t> Range(int64_t from, int64_t to) {  // [from, to]
  std::vector<int64_t> out;
  for (int64_t s = from; s <= to; ++s) out.push_back(s);
  return out;
}

TEST_F(SyncTest, BothBoundsZeroGivesTheNewestMessages) {
  const std::string g = Channel(10);
  auto p = Sync(g, 0, 0, 3, 0);
  EXPECT_EQ(p.seqs, Range(8, 10));
  EXPECT_EQ(p.more, 1);
  p = Sync(g, 0, 0, 10, 0);
  EXPECT_EQ(p.seqs, Range(1, 10));
  EXPECT_EQ(p.more, 0);
  p = Sync(g, 0, 0, 3, 1);
  EXPECT_EQ(p.seqs, Range(8, 10));
  EXPECT_EQ(p.more, 1);
}

TEST_F(SyncTest, PullModeZeroReadsUpwardFromStart) {
  const std::string g = Channel(10);
  auto p = Sync(g, 3, 0, 4, 0);
  EXPECT_EQ(p.seqs, Range(3, 6));
  EXPECT_EQ(p.more, 1);
  p = Sync(g, 3, 6, 10, 0);  // end is exclusive
  EXPECT_EQ(p.seqs, Range(3, 5));
  EXPECT_EQ(p.more, 0);
  p = Sync(g, 3, 7, 4, 0);  // the page fills the range exactly
  EXPECT_EQ(p.seqs, Range(3, 6));
  EXPECT_EQ(p.more, 0);
  p = Sync(g, 3, 8, 4, 0);
  EXPECT_EQ(p.seqs, Range(3, 6));
  EXPECT_EQ(p.more, 1);
  p = Sync(g, 8, 0, 3, 0);  // exactly the rest
  EXPECT_EQ(p.seqs, Range(8, 10));
  EXPECT_EQ(p.more, 0);
  p = Sync(g, 11, 0, 3, 0);
  EXPECT_TRUE(p.seqs.empty());
  EXPECT_EQ(p.more, 0);
}

TEST_F(SyncTest, PullModeOneReadsDownwardFromEnd) {
  const std::string g = Channel(10);
  auto p = Sync(g, 0, 8, 3, 1);
  EXPECT_EQ(p.seqs, Range(5, 7));
  EXPECT_EQ(p.more, 1);
  p = Sync(g, 5, 8, 3, 1);  // start is inclusive
  EXPECT_EQ(p.seqs, Range(5, 7));
  EXPECT_EQ(p.more, 0);
  p = Sync(g, 4, 8, 3, 1);
  EXPECT_EQ(p.seqs, Range(5, 7));
  EXPECT_EQ(p.more, 1);
  p = Sync(g, 0, 4, 10, 1);
  EXPECT_EQ(p.seqs, Range(1, 3));
  EXPECT_EQ(p.more, 0);
  p = Sync(g, 6, 0, 2, 1);  // from the newest down to start
  EXPECT_EQ(p.seqs, Range(9, 10));
  EXPECT_EQ(p.more, 1);
  p = Sync(g, 0, 1, 5, 1);
  EXPECT_TRUE(p.seqs.empty());
  EXPECT_EQ(p.more, 0);
}

// start inclusive, end exclusive: end <= start is an empty range, answered 200 with no messages
// (clients computing their bounds from what they hold send these at the edges).
TEST_F(SyncTest, EndAtOrBelowStartIsAnEmptyRange) {
  const std::string g = Channel(60);
  for (int pull_mode : {0, 1}) {
    for (auto [start, end] : {std::pair<int64_t, int64_t>{50, 50}, {50, 49}, {60, 1}, {1, 1}}) {
      const Page p = Sync(g, start, end, 10, pull_mode);
      EXPECT_TRUE(p.seqs.empty()) << start << ".." << end << " pull_mode " << pull_mode;
      EXPECT_EQ(p.more, 0) << start << ".." << end << " pull_mode " << pull_mode;
    }
  }
  // The neighbouring non-empty range still reads its one message.
  EXPECT_EQ(Sync(g, 50, 51, 10, 0).seqs, Range(50, 50));
  EXPECT_EQ(Sync(g, 50, 51, 10, 1).seqs, Range(50, 50));
}

TEST_F(SyncTest, PagingUpwardDeliversEveryMessageExactlyOnce) {
  const std::string g = Channel(47);
  std::vector<int64_t> received;
  int64_t last = 0;
  for (int calls = 0; calls < 100; ++calls) {
    const Page p = Sync(g, last + 1, 0, 5, 0);
    ASSERT_NE(p.more, -1);
    received.insert(received.end(), p.seqs.begin(), p.seqs.end());
    if (!p.seqs.empty()) last = p.seqs.back();
    if (p.more == 0) break;
    ASSERT_FALSE(p.seqs.empty()) << "more=1 with an empty page";
  }
  EXPECT_EQ(received, Range(1, 47));
}

TEST_F(SyncTest, PagingDownwardDeliversEveryMessageExactlyOnce) {
  const std::string g = Channel(23);
  std::vector<int64_t> received;
  Page p = Sync(g, 0, 0, 4, 0);
  received = p.seqs;
  for (int calls = 0; p.more == 1 && calls < 100; ++calls) {
    ASSERT_FALSE(p.seqs.empty());
    p = Sync(g, 0, p.seqs.front(), 4, 1);
    received.insert(received.begin(), p.seqs.begin(), p.seqs.end());
  }
  EXPECT_EQ(received, Range(1, 23));
}

TEST_F(SyncTest, LimitDefaultsTo50) {
  const std::string g = Channel(60);
  auto p = Sync(g, 0, 0, -1, 0);
  EXPECT_EQ(p.seqs, Range(11, 60));
  EXPECT_EQ(p.more, 1);
  p = Sync(g, 1, 0, -1, 0);
  EXPECT_EQ(p.seqs, Range(1, 50));
  EXPECT_EQ(p.more, 1);
}

TEST_F(SyncTest, LimitAbove10000IsCapped) {
  const std::string g = Channel(10001);
  auto p = Sync(g, 1, 0, 20000, 0);
  EXPECT_EQ(p.seqs.size(), 10000u);
  EXPECT_EQ(p.seqs.front(), 1);
  EXPECT_EQ(p.seqs.back(), 10000);
  EXPECT_EQ(p.more, 1);
  p = Sync(g, 0, 0, 10000, 0);
  EXPECT_EQ(p.seqs.size(), 10000u);
  EXPECT_EQ(p.seqs.front(), 2);
  EXPECT_EQ(p.more, 1);
}

TEST_F(SyncTest, ValidatesItsFields) {
  const std::string g = Channel(1);
  auto body = [&g](std::string_view key, json::value value) {
    json::object o{{"login_uid", "reader"}, {"channel_id", g}, {"channel_type", kGroup}};
    o[key] = std::move(value);
    return o;
  };
  const std::string path = "/channel/messagesync";
  const HttpResult v2 = http().post(path, body("stream_v2", 1));
  ASSERT_EQ(v2.status, 200) << v2.body;
  EXPECT_EQ(Seqs(v2.json().at("messages")), (std::vector<int64_t>{1}));
  EXPECT_TRUE(IsError(http().post(path, body("limit", -1)), 400, "limit"));
  EXPECT_TRUE(IsError(http().post(path, body("limit", "5")), 400, "limit"));
  EXPECT_TRUE(IsError(http().post(path, body("start_message_seq", "1")), 400, "start_message_seq"));
  EXPECT_TRUE(
      IsError(http().post(path, body("end_message_seq", json::array{})), 400, "end_message_seq"));
  EXPECT_TRUE(IsError(http().post(path, body("pull_mode", "0")), 400, "pull_mode"));
  EXPECT_TRUE(IsError(http().post(path, body("login_uid", nullptr)), 400, "login_uid"));
  EXPECT_TRUE(IsError(http().post(path, body("login_uid", "a@b")), 400, "login_uid"));
  EXPECT_TRUE(IsError(http().post(path, body("channel_id", nullptr)), 400, "channel_id"));
  EXPECT_TRUE(IsError(http().post(path, body("channel_type", nullptr)), 400, "channel_type"));
  EXPECT_TRUE(IsError(http().post(path, body("channel_type", 256)), 400, "channel_type"));
  EXPECT_TRUE(IsError(http().post(path, "[]"), 400));
}

// --- deprecated /message/sync ---

class LegacySyncTest : public SyncTest {
 protected:
  HttpResult LegacySync(const std::string& uid, int limit = 0) {
    json::object body{{"uid", uid}};
    if (limit > 0) body["limit"] = limit;
    return http().post("/message/sync", body);
  }
  // The message_seqs (and payloads) /message/sync returns for `uid`.
  std::vector<std::string> Pending(const std::string& uid) {
    const HttpResult r = LegacySync(uid);
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> out;
    if (r.status == 200) {
      const json::value v = r.json();
      for (const auto& m : v.as_array()) out.push_back(Text(m));
    }
    return out;
  }
  void SendOnce(const std::string& g, const std::string& text, bool once = true) {
    auto body = SendBody("alice", g, kGroup, text);
    body["header"] = {{"sync_once", once ? 1 : 0}};
    ASSERT_TRUE(Send(body).is_object());
  }
};

TEST_F(LegacySyncTest, QueuesSyncOnceMessagesUntilAcknowledged) {
  const std::string g = Id("g");
  const std::string u1 = Id("u");
  const std::string u2 = Id("u");
  json::object channel{{"channel_id", g},
                       {"channel_type", kGroup},
                       {"subscribers", json::array{json::value(u1), json::value(u2)}}};
  ASSERT_TRUE(IsOk(http().post("/channel", channel)));
  SendOnce(g, "one");
  SendOnce(g, "plain", false);
  SendOnce(g, "two");
  SendOnce(g, "three");

  const HttpResult r = LegacySync(u1);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("Deprecation"), "true");
  EXPECT_EQ(r.header("Link"), "</channel/messagesync>; rel=\"successor-version\"");
  const json::value v = r.json();
  const auto& messages = v.as_array();
  ASSERT_EQ(messages.size(), 3u) << r.body;
  EXPECT_EQ(Text(messages[0]), "one");
  EXPECT_EQ(Text(messages[2]), "three");
  EXPECT_EQ(Int(messages[0].at("header"), "sync_once"), 1);

  const HttpResult limited = LegacySync(u1, 2);
  ASSERT_EQ(limited.status, 200);
  EXPECT_EQ(limited.json().as_array().size(), 2u);

  json::object ack{{"uid", u1}, {"last_message_seq", messages[1].at("message_seq")}};
  const HttpResult acked = http().post("/message/syncack", ack);
  EXPECT_TRUE(IsOk(acked));
  EXPECT_EQ(acked.header("Deprecation"), "true");
  EXPECT_EQ(acked.header("Link"), "</channel/messagesync>; rel=\"successor-version\"");
  EXPECT_EQ(Pending(u1), (std::vector<std::string>{"three"}));
  EXPECT_EQ(Pending(u2), (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_TRUE(Pending(Id("stranger")).empty());
}

TEST_F(LegacySyncTest, LimitDefaultsTo200) {
  const std::string g = Id("g");
  const std::string u = Id("u");
  json::object channel{{"channel_id", g}, {"channel_type", kGroup}, {"subscribers", {u}}};
  ASSERT_TRUE(IsOk(http().post("/channel", channel)));
  json::array items;
  for (int i = 0; i < 201; ++i) {
    auto body = SendBody("alice", g, kGroup, std::to_string(i));
    body["header"] = {{"sync_once", 1}};
    items.push_back(body);
  }
  ASSERT_EQ(http().post("/message/sendbatch", items).status, 200);
  const HttpResult r = LegacySync(u);
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
  const json::value v = r.json();
  ASSERT_EQ(v.as_array().size(), 200u);
  EXPECT_EQ(Text(v.as_array()[0]), "0") << "oldest first";
  EXPECT_EQ(Text(v.as_array()[199]), "199");
}

TEST_F(LegacySyncTest, PersonSyncOnceReachesBothParties) {
  const std::string a = Id("a");
  const std::string b = Id("b");
  auto body = SendBody(a, b, kPerson, "ping");
  body["header"] = {{"sync_once", 1}};
  ASSERT_TRUE(Send(body).is_object());
  EXPECT_EQ(Pending(b), (std::vector<std::string>{"ping"}));
  EXPECT_EQ(Pending(a), (std::vector<std::string>{"ping"}));
}

TEST_F(LegacySyncTest, ValidatesItsFields) {
  EXPECT_TRUE(IsError(http().post("/message/sync", "{}"), 400, "uid"));
  EXPECT_TRUE(IsError(http().post("/message/sync", json::object{{"uid", 5}}), 400, "uid"));
  EXPECT_TRUE(IsError(http().post("/message/sync", json::object{{"uid", "u"}, {"limit", -1}}), 400,
                      "limit"));
  EXPECT_TRUE(
      IsError(http().post("/message/syncack", json::object{{"last_message_seq", 1}}), 400, "uid"));
  EXPECT_TRUE(IsError(
      http().post("/message/syncack", json::object{{"uid", "u"}, {"last_message_seq", "1"}}), 400,
      "last_message_seq"));
}

}  // namespace
}  // namespace jindou::testing
