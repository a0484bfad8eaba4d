// Compaction filters that physically remove expired messages and their index entries.
// Thread-safe and stateless apart from the clock: RocksDB calls them from compaction threads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

namespace rocksdb {
class CompactionFilter;
}

namespace jindou::store {

enum class ExpiryLayout { kMessage, kIndex };

std::shared_ptr<rocksdb::CompactionFilter> make_expiry_filter(ExpiryLayout layout,
                                                              int64_t retention_seconds,
                                                              std::function<int64_t()> clock);

}  // namespace jindou::store
