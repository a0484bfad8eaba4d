#pragma once

#include <cstddef>
#include <cstdint>

#include "engine/event_log.h"

namespace jindou::engine {

struct EngineOptions {
  size_t max_cached_channels_per_shard = 100000;
  size_t max_cached_members_per_shard = 2'000'000;  // subscriber uids held for delivery
  size_t max_cached_settings = 1'000'000;           // channels/users whose settings are cached
  // Client sends to a person channel need the sender on the recipient's allowlist when false.
  bool whitelist_off_of_person = true;
  // Keep read marks for conversations (conversation.on): one small write per send (the
  // sender's own mark) and one per subscriber added.
  bool conversations = true;
  // Which event-log entries sends write (the webhooks turn these on).
  EventLogOptions events;
};

}  // namespace jindou::engine
