// Conversations over HTTP: exact unread counts across users, groups and person chats, the
// user's own messages, red_dot 0, clearUnread, setUnread, delete and re-activation, incremental
// sync by version, and a 10,000-member group that costs no more writes than a small one.
#include <map>

#include "blackbox_test.h"

namespace jindou::testing {
namespace {

class ConversationTest : public BlackBoxTest {
 protected:
  static void SetUpTestSuite() { StartServer(); }

  void SendAs(const std::string& from, const std::string& channel, int type,
              std::optional<int> red_dot = std::nullopt) {
    auto body = SendBody(from, channel, type);
    if (red_dot) body["header"] = json::object{{"red_dot", *red_dot}};
    ASSERT_TRUE(Send(body).is_object());
  }
  // uid's conversations by channel_id.
  std::map<std::string, json::value> Conversations(const std::string& uid,
                                                   json::object extra = {}) {
    extra["uid"] = uid;
    const json::value v = PostOk("/conversation/sync", extra);
    std::map<std::string, json::value> out;
    if (!v.is_array()) return out;
    for (const auto& c : v.as_array()) out[Str(c, "channel_id")] = c;
    return out;
  }
  int64_t Unread(const std::string& uid, const std::string& channel) {
    auto all = Conversations(uid);
    auto it = all.find(channel);
    return it == all.end() ? -1 : Int(it->second, "unread");
  }
  void Conversation(const std::string& path, const std::string& uid, const std::string& channel,
                    int type, json::object extra = {}) {
    extra["uid"] = uid;
    extra["channel_id"] = channel;
    extra["channel_type"] = type;
    const HttpResult r = http().post(path, extra);
    ASSERT_TRUE(IsOk(r)) << path << " " << r.body;
  }
};

TEST_F(ConversationTest, UnreadCountsOnlyOthersRedDotMessages) {
  const std::string g = Id("g");
  const std::string a = Id("a"), b = Id("b"), c = Id("c");
  Group(g, {a, b, c});
  SendAs(a, g, kGroup);
  SendAs(a, g, kGroup);
  SendAs(b, g, kGroup);
  // The contract's example: a sends 2, then b sends 1.
  EXPECT_EQ(Unread(b, g), 0);
  EXPECT_EQ(Unread(a, g), 1);
  EXPECT_EQ(Unread(c, g), 3);
  SendAs(a, g, kGroup, 0);  // red_dot 0 never counts
  EXPECT_EQ(Unread(c, g), 3);
  EXPECT_EQ(Unread(b, g), 0);
  SendAs(a, g, kGroup, 1);
  EXPECT_EQ(Unread(c, g), 4);
  const auto conv = Conversations(c).at(g);
  EXPECT_EQ(Int(conv, "channel_type"), kGroup);
  EXPECT_EQ(Int(conv, "last_msg_seq"), 5);
  EXPECT_EQ(Int(conv, "readed_to_msg_seq"), 0);
  EXPECT_GT(Int(conv, "timestamp"), 0);
  EXPECT_GT(Int(conv, "version"), 0);
  EXPECT_FALSE(Str(conv, "last_client_msg_no").empty());
}

TEST_F(ConversationTest, PersonChatsAreNamedByThePeer) {
  const std::string a = Id("alice"), b = Id("bob");
  SendAs(a, b, kPerson);
  SendAs(a, b, kPerson);
  EXPECT_EQ(Unread(b, a), 2);
  EXPECT_EQ(Unread(a, b), 0);
  SendAs(b, a, kPerson);
  EXPECT_EQ(Unread(b, a), 0);
  EXPECT_EQ(Unread(a, b), 1);
  auto conv = Conversations(a, {{"msg_count", 2}}).at(b);
  ASSERT_EQ(conv.at("recents").as_array().size(), 2u);
  const auto& newest = conv.at("recents").at(0);
  EXPECT_EQ(Int(newest, "message_seq"), 3);  // newest first
  EXPECT_EQ(Str(newest, "from_uid"), b);
  EXPECT_EQ(Str(newest, "channel_id"), b);  // as alice sees it
  Conversation("/conversations/clearUnread", a, b, kPerson);
  EXPECT_EQ(Unread(a, b), 0);
}

TEST_F(ConversationTest, HeaderlessSendsCountAsRedDot) {
  const std::string a = Id("a"), b = Id("b");
  auto body = SendBody(a, b, kPerson);  // no header at all
  ASSERT_TRUE(Send(body).is_object());
  EXPECT_EQ(Unread(b, a), 1);
  const json::value messages = SyncChannel(b, a, kPerson).at("messages");
  EXPECT_EQ(Int(messages.at(0).at("header"), "red_dot"), 1);
}

TEST_F(ConversationTest, ClearSetDeleteAndReactivation) {
  const std::string g = Id("g");
  const std::string a = Id("a"), b = Id("b");
  Group(g, {a, b});
  for (int i = 0; i < 6; ++i) SendAs(a, g, kGroup);
  Conversation("/conversations/clearUnread", b, g, kGroup, {{"message_seq", 4}});
  EXPECT_EQ(Unread(b, g), 2);
  EXPECT_EQ(Int(Conversations(b).at(g), "readed_to_msg_seq"), 4);
  Conversation("/conversations/setUnread", b, g, kGroup, {{"unread", 5}});
  EXPECT_EQ(Unread(b, g), 5);
  SendAs(a, g, kGroup);
  EXPECT_EQ(Unread(b, g), 6);
  Conversation("/conversations/clearUnread", b, g, kGroup);
  EXPECT_EQ(Unread(b, g), 0);
  Conversation("/conversations/delete", b, g, kGroup);
  EXPECT_EQ(Conversations(b).count(g), 0u);
  EXPECT_EQ(Unread(a, g), 0);  // a's conversation is untouched
  SendAs(a, g, kGroup);
  EXPECT_EQ(Unread(b, g), 1);  // back, counting only what came after the delete
  auto conv = Conversations(b, {{"msg_count", 10}}).at(g);
  ASSERT_EQ(conv.at("recents").as_array().size(), 1u);  // nothing from before the delete
  EXPECT_EQ(Int(conv.at("recents").at(0), "message_seq"), 8);
}

TEST_F(ConversationTest, IncrementalSyncByVersion) {
  const std::string g = Id("g"), h = Id("h");
  const std::string a = Id("a"), b = Id("b");
  Group(g, {a, b});
  Group(h, {a, b});
  SendAs(a, g, kGroup);
  SendAs(a, h, kGroup);
  auto all = Conversations(b);
  ASSERT_EQ(all.size(), 2u);
  int64_t v = std::max(Int(all.at(g), "version"), Int(all.at(h), "version"));
  EXPECT_TRUE(Conversations(b, {{"version", v}}).empty());
  SendAs(a, h, kGroup);
  auto changed = Conversations(b, {{"version", v}});
  ASSERT_EQ(changed.size(), 1u);
  ASSERT_EQ(changed.count(h), 1u);
  v = Int(changed.at(h), "version");
  Conversation("/conversations/clearUnread", b, g, kGroup);
  changed = Conversations(b, {{"version", v}});
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed.count(g), 1u);
  EXPECT_EQ(Int(changed.at(g), "unread"), 0);
}

TEST_F(ConversationTest, FiltersAndPages) {
  const std::string me = Id("me");
  std::vector<std::string> groups;
  for (int i = 0; i < 5; ++i) {
    groups.push_back(Id("g"));
    Group(groups.back(), {me, "other"});
    SendAs("other", groups.back(), kGroup);
  }
  SendAs("other", me, kPerson);
  EXPECT_EQ(Conversations(me).size(), 6u);
  EXPECT_EQ(Conversations(me, {{"exclude_channel_types", json::array{kGroup}}}).size(), 1u);
  // A channel the client names in last_msg_seqs is listed even when its type is excluded.
  auto named = Conversations(
      me, {{"exclude_channel_types", json::array{kGroup}}, {"last_msg_seqs", groups[0] + ":2:0"}});
  EXPECT_EQ(named.size(), 2u);
  EXPECT_EQ(named.count(groups[0]), 1u);
  Conversation("/conversations/clearUnread", me, groups[1], kGroup);
  EXPECT_EQ(Conversations(me, {{"only_unread", 1}}).size(), 5u);
  // Pages of 4: 4 + 2, every conversation once.
  std::set<std::string> seen;
  for (int page = 1; page <= 3; ++page) {
    const json::value v =
        PostOk("/conversation/sync", json::object{{"uid", me}, {"page", page}, {"page_size", 4}});
    const size_t expected = page == 1 ? 4 : page == 2 ? 2 : 0;
    ASSERT_EQ(v.as_array().size(), expected) << "page " << page;
    for (const auto& c : v.as_array()) seen.insert(Str(c, "channel_id"));
  }
  EXPECT_EQ(seen.size(), 6u);
  // last_msg_seqs: recents start after what the client holds.
  SendAs("other", groups[2], kGroup);
  auto recents = Conversations(me, {{"msg_count", 10}, {"last_msg_seqs", groups[2] + ":2:1"}});
  ASSERT_EQ(recents.at(groups[2]).at("recents").as_array().size(), 1u);
  EXPECT_EQ(Int(recents.at(groups[2]).at("recents").at(0), "message_seq"), 2);
}

TEST_F(ConversationTest, ValidatesItsFields) {
  const std::string path = "/conversation/sync";
  EXPECT_TRUE(IsError(http().post(path, json::object{}), 400, "uid"));
  EXPECT_TRUE(IsError(http().post(path, json::object{{"uid", "a@b"}}), 400, "uid"));
  EXPECT_TRUE(
      IsError(http().post(path, json::object{{"uid", "u"}, {"msg_count", 101}}), 400, "msg_count"));
  EXPECT_TRUE(
      IsError(http().post(path, json::object{{"uid", "u"}, {"version", -1}}), 400, "version"));
  EXPECT_TRUE(IsError(http().post(path, json::object{{"uid", "u"}, {"last_msg_seqs", "g:2"}}), 400,
                      "last_msg_seqs"));
  EXPECT_TRUE(IsError(
      http().post(path, json::object{{"uid", "u"}, {"exclude_channel_types", json::array{300}}}),
      400, "exclude_channel_types"));
  EXPECT_TRUE(IsError(
      http().post("/conversations/clearUnread", json::object{{"uid", "u"}, {"channel_type", 2}}),
      400, "channel_id"));
  EXPECT_TRUE(IsError(
      http().post(
          "/conversations/setUnread",
          json::object{{"uid", "u"}, {"channel_id", "g"}, {"channel_type", 2}, {"unread", -1}}),
      400, "unread"));
  EXPECT_TRUE(IsError(
      http().post("/conversations/delete", json::object{{"channel_id", "g"}, {"channel_type", 2}}),
      400, "uid"));
}

// A message to 10,000 members gives each of them one unread message and writes exactly as many
// keys as a message to a two-member group.
TEST_F(ConversationTest, LargeGroupsCostNoMoreWritesThanSmallOnes) {
  const std::string big = Id("big"), small = Id("small");
  std::vector<std::string> members;
  for (int i = 0; i < 10000; ++i) members.push_back("m" + std::to_string(i));
  for (size_t i = 0; i < members.size(); i += 5000) {
    json::array uids;
    for (size_t j = i; j < i + 5000; ++j) uids.push_back(json::value(members[j]));
    ASSERT_TRUE(IsOk(http().post(
        "/channel/subscriber_add",
        json::object{{"channel_id", big}, {"channel_type", kGroup}, {"subscribers", uids}})));
  }
  Group(small, {"m0", "m1"});
  auto keys_for_send = [&](const std::string& g) {
    const int64_t before = Int(http().get("/varz").json(), "store_keys_written");
    auto body = SendBody("m0", g, kGroup);
    body["client_msg_no"] = Id("cmn");  // the same kind of send to both groups
    EXPECT_TRUE(Send(body).is_object());
    return Int(http().get("/varz").json(), "store_keys_written") - before;
  };
  keys_for_send(small);  // first messages of a channel are like any other; warm both up
  keys_for_send(big);
  const int64_t small_keys = keys_for_send(small);
  const int64_t big_keys = keys_for_send(big);
  EXPECT_GT(small_keys, 0);
  EXPECT_EQ(big_keys, small_keys);
  for (const auto& uid : {"m1", "m77", "m5000", "m9999"}) EXPECT_EQ(Unread(uid, big), 2) << uid;
  EXPECT_EQ(Unread("m0", big), 0);
}

}  // namespace
}  // namespace jindou::testing
