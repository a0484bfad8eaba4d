#include "api/router.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>

#include "api/assets.h"
#include "api/routes.h"
#include "engine/engine_test_support.h"
#include "webhook/webhooks.h"

namespace jindou::api {
namespace {

HttpResponse call(const Router& router, std::string method, std::string path,
                  std::string authorization = {}, std::string token = {}) {
  HttpRequest req;
  req.method = std::move(method);
  req.path = std::move(path);
  req.authorization = std::move(authorization);
  req.token = std::move(token);
  req.body = "{}";
  HttpResponse out;
  router.dispatch(req, [&out](HttpResponse r) { out = std::move(r); });
  return out;
}

Router sample_router(std::string token) {
  Router router(std::move(token));
  router.add("POST", "/thing", [](HttpRequest&, const Respond& r) { r(HttpResponse::ok()); });
  router.add(
      "GET", "/open", [](HttpRequest&, const Respond& r) { r(HttpResponse::ok()); }, true);
  return router;
}

TEST(Router, UnknownPathIs404WrongMethodIs405) {
  auto router = sample_router("");
  EXPECT_EQ(call(router, "POST", "/thing").status, 200);
  auto missing = call(router, "POST", "/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, R"({"status":404,"msg":"no such endpoint: /nope"})");
  auto wrong = call(router, "GET", "/thing");
  EXPECT_EQ(wrong.status, 405);
  ASSERT_EQ(wrong.headers.size(), 1u);
  EXPECT_EQ(wrong.headers[0].second, "POST");
}

TEST(Router, TokenIsRequiredExceptOnPublicRoutes) {
  auto router = sample_router("s3cret");
  EXPECT_EQ(call(router, "POST", "/thing").status, 401);
  EXPECT_EQ(call(router, "POST", "/thing", "Bearer wrong").status, 401);
  EXPECT_EQ(call(router, "POST", "/thing", "s3cret").status, 401);  // no "Bearer "
  EXPECT_EQ(call(router, "POST", "/thing", "Bearer s3cret").status, 200);
  EXPECT_EQ(call(router, "POST", "/thing", "", "s3cret").status, 200);
  EXPECT_EQ(call(router, "GET", "/open").status, 200);
}

class ApiRoutesTest : public engine::EngineTest {};

TEST_F(ApiRoutesTest, OpenApiDocumentListsExactlyTheRoutes) {
  webhook::Webhooks webhooks(webhook::WebhookOptions{}, *store_);  // off, but its routes exist
  ApiContext ctx{*engine_, engine_->presence(), ApiLimits{}, 0, nullptr, &webhooks, nullptr, {},
                 nullptr};
  Router router("");
  add_all_routes(router, ctx);
  std::set<std::string> served;
  for (const auto& r : router.routes()) served.insert(r.method + " " + r.path);
  auto doc = boost::json::parse(openapi_json());
  std::set<std::string> documented;
  for (const auto& [path, ops] : doc.at("paths").as_object()) {
    for (const auto& [method, op] : ops.as_object()) {
      std::string m(method);
      for (auto& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      documented.insert(m + " " + std::string(path));
    }
  }
  for (const auto& r : served) EXPECT_TRUE(documented.count(r)) << "undocumented route " << r;
  for (const auto& d : documented)
    EXPECT_TRUE(served.count(d)) << "documented but not served " << d;
  EXPECT_FALSE(docs_html().empty());
}

}  // namespace
}  // namespace jindou::api
