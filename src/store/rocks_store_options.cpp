#include "store/rocks_store_options.h"

#include <chrono>

namespace jindou::store {

RocksStoreOptions RocksStoreOptions::from(config::ConfigSource& source, std::string path) {
  RocksStoreOptions o;
  o.path = std::move(path);
  o.sync_writes = source.boolean("storage.syncWrites", o.sync_writes);
  // Expiry works in whole seconds (message timestamps are Unix seconds).
  o.retention_seconds = std::chrono::duration_cast<std::chrono::seconds>(
                            source.duration("message.retention", std::chrono::milliseconds(0)))
                            .count();
  return o;
}

}  // namespace jindou::store
