#include "engine/engine_options.h"

namespace jindou::engine {

EngineOptions EngineOptions::from(config::ConfigSource& source) {
  EngineOptions o;
  o.max_cached_channels_per_shard =
      source.size("channel.maxCachedPerShard", o.max_cached_channels_per_shard, 1, 100'000'000);
  o.max_cached_members_per_shard = source.size("channel.maxCachedSubscribersPerShard",
                                               o.max_cached_members_per_shard, 1, 1'000'000'000);
  o.max_cached_settings =
      source.size("channel.maxCachedSettings", o.max_cached_settings, 1, 100'000'000);
  o.whitelist_off_of_person = source.boolean("whitelistOffOfPerson", o.whitelist_off_of_person);
  o.conversations = source.boolean("conversation.on", o.conversations);
  return o;
}

size_t max_payload_bytes(config::ConfigSource& source) {
  return source.size("message.maxPayloadBytes", 1u << 20, 1, 64u << 20);
}

uint16_t node_id(config::ConfigSource& source) {
  return static_cast<uint16_t>(source.integer("cluster.nodeId", 1, 0, 1023));
}

std::string manager_token(config::ConfigSource& source) {
  return source.string("managerToken", "");
}

}  // namespace jindou::engine
