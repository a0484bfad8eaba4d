#include "store/rocks_store_options.h"

#include <gtest/gtest.h>

namespace jindou::store {
namespace {

TEST(RocksStoreOptions, DurableAndKeptForeverByDefault) {
  auto s = config::ConfigSource::load({});
  const RocksStoreOptions o = RocksStoreOptions::from(s, "/data/store");
  EXPECT_EQ(o.path, "/data/store");
  EXPECT_TRUE(o.sync_writes);
  EXPECT_EQ(o.retention_seconds, 0);
  EXPECT_FALSE(s.problem());
}

TEST(RocksStoreOptions, SyncWritesAndRetention) {
  auto s = config::ConfigSource::load(
      {{}, {{"WK_STORAGE_SYNCWRITES", "false"}}, {{"message.retention", "30d"}}});
  const RocksStoreOptions o = RocksStoreOptions::from(s, "p");
  EXPECT_FALSE(o.sync_writes);
  EXPECT_EQ(o.retention_seconds, 30 * 86400);

  auto sub_second = config::ConfigSource::load({{}, {}, {{"message.retention", "1500ms"}}});
  EXPECT_EQ(RocksStoreOptions::from(sub_second, "p").retention_seconds, 1);

  auto bad = config::ConfigSource::load({{}, {}, {{"storage.syncWrites", "sometimes"}}});
  EXPECT_TRUE(RocksStoreOptions::from(bad, "p").sync_writes);
  EXPECT_EQ(bad.problem(),
            "invalid configuration --storage.syncWrites: expected true or false, got "
            "'sometimes'");
}

}  // namespace
}  // namespace jindou::store
