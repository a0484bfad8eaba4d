#include "api/api_options.h"

#include <gtest/gtest.h>

namespace jindou::api {
namespace {

config::ConfigSource source(std::map<std::string, std::string> overrides) {
  return config::ConfigSource::load({{}, {}, std::move(overrides)});
}

TEST(ApiOptions, Defaults) {
  auto s = source({});
  const ApiOptions o = ApiOptions::from(s);
  EXPECT_EQ(o.http.host, "0.0.0.0");
  EXPECT_EQ(o.http.port, 5001);
  EXPECT_EQ(o.http.max_body_bytes, 16u << 20);
  EXPECT_EQ(o.http.max_pending_body_bytes, 256u << 20);
  EXPECT_EQ(o.http.write_timeout_seconds, 30);
  EXPECT_EQ(o.limits.max_payload_bytes, 1u << 20);
  EXPECT_EQ(o.limits.max_batch, 1000u);
  EXPECT_EQ(o.manager_token, "");
  EXPECT_FALSE(s.problem());
}

TEST(ApiOptions, KeysSet) {
  auto s = source({{"httpAddr", "127.0.0.1:6001"},
                   {"managerToken", "t"},
                   {"message.maxBatch", "200"},
                   {"http.maxPendingBodyBytes", "1048576"},
                   {"http.writeTimeout", "1500ms"}});
  const ApiOptions o = ApiOptions::from(s);
  ASSERT_FALSE(s.problem()) << *s.problem();
  EXPECT_EQ(o.http.host, "127.0.0.1");
  EXPECT_EQ(o.http.port, 6001);
  EXPECT_EQ(o.http.max_pending_body_bytes, 1u << 20);
  EXPECT_EQ(o.http.write_timeout_seconds, 2);  // rounded up to whole seconds
  EXPECT_EQ(o.limits.max_batch, 200u);
  EXPECT_EQ(o.manager_token, "t");
}

TEST(ApiOptions, TheBodyLimitMakesRoomForTheLargestMessage) {
  auto s = source({{"message.maxPayloadBytes", "67108864"}});
  const ApiOptions o = ApiOptions::from(s);
  EXPECT_EQ(o.limits.max_payload_bytes, 64u << 20);
  // Base64 makes 4 bytes of 3, plus room for the rest of the request.
  EXPECT_EQ(o.http.max_body_bytes, (64u << 20) / 3 * 4 + 65536);
}

TEST(ApiOptions, WriteTimeoutBounds) {
  auto short_one = source({{"http.writeTimeout", "10ms"}});
  EXPECT_EQ(ApiOptions::from(short_one).http.write_timeout_seconds, 1);
  auto long_one = source({{"http.writeTimeout", "30d"}});
  EXPECT_EQ(ApiOptions::from(long_one).http.write_timeout_seconds, 86400);
  auto bad = source({{"http.maxPendingBodyBytes", "1000"}});
  ApiOptions::from(bad);
  EXPECT_EQ(bad.problem(),
            "invalid configuration --http.maxPendingBodyBytes: expected an integer between "
            "1048576 and 1099511627776, got '1000'");
}

}  // namespace
}  // namespace jindou::api
