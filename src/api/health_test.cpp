// What the HTTP API says once the store has failed a commit: /health answers 503, and sends are
// answered 503 (each item of a batch in place) instead of hanging.
#include <gtest/gtest.h>

#include <future>

#include "api/router.h"
#include "api/routes.h"
#include "engine/engine_test_support.h"

namespace jindou::api {
namespace {

class HealthTest : public engine::FaultyEngineTest {
 protected:
  void SetUp() override {
    engine::FaultyEngineTest::SetUp();
    ctx_ = std::make_unique<ApiContext>(ApiContext{
        *engine_, engine_->presence(), ApiLimits{}, 0, nullptr, nullptr, nullptr, {}, nullptr});
    add_all_routes(router_, *ctx_);
  }
  // Dispatches a request and waits for its answer, which sends give on a shard thread.
  HttpResponse call(std::string method, std::string path, std::string body = {}) {
    HttpRequest req;
    req.method = std::move(method);
    req.path = std::move(path);
    req.body = std::move(body);
    auto answer = std::make_shared<std::promise<HttpResponse>>();
    auto future = answer->get_future();
    router_.dispatch(req, [answer](HttpResponse r) { answer->set_value(std::move(r)); });
    EXPECT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    return future.get();
  }
  static std::string send_body(const std::string& channel_id) {
    return R"({"from_uid":"alice","channel_id":")" + channel_id +
           R"(","channel_type":2,"payload":"aGk="})";
  }

  Router router_{""};
  std::unique_ptr<ApiContext> ctx_;
};

TEST_F(HealthTest, AFailedCommitTurnsHealthTo503AndSendsAreRefused) {
  EXPECT_EQ(call("GET", "/health").status, 200);
  EXPECT_EQ(call("POST", "/message/send", send_body("g")).status, 200);

  faults_->fail_commit();
  EXPECT_EQ(call("POST", "/message/send", send_body("g")).status, 503);
  const HttpResponse health = call("GET", "/health");
  EXPECT_EQ(health.status, 503);
  EXPECT_NE(health.body.find("unavailable"), std::string::npos) << health.body;

  EXPECT_EQ(call("POST", "/message/send", send_body("g2")).status, 503);
  const HttpResponse batch =
      call("POST", "/message/sendbatch", "[" + send_body("g") + "," + send_body("g3") + "]");
  ASSERT_EQ(batch.status, 200) << batch.body;
  EXPECT_EQ(batch.body.find("message_id"), std::string::npos) << batch.body;
  size_t refused = 0;
  for (size_t at = batch.body.find("\"status\":503"); at != std::string::npos;
       at = batch.body.find("\"status\":503", at + 1)) {
    ++refused;
  }
  EXPECT_EQ(refused, 2u) << batch.body;
  EXPECT_EQ(call("GET", "/health").status, 503);
}

}  // namespace
}  // namespace jindou::api
