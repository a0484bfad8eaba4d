// Channel management (/channel, /channel/info, /channel/delete, subscriber, denylist and
// allowlist changes, GET /channel/whitelist) and POST /user/token.
#include <algorithm>

#include "blackbox_test.h"

namespace jindou::testing {
namespace {

class ChannelTest : public BlackBoxTest {
 protected:
  static void SetUpTestSuite() { StartServer(); }

  json::object Key(const std::string& g, int type = kGroup) {
    return {{"channel_id", g}, {"channel_type", type}};
  }
  json::object With(json::object o, std::string_view key, json::value value) {
    o[key] = std::move(value);
    return o;
  }
  static json::array Uids(std::initializer_list<std::string> uids) {
    json::array out;
    for (const auto& u : uids) out.emplace_back(u);
    return out;
  }
  std::vector<std::string> Allowlist(const std::string& g) {
    const HttpResult r = http().get("/channel/whitelist?channel_id=" + g + "&channel_type=2");
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> out;
    if (r.status != 200) return out;
    const json::value v = r.json();
    for (const auto& u : v.as_array()) out.emplace_back(u.as_string());
    std::sort(out.begin(), out.end());
    return out;
  }
  // Sends a sync_once message: it is queued for exactly the channel's subscribers.
  void SendOnce(const std::string& g, const std::string& text) {
    auto body = SendBody("alice", g, kGroup, text);
    body["header"] = {{"sync_once", 1}};
    ASSERT_TRUE(Send(body).is_object());
  }
  std::string Pending(const std::string& uid) {
    const HttpResult r = http().post("/message/sync", json::object{{"uid", uid}});
    EXPECT_EQ(r.status, 200) << r.body;
    std::string out;
    if (r.status == 200) {
      const json::value v = r.json();
      for (const auto& m : v.as_array()) out += Text(m);
    }
    return out;
  }
};

TEST_F(ChannelTest, CreateUpdateAndInfoAnswerStatus200) {
  const std::string g = Id("g");
  EXPECT_TRUE(IsOk(http().post("/channel", With(Key(g), "subscribers", Uids({"u1", "u2"})))));
  EXPECT_TRUE(IsOk(http().post("/channel", With(Key(g), "large", 1))));
  EXPECT_TRUE(IsOk(http().post("/channel/info", With(Key(g), "send_ban", 0))));
  EXPECT_TRUE(Send("alice", g, kGroup).is_object());
}

TEST_F(ChannelTest, DisbandedChannelRefusesSendsWithReason24) {
  const std::string g = Id("g");
  ASSERT_TRUE(IsOk(http().post("/channel", Key(g))));
  ASSERT_TRUE(Send("alice", g, kGroup).is_object());
  EXPECT_TRUE(IsOk(http().post("/channel/delete", Key(g))));
  const HttpResult r = http().post("/message/send", SendBody("alice", g, kGroup));
  EXPECT_TRUE(IsSendError(r, 403, "", 24));
  EXPECT_EQ(MaxSeq(g, kGroup), 1);

  const std::string never_created = Id("g");
  EXPECT_TRUE(IsOk(http().post("/channel/delete", Key(never_created))));
  EXPECT_TRUE(IsSendError(http().post("/message/send", SendBody("alice", never_created, kGroup)),
                          403, "", 24));
  const std::string flagged = Id("g");
  EXPECT_TRUE(IsOk(http().post("/channel", With(Key(flagged), "disband", 1))));
  EXPECT_TRUE(
      IsSendError(http().post("/message/send", SendBody("alice", flagged, kGroup)), 403, "", 24));
}

TEST_F(ChannelTest, BannedChannelRefusesSendsWithReason19) {
  const std::string g = Id("g");
  ASSERT_TRUE(IsOk(http().post("/channel", With(Key(g), "ban", 1))));
  EXPECT_TRUE(IsSendError(http().post("/message/send", SendBody("alice", g, kGroup)), 403, "", 19));
  EXPECT_EQ(MaxSeq(g, kGroup), 0);
  ASSERT_TRUE(IsOk(http().post("/channel", With(Key(g), "ban", 0))));
  const json::value r = Send("alice", g, kGroup);
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(Int(r, "message_seq"), 1);

  const std::string h = Id("g");
  ASSERT_TRUE(IsOk(http().post("/channel/info", With(Key(h), "ban", true))));
  EXPECT_TRUE(IsSendError(http().post("/message/send", SendBody("alice", h, kGroup)), 403, "", 19));
}

TEST_F(ChannelTest, HttpSendsSkipMembershipDenylistAndAllowlist) {
  const std::string g = Id("g");
  ASSERT_TRUE(IsOk(http().post("/channel", With(Key(g), "subscribers", Uids({"member"})))));
  ASSERT_TRUE(IsOk(http().post("/channel/blacklist_add", With(Key(g), "uids", Uids({"denied"})))));
  ASSERT_TRUE(IsOk(http().post("/channel/whitelist_add", With(Key(g), "uids", Uids({"member"})))));
  for (const char* from : {"stranger", "denied", "member"}) {
    EXPECT_TRUE(Send(from, g, kGroup).is_object()) << from;
  }
  EXPECT_EQ(MaxSeq(g, kGroup), 3);
}

TEST_F(ChannelTest, SubscriberChangesDecideWhoGetsSyncOnceMessages) {
  const std::string g = Id("g");
  const std::string u1 = Id("u"), u2 = Id("u"), u3 = Id("u"), u4 = Id("u"), u5 = Id("u");
  ASSERT_TRUE(IsOk(http().post("/channel", With(Key(g), "subscribers", Uids({u1, u2})))));
  SendOnce(g, "a");
  ASSERT_TRUE(
      IsOk(http().post("/channel/subscriber_add", With(Key(g), "subscribers", Uids({u3})))));
  SendOnce(g, "b");
  ASSERT_TRUE(
      IsOk(http().post("/channel/subscriber_remove", With(Key(g), "subscribers", Uids({u1})))));
  SendOnce(g, "c");
  EXPECT_EQ(Pending(u1), "ab");
  EXPECT_EQ(Pending(u2), "abc");
  EXPECT_EQ(Pending(u3), "bc");

  auto reset = With(Key(g), "subscribers", Uids({u4}));
  reset["reset"] = 1;
  ASSERT_TRUE(IsOk(http().post("/channel/subscriber_add", reset)));
  SendOnce(g, "d");
  reset["subscribers"] = Uids({u5});
  ASSERT_TRUE(IsOk(http().post("/channel", reset)));
  SendOnce(g, "e");
  ASSERT_TRUE(IsOk(http().post("/channel/subscriber_remove_all", Key(g))));
  SendOnce(g, "f");
  EXPECT_EQ(Pending(u2), "abc");
  EXPECT_EQ(Pending(u4), "d");
  EXPECT_EQ(Pending(u5), "e");
}

TEST_F(ChannelTest, SubscribersOfASendOverrideTheChannelMembers) {
  const std::string g = Id("g");
  const std::string member = Id("u");
  const std::string chosen = Id("u");
  ASSERT_TRUE(IsOk(http().post("/channel", With(Key(g), "subscribers", Uids({member})))));
  auto body = SendBody("alice", g, kGroup, "x");
  body["header"] = {{"sync_once", 1}};
  body["subscribers"] = Uids({chosen});
  const json::value r = Send(body);
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(Int(r, "message_seq"), 1) << "with a channel the message is stored there";
  EXPECT_EQ(Pending(chosen), "x");
  EXPECT_EQ(Pending(member), "");
}

// "A disbanded or banned channel is a 403" holds for every channel type but person.
TEST_F(ChannelTest, BannedOrDisbandedChannelsOfEveryTypeRefuseSends) {
  for (int type : {3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 200, 255}) {
    const std::string banned = Id("t");
    ASSERT_TRUE(IsOk(http().post("/channel", With(Key(banned, type), "ban", 1))));
    EXPECT_TRUE(
        IsSendError(http().post("/message/send", SendBody("alice", banned, type)), 403, "", 19))
        << "banned channel of type " << type;
    const std::string gone = Id("t");
    ASSERT_TRUE(IsOk(http().post("/channel/delete", Key(gone, type))));
    EXPECT_TRUE(
        IsSendError(http().post("/message/send", SendBody("alice", gone, type)), 403, "", 24))
        << "disbanded channel of type " << type;
  }
}

TEST_F(ChannelTest, ChannelTypesAbove4HaveSubscribersLikeGroups) {
  for (int type : {5, 6, 7, 8, 9, 10, 11, 12, 200, 255}) {
    const std::string members = Id("t");
    const std::string u = Id("u");
    ASSERT_TRUE(IsOk(http().post("/channel", With(Key(members, type), "subscribers", Uids({u})))));
    auto once = SendBody("alice", members, type, "s");
    once["header"] = {{"sync_once", 1}};
    ASSERT_TRUE(Send(once).is_object());
    EXPECT_EQ(Pending(u), "s") << "subscribers of type " << type << " receive its messages";
  }
}

TEST_F(ChannelTest, AllowlistEndpointsChangeWhatGetWhitelistReturns) {
  const std::string g = Id("g");
  EXPECT_TRUE(Allowlist(g).empty());
  using V = std::vector<std::string>;
  ASSERT_TRUE(IsOk(http().post("/channel/whitelist_add", With(Key(g), "uids", Uids({"b", "a"})))));
  EXPECT_EQ(Allowlist(g), (V{"a", "b"}));
  ASSERT_TRUE(IsOk(http().post("/channel/whitelist_add", With(Key(g), "uids", Uids({"a", "c"})))));
  EXPECT_EQ(Allowlist(g), (V{"a", "b", "c"}));
  ASSERT_TRUE(IsOk(http().post("/channel/whitelist_remove", With(Key(g), "uids", Uids({"a"})))));
  EXPECT_EQ(Allowlist(g), (V{"b", "c"}));
  ASSERT_TRUE(IsOk(http().post("/channel/whitelist_set", With(Key(g), "uids", Uids({"d", "e"})))));
  EXPECT_EQ(Allowlist(g), (V{"d", "e"}));
  ASSERT_TRUE(IsOk(http().post("/channel/whitelist_remove_all", Key(g))));
  EXPECT_TRUE(Allowlist(g).empty());
}

TEST_F(ChannelTest, DenylistEndpointsAnswerStatus200AndLeaveTheAllowlistAlone) {
  const std::string g = Id("g");
  EXPECT_TRUE(IsOk(http().post("/channel/blacklist_add", With(Key(g), "uids", Uids({"x", "y"})))));
  EXPECT_TRUE(IsOk(http().post("/channel/blacklist_remove", With(Key(g), "uids", Uids({"x"})))));
  EXPECT_TRUE(IsOk(http().post("/channel/blacklist_set", With(Key(g), "uids", Uids({"z"})))));
  EXPECT_TRUE(IsOk(http().post("/channel/blacklist_remove_all", Key(g))));
  EXPECT_TRUE(Allowlist(g).empty());
}

TEST_F(ChannelTest, ManagementRequestsValidateTheChannel) {
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"/channel", "subscribers"},
      {"/channel/info", ""},
      {"/channel/delete", ""},
      {"/channel/subscriber_add", "subscribers"},
      {"/channel/subscriber_remove", "subscribers"},
      {"/channel/subscriber_remove_all", ""},
      {"/channel/blacklist_add", "uids"},
      {"/channel/blacklist_set", "uids"},
      {"/channel/blacklist_remove", "uids"},
      {"/channel/blacklist_remove_all", ""},
      {"/channel/whitelist_add", "uids"},
      {"/channel/whitelist_set", "uids"},
      {"/channel/whitelist_remove", "uids"},
      {"/channel/whitelist_remove_all", ""}};
  for (const auto& [path, list] : routes) {
    json::object ok = Key(Id("g"));
    if (!list.empty()) ok[list] = Uids({"u1"});
    json::object no_id = ok;
    no_id.erase("channel_id");
    EXPECT_TRUE(IsError(http().post(path, no_id), 400, "channel_id")) << path;
    EXPECT_TRUE(IsError(http().post(path, With(ok, "channel_id", "a@b")), 400, "channel_id"))
        << path;
    EXPECT_TRUE(IsError(http().post(path, With(ok, "channel_id", 5)), 400, "channel_id")) << path;
    EXPECT_TRUE(IsError(http().post(path, With(ok, "channel_type", 0)), 400, "channel_type"))
        << path;
    EXPECT_TRUE(IsError(http().post(path, With(ok, "channel_type", "2")), 400, "channel_type"))
        << path;
    EXPECT_TRUE(IsError(http().post(path, "{"), 400, "JSON")) << path;
    if (!list.empty()) {
      EXPECT_TRUE(IsError(http().post(path, With(ok, list, "u1")), 400, list)) << path;
      EXPECT_TRUE(IsError(http().post(path, With(ok, list, Uids({"u1", "b#d"}))), 400, list))
          << path;
      EXPECT_TRUE(IsError(http().post(path, With(ok, list, json::array{1})), 400, list)) << path;
    }
  }
  EXPECT_TRUE(IsError(http().post("/channel/subscriber_add", Key(Id("g"))), 400, "subscribers"));
  EXPECT_TRUE(IsError(http().post("/channel/blacklist_add", Key(Id("g"))), 400, "uids"));
  EXPECT_TRUE(IsError(http().post("/channel/whitelist_add", Key(Id("g"))), 400, "uids"));
  EXPECT_TRUE(IsError(http().post("/channel", With(Key(Id("g")), "ban", "yes")), 400, "ban"));
  EXPECT_TRUE(IsError(http().post("/channel", With(Key(Id("g")), "disband", 2)), 400, "disband"));
}

