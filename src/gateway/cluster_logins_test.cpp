// The login announcements nodes send each other: their wire format.
#include "gateway/cluster_logins.h"

#include <gtest/gtest.h>

namespace jindou::gateway {
namespace {

bool same(const RemoteLogin& a, const RemoteLogin& b) {
  return a.uid == b.uid && a.device_flag == b.device_flag && a.device_level == b.device_level &&
         a.device_id == b.device_id && a.login_ms == b.login_ms && a.node == b.node;
}

TEST(ClusterLogins, RoundTrip) {
  const std::vector<RemoteLogin> logins = {{"alice", 1, 1, "phone-a", 1'800'000'000'123, 3},
                                           {"bob", 0, 0, "", 0, 1023},
                                           {std::string(128, 'u'), 255, 0, "d", -5, 1}};
  auto back = decode_logins(encode_logins(logins));
  ASSERT_TRUE(back);
  ASSERT_EQ(back->size(), logins.size());
  for (size_t i = 0; i < logins.size(); ++i) EXPECT_TRUE(same((*back)[i], logins[i])) << i;
  EXPECT_TRUE(decode_logins(encode_logins({}))->empty());
  EXPECT_EQ(decode_login_answer(encode_login_answer(42)), 42u);
}

TEST(ClusterLogins, MalformedInputIsRefused) {
  const std::string data = encode_logins({{"alice", 1, 1, "phone-a", 123, 3}});
  for (size_t cut = 0; cut < data.size(); ++cut) {
    EXPECT_FALSE(decode_logins(data.substr(0, cut))) << cut;
  }
  EXPECT_FALSE(decode_logins(data + "x"));
  EXPECT_FALSE(decode_logins(std::string("\x01\xff\xff\xff\xff\x0f", 6)));  // count too large
  EXPECT_FALSE(decode_logins("\x02"));                                      // another version
  EXPECT_FALSE(decode_login_answer(""));
}

}  // namespace
}  // namespace jindou::gateway
