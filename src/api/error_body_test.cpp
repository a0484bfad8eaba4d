#include "api/error_body.h"

#include <gtest/gtest.h>

#include "api/http_types.h"

namespace jindou::api {
namespace {

TEST(ErrorBody, StatusAndMessageWithTheReasonCodeWhenThereIsOne) {
  const HttpResponse plain = HttpResponse::error(Error::not_found("no such \"thing\""));
  EXPECT_EQ(plain.status, 404);
  EXPECT_EQ(plain.content_type, "application/json");
  EXPECT_EQ(plain.body, R"({"status":404,"msg":"no such \"thing\""})");

  const HttpResponse forbidden =
      HttpResponse::error(Error::forbidden(ReasonCode::kInBlacklist, "denied"));
  EXPECT_EQ(forbidden.body, R"({"status":403,"msg":"denied","reason_code":4})");
}

TEST(ErrorBody, SendErrorsAlwaysCarryAReasonCodeAndBatchesTheIndex) {
  const HttpResponse send = HttpResponse::send_error(Error::bad_request("payload is required"));
  EXPECT_EQ(send.status, 400);
  EXPECT_EQ(send.body, R"({"status":400,"msg":"payload is required","reason_code":0})");

  const HttpResponse batch = HttpResponse::send_error(Error::bad_request("bad"), 3);
  EXPECT_EQ(batch.body, R"({"status":400,"msg":"bad","reason_code":0,"index":3})");
}

TEST(ErrorBody, InPlaceOfABatchItem) {
  std::string out;
  JsonWriter w(out);
  w.begin_array();
  write_error(w, Error::internal("disk"), ReasonCodeField::kAlways);
  write_error(w, Error::bad_request("x"), ReasonCodeField::kAlways);
  w.end_array();
  EXPECT_EQ(out, R"([{"status":500,"msg":"disk","reason_code":15},)"
                 R"({"status":400,"msg":"x","reason_code":0}])");
}

}  // namespace
}  // namespace jindou::api
