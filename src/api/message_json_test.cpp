#include "api/message_json.h"

#include <gtest/gtest.h>

#include "api/json_input.h"

namespace jindou::api {
namespace {

Result<engine::SendRequest> parse(const std::string& json, ApiLimits limits = {}) {
  auto v = parse_json(json);
  EXPECT_TRUE(v.ok());
  return parse_send_request(v->get_object(), limits);
}

TEST(ParseSendRequest, ReadsEveryField) {
  auto r = parse(R"({"header":{"no_persist":0,"red_dot":1,"sync_once":1},"client_msg_no":"c1",
    "from_uid":"u1","channel_id":"g1","channel_type":2,"expire":60,"payload":"aGk=",
    "tag_key":"t"})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->header.red_dot);
  EXPECT_TRUE(r->header.sync_once);
  EXPECT_FALSE(r->header.no_persist);
  EXPECT_EQ(r->client_msg_no, "c1");
  EXPECT_EQ(r->from_uid, "u1");
  EXPECT_EQ(r->channel_id, "g1");
  EXPECT_EQ(r->channel_type, 2);
  EXPECT_EQ(r->expire, 60u);
  EXPECT_EQ(r->payload, "hi");
  EXPECT_EQ(r->tag_key, "t");
}

TEST(ParseSendRequest, EachRuleIsA400NamingTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"channel_id":"g","channel_type":2})", "payload is required"},
      {R"({"channel_id":"g","channel_type":2,"payload":"***"})", "payload is not valid base64"},
      {R"({"channel_id":"g","channel_type":2,"payload":5})", "payload must be a string"},
      {R"({"channel_type":2,"payload":"aGk="})", "channel_id is required (or give subscribers)"},
      {R"({"channel_id":"g","payload":"aGk="})", "channel_type must be between 1 and 255"},
      {R"({"channel_id":"g","channel_type":300,"payload":"aGk="})",
       "channel_type must be between 0 and 255"},
      {R"({"channel_id":"a@b","channel_type":1,"payload":"aGk="})",
       "channel_id must not contain '@', '#' or '&'"},
      {R"({"from_uid":"x#y","channel_id":"g","channel_type":2,"payload":"aGk="})",
       "from_uid must not contain '@', '#' or '&'"},
      {R"({"channel_id":"g","channel_type":2,"payload":"aGk=","expire":-1})",
       "expire must be between 0 and 4294967295"},
      {R"({"channel_id":"g","channel_type":2,"payload":"aGk=","header":{"red_dot":2}})",
       "header.red_dot must be between 0 and 1"},
      {R"({"channel_id":"g","channel_type":2,"payload":"aGk=","subscribers":["ok","b@d"]})",
       "subscribers must not contain '@', '#' or '&'"},
  };
  for (const auto& [json, message] : cases) {
    auto r = parse(json);
    ASSERT_FALSE(r.ok()) << json;
    EXPECT_EQ(r.error().status, 400) << json;
    EXPECT_EQ(r.error().message, message) << json;
  }
}

TEST(ParseSendRequest, PayloadLimitIs413) {
  ApiLimits limits;
  limits.max_payload_bytes = 3;
  EXPECT_TRUE(parse(R"({"channel_id":"g","channel_type":2,"payload":"aGk="})", limits).ok());
  auto r = parse(R"({"channel_id":"g","channel_type":2,"payload":"aGVsbG8="})", limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().status, 413);
}

}  // namespace
}  // namespace jindou::api
