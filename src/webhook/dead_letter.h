// A call that failed webhook.msgNotifyEventRetryMaxCount times: kept (event-log queue 'd') with
// its events in the form of one entry of their queue, so a replay appends it back there.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/event_log.h"

namespace jindou::webhook {

struct DeadLetter {
  uint64_t id = 0;  // its position in the dead-letter queue
  engine::EventQueue queue = engine::kQueueStoredMessages;
  uint32_t attempts = 0;
  int64_t failed_at = 0;  // Unix seconds of the last attempt
  std::string last_error;
  std::string entry;
};

std::string encode_dead_letter(const DeadLetter& d);
std::optional<DeadLetter> decode_dead_letter(uint64_t id, std::string_view value);

}  // namespace jindou::webhook
