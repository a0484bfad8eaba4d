#include "model/validation.h"

#include <gtest/gtest.h>

namespace jindou {
namespace {

TEST(CheckId, AcceptsOrdinaryIds) {
  EXPECT_FALSE(check_id("user123", "from_uid"));
  EXPECT_FALSE(check_id("张三", "from_uid"));
  EXPECT_FALSE(check_id(std::string(128, 'x'), "from_uid"));
}

TEST(CheckId, RejectsEachRuleNamingTheField) {
  struct Case {
    std::string value;
    std::string expected;
  } cases[] = {
      {"", "from_uid is required"},
      {std::string(129, 'x'), "from_uid is longer than 128 bytes"},
      {"a@b", "from_uid must not contain '@', '#' or '&'"},
      {"a#b", "from_uid must not contain '@', '#' or '&'"},
      {"a&b", "from_uid must not contain '@', '#' or '&'"},
      {"a\nb", "from_uid must not contain control characters"},
      {std::string("a\x7f"), "from_uid must not contain control characters"},
      {std::string("\xff\xfe"), "from_uid is not valid UTF-8"},
  };
  for (const auto& c : cases) {
    auto err = check_id(c.value, "from_uid");
    ASSERT_TRUE(err.has_value()) << c.value;
    EXPECT_EQ(err->status, 400);
    EXPECT_EQ(err->message, c.expected);
  }
}

TEST(CheckChannelIdForRead, AcceptsDerivedIds) {
  EXPECT_FALSE(check_channel_id_for_read("u2@u1", "channel_id"));
  EXPECT_TRUE(check_channel_id_for_read("@u1", "channel_id"));
  EXPECT_TRUE(check_channel_id_for_read("u2@u1@x", "channel_id"));
}

TEST(Utf8, RejectsOverlongAndSurrogates) {
  EXPECT_TRUE(is_valid_utf8("h\xc3\xa9llo"));
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));      // U+D800
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xe4\xb8"));          // truncated
}

TEST(CheckChannelType, Range) {
  EXPECT_FALSE(check_channel_type(1, "channel_type"));
  EXPECT_FALSE(check_channel_type(255, "channel_type"));
  EXPECT_TRUE(check_channel_type(0, "channel_type"));
  EXPECT_TRUE(check_channel_type(256, "channel_type"));
}

}  // namespace
}  // namespace jindou
