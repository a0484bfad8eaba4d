// What the engine's behaviour depends on, and the configuration keys behind it (built by
// EngineOptions::from), plus the keys both ingresses (HTTP API and client gateway) read the same
// way because they enforce the engine's rules for it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "config/config_source.h"
#include "engine/event_log.h"

namespace jindou::engine {

struct EngineOptions {
  // channel.maxCachedPerShard: channels whose live state (next seq, subscriber list) a shard
  // keeps; the least recently used beyond it are dropped and reloaded from the store.
  size_t max_cached_channels_per_shard = 100000;
  // channel.maxCachedSubscribersPerShard: subscriber uids held for delivery, per shard.
  size_t max_cached_members_per_shard = 2'000'000;
  // channel.maxCachedSettings: channels and users whose settings and deny/allow lists are cached.
  size_t max_cached_settings = 1'000'000;
  // whitelistOffOfPerson: when false, client sends to a person channel need the sender on the
  // recipient's allowlist.
  bool whitelist_off_of_person = true;
  // conversation.on: keep read marks for conversations: one small write per send (the sender's
  // own mark) and one per subscriber added.
  bool conversations = true;
  // Which event-log entries sends write (the webhooks turn these on; not a configuration key).
  EventLogOptions events;

  static EngineOptions from(config::ConfigSource& source);
};

// message.maxPayloadBytes: the largest decoded payload of one message (1 B .. 64 MiB).
size_t max_payload_bytes(config::ConfigSource& source);
// cluster.nodeId: this node's id (0 .. 1023), the node bits of every message id.
uint16_t node_id(config::ConfigSource& source);
// managerToken: the HTTP API token, also accepted from a client connecting as the manager uid.
std::string manager_token(config::ConfigSource& source);

}  // namespace jindou::engine
