#include <gtest/gtest.h>

#include "api/json_input.h"

namespace jindou::api {
namespace {

TEST(FieldReader, TypesAndErrorsNameTheField) {
  auto v = parse_json(R"({"s":"x","n":5,"f":1.5,"b":true,"arr":["a","b"],"ids":[1,"2"],
                          "bad":[1],"o":{"k":1},"nul":null})");
  ASSERT_TRUE(v.ok());
  FieldReader f(v->get_object(), "item.");
  EXPECT_EQ(f.string("s"), "x");
  EXPECT_EQ(f.string("missing"), "");
  EXPECT_EQ(f.string("nul"), "");
  EXPECT_EQ(f.integer("n"), 5);
  EXPECT_TRUE(f.flag("b"));
  EXPECT_EQ(f.strings("arr"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(f.message_ids("ids"), (std::vector<int64_t>{1, 2}));
  EXPECT_NE(f.object("o"), nullptr);
  EXPECT_FALSE(f.error().has_value());
  (void)f.integer("f");
  ASSERT_TRUE(f.error().has_value());
  EXPECT_EQ(f.error()->message, "item.f must be an integer");
  FieldReader g(v->get_object());
  (void)g.integer("s");
  EXPECT_EQ(g.error()->message, "s must be a number");
  FieldReader h(v->get_object());
  (void)h.strings("bad");
  EXPECT_EQ(h.error()->message, "bad must be an array of strings");
  FieldReader r(v->get_object());
  (void)r.integer("n", 0, 0, 3);
  EXPECT_EQ(r.error()->message, "n must be between 0 and 3");
}

TEST(ParseJson, RejectsMalformedAndEmpty) {
  EXPECT_FALSE(parse_json("").ok());
  EXPECT_FALSE(parse_json("{").ok());
  EXPECT_EQ(parse_json("{nope}").error().status, 400);
}

}  // namespace
}  // namespace jindou::api
