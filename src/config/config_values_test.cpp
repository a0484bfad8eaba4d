#include "config/config_values.h"

#include <gtest/gtest.h>

namespace jindou::config {
namespace {

TEST(ConfigValues, Durations) {
  EXPECT_EQ(parse_duration("500ms"), std::chrono::milliseconds(500));
  EXPECT_EQ(parse_duration("3m"), std::chrono::minutes(3));
  EXPECT_EQ(parse_duration("1h30m"), std::chrono::minutes(90));
  EXPECT_EQ(parse_duration("7d"), std::chrono::hours(7 * 24));
  EXPECT_EQ(parse_duration("10"), std::chrono::seconds(10));
  EXPECT_EQ(parse_duration("0"), std::chrono::milliseconds(0));
  EXPECT_FALSE(parse_duration("ten seconds"));
  EXPECT_FALSE(parse_duration("5x"));
  EXPECT_FALSE(parse_duration("-5"));
  EXPECT_FALSE(parse_duration(""));
  EXPECT_FALSE(parse_duration("99999999999999999d"));
}

TEST(ConfigValues, Addresses) {
  EXPECT_EQ(parse_address("tcp://0.0.0.0:5100")->port, 5100);
  EXPECT_EQ(parse_address("ws://127.0.0.1:5200")->host, "127.0.0.1");
  EXPECT_EQ(parse_address("[::1]:5001")->host, "::1");
  EXPECT_EQ(parse_address("[::1]:5001")->to_string(), "[::1]:5001");
  EXPECT_EQ(parse_address(":5001")->host, "0.0.0.0");
  EXPECT_FALSE(parse_address("localhost"));
  EXPECT_FALSE(parse_address("host:99999"));
  EXPECT_FALSE(parse_address("[::1]5001"));
}

TEST(ConfigValues, BooleansAndLists) {
  EXPECT_EQ(parse_bool("ON"), true);
  EXPECT_EQ(parse_bool("no"), false);
  EXPECT_FALSE(parse_bool("maybe"));
  EXPECT_EQ(split_list("a, b c,,d"), (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_TRUE(split_list("").empty());
}

}  // namespace
}  // namespace jindou::config
