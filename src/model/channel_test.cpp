#include "model/channel.h"

#include <gtest/gtest.h>

namespace jindou {
namespace {

TEST(Crc32, MatchesZlibValues) {
  EXPECT_EQ(crc32_ieee("u1"), 1112514422u);
  EXPECT_EQ(crc32_ieee("u2"), 3678850764u);
  EXPECT_EQ(crc32_ieee("alice"), 663665735u);
  EXPECT_EQ(crc32_ieee("bob"), 4123767104u);
}

TEST(PersonChannelId, LargerCrcComesFirst) {
  EXPECT_EQ(person_channel_id("u1", "u2"), "u2@u1");
  EXPECT_EQ(person_channel_id("u2", "u1"), "u2@u1");
  EXPECT_EQ(person_channel_id("alice", "bob"), "bob@alice");
  EXPECT_EQ(person_channel_id("bob", "alice"), "bob@alice");
}

TEST(PersonChannelId, SelfChat) {
  EXPECT_EQ(person_channel_id("a", "a"), "a@a");
}

TEST(PersonChannelId, EqualCrcIsOrderIndependent) {
  ASSERT_EQ(crc32_ieee("u9990985"), crc32_ieee("u16400040"));
  EXPECT_EQ(person_channel_id("u9990985", "u16400040"), "u9990985@u16400040");
  EXPECT_EQ(person_channel_id("u16400040", "u9990985"), "u9990985@u16400040");
}

TEST(PersonParties, SplitsOnAt) {
  auto [a, b] = person_parties("u2@u1");
  EXPECT_EQ(a, "u2");
  EXPECT_EQ(b, "u1");
  auto [c, d] = person_parties("group");
  EXPECT_EQ(c, "group");
  EXPECT_EQ(d, "");
}

TEST(StoredChannel, PersonUsesDerivedIdGroupsKeepTheirs) {
  EXPECT_EQ(stored_channel("u2", kChannelPerson, "u1"), (ChannelKey{"u2@u1", 1}));
  EXPECT_EQ(stored_channel("u2@u1", kChannelPerson, "anyone"), (ChannelKey{"u2@u1", 1}));
  EXPECT_EQ(stored_channel("g1", kChannelGroup, "u1"), (ChannelKey{"g1", 2}));
  EXPECT_EQ(stored_channel("x@y", kChannelGroup, "u1"), (ChannelKey{"x@y", 2}));
}

TEST(ViewFor, PersonChannelSeenByEachParty) {
  const ChannelKey key{"u2@u1", kChannelPerson};
  // u1 sent to u2.
  auto for_u1 = view_for(key, "u1", "u1");
  EXPECT_EQ(for_u1.channel_id, "u2");
  EXPECT_EQ(for_u1.target_uid, "u2");
  auto for_u2 = view_for(key, "u1", "u2");
  EXPECT_EQ(for_u2.channel_id, "u1");
  EXPECT_EQ(for_u2.target_uid, "u2");
  // A third party or no login uid sees the recipient.
  auto for_none = view_for(key, "u1", "");
  EXPECT_EQ(for_none.channel_id, "u2");
  EXPECT_EQ(for_none.target_uid, "u2");
}

TEST(ViewFor, SelfChatAndGroups) {
  auto self = view_for({"a@a", kChannelPerson}, "a", "a");
  EXPECT_EQ(self.channel_id, "a");
  EXPECT_EQ(self.target_uid, "a");
  auto group = view_for({"g1", kChannelGroup}, "u1", "u9");
  EXPECT_EQ(group.channel_id, "g1");
  EXPECT_EQ(group.target_uid, "g1");
}

}  // namespace
}  // namespace jindou

#include "model/client_msg_no.h"

namespace jindou {
namespace {

TEST(GeneratedClientMsgNo, CarriesTheMessageId) {
  const std::string v = generated_client_msg_no(2126238801633218560, 0xdeadbeefcafef00dULL);
  EXPECT_EQ(v.size(), 32u);
  EXPECT_EQ(v, "1d81eaecbf001000deadbeefcafef00d");
  EXPECT_EQ(generated_client_msg_no_id(v), 2126238801633218560);
}

TEST(GeneratedClientMsgNo, OtherShapesCarryNothing) {
  EXPECT_FALSE(generated_client_msg_no_id("msg_001"));
  EXPECT_FALSE(generated_client_msg_no_id("1D8206B0C6A00000DEADBEEFCAFEF00D"));  // upper case
  EXPECT_FALSE(generated_client_msg_no_id("00000000000000000123456789abcdef"));  // id 0
  EXPECT_FALSE(generated_client_msg_no_id("f000000000000000deadbeefcafef00d"));  // > INT64_MAX
}

}  // namespace
}  // namespace jindou
