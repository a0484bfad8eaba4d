#include "json/json_writer.h"

#include <gtest/gtest.h>

namespace jindou {
namespace {

TEST(JsonWriter, WritesNestedStructures) {
  std::string out;
  JsonWriter w(out);
  w.begin_object().field("a", 1).field("b", "x\"y\\z\n\x01");
  w.key("list").begin_array().value(int64_t{-5}).value(true).null().end_array();
  w.key("obj").begin_object().end_object().end_object();
  EXPECT_EQ(out, R"({"a":1,"b":"x\"y\\z\n\u0001","list":[-5,true,null],"obj":{}})");
}

TEST(JsonWriter, KeepsUtf8AndReplacesMalformedBytes) {
  std::string out;
  append_json_string(out, "h\xc3\xa9 \xe4\xb8\x96 \xff!");
  EXPECT_EQ(out, "\"h\xc3\xa9 \xe4\xb8\x96 \\ufffd!\"");
}

}  // namespace
}  // namespace jindou