TEST_F(ChannelTest, GetWhitelistValidatesItsQuery) {
  EXPECT_TRUE(IsError(http().get("/channel/whitelist?channel_type=2"), 400, "channel_id"));
  EXPECT_TRUE(IsError(http().get("/channel/whitelist?channel_id=g"), 400, "channel_type"));
  EXPECT_TRUE(
      IsError(http().get("/channel/whitelist?channel_id=g&channel_type=x"), 400, "channel_type"));
  EXPECT_TRUE(
      IsError(http().get("/channel/whitelist?channel_id=g&channel_type=0"), 400, "channel_type"));
  EXPECT_TRUE(
      IsError(http().get("/channel/whitelist?channel_id=a%23b&channel_type=2"), 400, "channel_id"));
}

TEST_F(ChannelTest, UserTokenIsStored) {
  json::object body{
      {"uid", Id("u")}, {"token", "secret-1"}, {"device_flag", 1}, {"device_level", 1}};
  EXPECT_TRUE(IsOk(http().post("/user/token", body)));
  body["device_flag"] = 0;
  body["device_level"] = 0;
  EXPECT_TRUE(IsOk(http().post("/user/token", body)));
}

TEST_F(ChannelTest, UserTokenValidatesItsFields) {
  const json::object ok{{"uid", "u1"}, {"token", "t"}, {"device_flag", 0}, {"device_level", 1}};
  auto without = [&ok](std::string_view key) {
    json::object o = ok;
    o.erase(key);
    return o;
  };
  EXPECT_TRUE(IsError(http().post("/user/token", without("uid")), 400, "uid"));
  EXPECT_TRUE(IsError(http().post("/user/token", without("token")), 400, "token"));
  EXPECT_TRUE(IsError(http().post("/user/token", With(ok, "uid", "a@b")), 400, "uid"));
  EXPECT_TRUE(IsError(http().post("/user/token", With(ok, "token", 5)), 400, "token"));
  EXPECT_TRUE(
      IsError(http().post("/user/token", With(ok, "device_level", 2)), 400, "device_level"));
  EXPECT_TRUE(
      IsError(http().post("/user/token", With(ok, "device_flag", "0")), 400, "device_flag"));
}

}  // namespace
}  // namespace jindou::testing
