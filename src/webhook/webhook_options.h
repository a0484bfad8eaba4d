// Webhook settings (webhook.* in wk.yaml). With neither address set, webhooks are off: no event
// is recorded and no thread runs.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "config/config_source.h"

namespace jindou::webhook {

inline constexpr const char* kEventMsgNotify = "msg.notify";
inline constexpr const char* kEventMsgOffline = "msg.offline";
inline constexpr const char* kEventOnlineStatus = "user.onlinestatus";

struct WebhookOptions {
  std::string http_addr;  // POST {http_addr}?event=<name>
  std::string grpc_addr;  // when set, gRPC (WebhookService) instead of HTTP
  std::chrono::milliseconds push_interval{500};
  size_t count_per_push = 100;  // msg.notify messages / user.onlinestatus entries per call
  // Failed attempts before a call's events go to the dead letters.
  int64_t retry_max_count = 5;
  std::vector<std::string> focus_events;  // empty: every event
  std::string secret;                     // signs every call (X-WK-Timestamp, X-WK-Signature)
  std::chrono::milliseconds request_timeout{10000};
  // Undelivered events kept per event before the oldest are dropped (loudly: an error log and
  // /varz dropped_events), and dead letters kept before the oldest are dropped.
  size_t max_backlog = 10'000'000;
  size_t max_dead_letters = 100'000;
  // Retry pauses: first, doubling up to the cap.
  std::chrono::milliseconds retry_backoff{1000};
  std::chrono::milliseconds retry_backoff_cap{60000};

  // webhook.*: every field but the retry pauses, which follow the documented schedule.
  static WebhookOptions from(config::ConfigSource& source);

  bool enabled() const { return !http_addr.empty() || !grpc_addr.empty(); }
  bool focused(std::string_view event) const {
    if (!enabled()) return false;
    if (focus_events.empty()) return true;
    for (const auto& e : focus_events) {
      if (e == event) return true;
    }
    return false;
  }
};

}  // namespace jindou::webhook
