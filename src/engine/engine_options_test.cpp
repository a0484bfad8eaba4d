#include "engine/engine_options.h"

#include <gtest/gtest.h>

namespace jindou::engine {
namespace {

config::ConfigSource source(std::map<std::string, std::string> overrides) {
  return config::ConfigSource::load({{}, {}, std::move(overrides)});
}

TEST(EngineOptions, DefaultsWithoutConfiguration) {
  auto s = source({});
  const EngineOptions o = EngineOptions::from(s);
  EXPECT_EQ(o.max_cached_channels_per_shard, 100000u);
  EXPECT_EQ(o.max_cached_members_per_shard, 2'000'000u);
  EXPECT_EQ(o.max_cached_settings, 1'000'000u);
  EXPECT_TRUE(o.whitelist_off_of_person);
  EXPECT_TRUE(o.conversations);
  EXPECT_EQ(max_payload_bytes(s), 1u << 20);
  EXPECT_EQ(node_id(s), 1);
  EXPECT_EQ(manager_token(s), "");
  EXPECT_FALSE(s.problem());
}

TEST(EngineOptions, EveryFieldHasAKey) {
  auto s = source({{"channel.maxCachedPerShard", "10"},
                   {"channel.maxCachedSubscribersPerShard", "20"},
                   {"channel.maxCachedSettings", "30"},
                   {"whitelistOffOfPerson", "false"},
                   {"conversation.on", "off"}});
  const EngineOptions o = EngineOptions::from(s);
  EXPECT_EQ(o.max_cached_channels_per_shard, 10u);
  EXPECT_EQ(o.max_cached_members_per_shard, 20u);
  EXPECT_EQ(o.max_cached_settings, 30u);
  EXPECT_FALSE(o.whitelist_off_of_person);
  EXPECT_FALSE(o.conversations);
  EXPECT_FALSE(s.problem());
  EXPECT_TRUE(s.warnings().empty());
}

TEST(EngineOptions, ACacheOfNothingIsRefused) {
  auto s = source({{"channel.maxCachedPerShard", "0"}});
  EngineOptions::from(s);
  EXPECT_EQ(s.problem(),
            "invalid configuration --channel.maxCachedPerShard: expected an integer between 1 and "
            "100000000, got '0'");
}

TEST(EngineOptions, KeysTheIngressesShare) {
  auto s = source(
      {{"message.maxPayloadBytes", "4096"}, {"cluster.nodeId", "7"}, {"managerToken", "secret"}});
  EXPECT_EQ(max_payload_bytes(s), 4096u);
  EXPECT_EQ(node_id(s), 7);
  EXPECT_EQ(manager_token(s), "secret");

  auto too_big = source({{"message.maxPayloadBytes", "67108865"}});
  EXPECT_EQ(max_payload_bytes(too_big), 1u << 20);
  EXPECT_TRUE(too_big.problem());
}

}  // namespace
}  // namespace jindou::engine
