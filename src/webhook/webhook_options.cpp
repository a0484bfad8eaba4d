#include "webhook/webhook_options.h"

#include <algorithm>

namespace jindou::webhook {
namespace {

std::optional<std::string> check_url(const std::string& s) {
  if (!s.empty() && s.rfind("http://", 0) != 0 && s.rfind("https://", 0) != 0) {
    return "expected an http:// or https:// URL, got '" + s + "'";
  }
  return std::nullopt;
}

std::optional<std::string> check_grpc_address(const std::string& s) {
  if (!s.empty() && !config::parse_address(s)) {
    return "expected host:port (e.g. 127.0.0.1:6979), got '" + s + "'";
  }
  return std::nullopt;
}

std::optional<std::string> check_event(const std::string& e) {
  if (e != kEventMsgNotify && e != kEventMsgOffline && e != kEventOnlineStatus) {
    return "expected msg.notify, msg.offline or user.onlinestatus, got '" + e + "'";
  }
  return std::nullopt;
}

}  // namespace

WebhookOptions WebhookOptions::from(config::ConfigSource& source) {
  using std::chrono::milliseconds;
  WebhookOptions o;
  o.http_addr = source.string("webhook.httpAddr", "", check_url);
  o.grpc_addr = source.string("webhook.grpcAddr", "", check_grpc_address);
  o.push_interval = source.duration("webhook.msgNotifyEventPushInterval", o.push_interval);
  o.count_per_push = source.size("webhook.msgNotifyEventCountPerPush", o.count_per_push, 1, 10000);
  o.retry_max_count =
      source.integer("webhook.msgNotifyEventRetryMaxCount", o.retry_max_count, 0, 1000);
  o.focus_events = source.list("webhook.focusEvents", {}, check_event);
  o.secret = source.string("webhook.secret", "");
  // A shorter deadline would fail healthy receivers on an ordinary network hiccup.
  o.request_timeout =
      std::max(source.duration("webhook.requestTimeout", o.request_timeout), milliseconds(100));
  o.max_backlog = source.size("webhook.maxBacklog", o.max_backlog, 1000, INT64_MAX);
  o.max_dead_letters = source.size("webhook.maxDeadLetters", o.max_dead_letters, 1, INT64_MAX);
  return o;
}

}  // namespace jindou::webhook
