// RocksStore's settings and the configuration keys behind them (RocksStoreOptions::from).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "config/config_source.h"
#include "model/error.h"

namespace jindou::store {

struct RocksStoreOptions {
  std::string path;
  bool sync_writes = true;        // storage.syncWrites: fsync before a commit completes
  int64_t retention_seconds = 0;  // message.retention; 0 = keep forever
  size_t block_cache_bytes = 128u << 20;
  size_t memtable_budget_bytes = 256u << 20;  // all column families together
  size_t max_group_ops = 200000;              // ops in one group commit
  std::function<int64_t()> clock;             // Unix seconds; default: system clock
  std::function<void()> before_sync;          // tests: runs on the sync thread before each sync
  // Failure points for tests (store/fault_injecting_store.h). Each runs on the committer's
  // thread before a group write (told how many write sets the group holds) or before a sync;
  // an error fails that write or sync as a disk error would, with everything that follows.
  std::function<Status(size_t write_sets)> write_fault;
  std::function<Status()> sync_fault;

  // The store at `path` (the server puts it under dataDir), with storage.syncWrites and
  // message.retention.
  static RocksStoreOptions from(config::ConfigSource& source, std::string path);
};

}  // namespace jindou::store
