// The presence questions nodes ask each other: their wire formats and how requests are split.
#include "api/cluster_presence.h"

#include <gtest/gtest.h>

namespace jindou::api {
namespace {

TEST(ClusterPresenceWire, OnlineRequestRoundTrips) {
  const std::vector<std::string> uids = {"alice", "", std::string(128, 'x')};
  EXPECT_EQ(decode_online_request(encode_online_request(uids)), uids);
  EXPECT_EQ(decode_online_request(encode_online_request({})), std::vector<std::string>{});
}

TEST(ClusterPresenceWire, OnlineAnswerRoundTrips) {
  const OnlineAnswer answer = {{0, 1}, {0, 2}, {300, 255}};
  EXPECT_EQ(decode_online_answer(encode_online_answer(answer)), answer);
  EXPECT_EQ(decode_online_answer(encode_online_answer({})), OnlineAnswer{});
}

TEST(ClusterPresenceWire, KickRoundTrips) {
  KickRequest k{"bob",
                {0, 2},
                ReasonCode::kConnectKick,
                "login in other device",
                true,
                std::chrono::milliseconds(2000)};
  auto back = decode_kick_request(encode_kick_request(k));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->uid, "bob");
  EXPECT_EQ(back->device_flags, (std::vector<uint8_t>{0, 2}));
  EXPECT_EQ(back->reason, ReasonCode::kConnectKick);
  EXPECT_EQ(back->text, "login in other device");
  EXPECT_TRUE(back->quietly);
  EXPECT_EQ(back->close_after, std::chrono::milliseconds(2000));

  k.device_flags.clear();  // every device flag
  EXPECT_TRUE(decode_kick_request(encode_kick_request(k))->device_flags.empty());
  EXPECT_EQ(decode_kick_answer(encode_kick_answer(7)), 7u);
}

TEST(ClusterPresenceWire, MalformedInputIsRefused) {
  const std::string online = encode_online_request({"alice", "bob"});
  const std::string answer = encode_online_answer({{0, 1}, {1, 1}});
  KickRequest k;
  k.uid = "bob";
  k.device_flags = {1};
  const std::string kick = encode_kick_request(k);
  for (size_t cut = 0; cut < online.size(); ++cut) {
    EXPECT_FALSE(decode_online_request(online.substr(0, cut))) << cut;
  }
  for (size_t cut = 0; cut < answer.size(); ++cut) {
    EXPECT_FALSE(decode_online_answer(answer.substr(0, cut))) << cut;
  }
  for (size_t cut = 0; cut < kick.size(); ++cut) {
    EXPECT_FALSE(decode_kick_request(kick.substr(0, cut))) << cut;
  }
  EXPECT_FALSE(decode_online_request(online + "x"));  // trailing bytes
  EXPECT_FALSE(decode_kick_answer(""));
  EXPECT_FALSE(decode_online_request("\x02"));  // another version
  // A count far larger than the data.
  EXPECT_FALSE(decode_online_answer(std::string("\x01\xff\xff\xff\xff\x0f", 6)));
}

TEST(ClusterPresenceWire, LargeRequestsAreSplit) {
  std::vector<std::string> uids(10000, std::string(128, 'u'));
  const auto chunks = online_request_chunks(uids);
  ASSERT_GT(chunks.size(), 1u);
  size_t next = 0;
  for (const auto& [begin, end] : chunks) {
    EXPECT_EQ(begin, next);
    EXPECT_LT(begin, end);
    const std::vector<std::string> part(uids.begin() + static_cast<ptrdiff_t>(begin),
                                        uids.begin() + static_cast<ptrdiff_t>(end));
    EXPECT_LE(encode_online_request(part).size(), 256u * 1024);
    next = end;
  }
  EXPECT_EQ(next, uids.size());

  EXPECT_TRUE(online_request_chunks({}).empty());
  const auto one = online_request_chunks({"a", "b", "c"});
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0], (std::pair<size_t, size_t>{0, 3}));
  // A uid larger than the limit still goes, alone.
  const auto big = online_request_chunks({"a", std::string(100, 'x'), "b"}, 50);
  EXPECT_EQ(big.size(), 3u);
}

}  // namespace
}  // namespace jindou::api
