#include "webhook/webhook_options.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace jindou::webhook {
namespace {

using namespace std::chrono_literals;

config::ConfigSource source(std::map<std::string, std::string> overrides) {
  return config::ConfigSource::load({{}, {}, std::move(overrides)});
}

TEST(WebhookOptions, OffByDefault) {
  auto s = source({});
  const WebhookOptions o = WebhookOptions::from(s);
  EXPECT_FALSE(o.enabled());
  EXPECT_EQ(o.push_interval, 500ms);
  EXPECT_EQ(o.count_per_push, 100u);
  EXPECT_EQ(o.retry_max_count, 5);
  EXPECT_TRUE(o.focus_events.empty());
  EXPECT_EQ(o.request_timeout, 10s);
  EXPECT_EQ(o.max_backlog, 10'000'000u);
  EXPECT_EQ(o.max_dead_letters, 100'000u);
  EXPECT_FALSE(s.problem());
}

TEST(WebhookOptions, FromWkYaml) {
  const auto path = std::filesystem::temp_directory_path() / "jindou-webhook-options-test.yaml";
  std::ofstream(path) << R"(
webhook:
  httpAddr: "http://127.0.0.1:8080/webhooks"
  grpcAddr: "127.0.0.1:6979"
  msgNotifyEventPushInterval: 250ms
  msgNotifyEventCountPerPush: 10
  msgNotifyEventRetryMaxCount: 0
  focusEvents: ["msg.notify", "msg.offline"]
  secret: s3
  requestTimeout: 10ms
  maxBacklog: 1000
  maxDeadLetters: 1
)";
  auto s = config::ConfigSource::load({path.string(), {}, {}});
  const WebhookOptions o = WebhookOptions::from(s);
  std::filesystem::remove(path);
  ASSERT_FALSE(s.problem()) << *s.problem();
  EXPECT_TRUE(s.warnings().empty());
  EXPECT_EQ(o.http_addr, "http://127.0.0.1:8080/webhooks");
  EXPECT_EQ(o.grpc_addr, "127.0.0.1:6979");
  EXPECT_EQ(o.push_interval, 250ms);
  EXPECT_EQ(o.count_per_push, 10u);
  EXPECT_EQ(o.retry_max_count, 0);
  EXPECT_EQ(o.focus_events, (std::vector<std::string>{"msg.notify", "msg.offline"}));
  EXPECT_TRUE(o.focused(kEventMsgOffline));
  EXPECT_FALSE(o.focused(kEventOnlineStatus));
  EXPECT_EQ(o.secret, "s3");
  EXPECT_EQ(o.request_timeout, 100ms);  // never below 100ms
  EXPECT_EQ(o.max_backlog, 1000u);
  EXPECT_EQ(o.max_dead_letters, 1u);
}

TEST(WebhookOptions, InvalidValuesNameTheKey) {
  const std::pair<std::map<std::string, std::string>, std::string> cases[] = {
      {{{"webhook.httpAddr", "ftp://x"}},
       "invalid configuration --webhook.httpAddr: expected an http:// or https:// URL, got "
       "'ftp://x'"},
      {{{"webhook.grpcAddr", "nowhere"}},
       "invalid configuration --webhook.grpcAddr: expected host:port (e.g. 127.0.0.1:6979), got "
       "'nowhere'"},
      {{{"webhook.focusEvents", "msg.notify,msg.read"}},
       "invalid configuration --webhook.focusEvents: expected msg.notify, msg.offline or "
       "user.onlinestatus, got 'msg.read'"},
      {{{"webhook.maxBacklog", "999"}},
       "invalid configuration --webhook.maxBacklog: expected an integer between 1000 and "
       "9223372036854775807, got '999'"},
  };
  for (const auto& [given, problem] : cases) {
    auto s = source(given);
    WebhookOptions::from(s);
    EXPECT_EQ(s.problem(), problem);
  }
}

}  // namespace
}  // namespace jindou::webhook
