// Pieces the RocksStore source files share: status translation and bounded iteration.
// Internal to store/.
#pragma once

#include <rocksdb/db.h>

#include <memory>
#include <string>

#include "model/channel.h"
#include "model/error.h"
#include "store/encoding.h"
#include "store/memory_only_reads.h"

namespace jindou::store {

inline Error to_error(const rocksdb::Status& s) {
  if (s.IsIncomplete() && MemoryOnlyReads::active()) return MemoryOnlyReads::miss();
  if (s.IsIOError() || s.IsNoSpace() || s.IsCorruption()) {
    return Error::unavailable("storage unavailable: " + s.ToString());
  }
  return Error::internal("storage error: " + s.ToString());
}

// Read options for a point read or scan at `view`: memory only under a MemoryOnlyReads guard.
inline rocksdb::ReadOptions read_options(const rocksdb::Snapshot* view) {
  rocksdb::ReadOptions ro;
  ro.snapshot = view;
  if (MemoryOnlyReads::active()) ro.read_tier = rocksdb::kBlockCacheTier;
  return ro;
}

// Exclusive upper bound covering every message key of `channel`.
inline std::string channel_end(const ChannelKey& channel) {
  std::string end = message_key(channel, UINT64_MAX);
  end.push_back('\0');
  return end;
}

// Exclusive upper bound for keys starting with `prefix` ("" when there is none).
inline std::string prefix_end(std::string prefix) {
  while (!prefix.empty()) {
    auto& c = reinterpret_cast<unsigned char&>(prefix.back());
    if (c != 0xFF) {
      ++c;
      return prefix;
    }
    prefix.pop_back();
  }
  return prefix;
}

// An iterator over the keys in [lower, upper) of one column family (an empty bound is open);
// the bounds live as long as the iterator.
class BoundedIterator {
 public:
  BoundedIterator(rocksdb::DB& db, std::shared_ptr<const rocksdb::Snapshot> view,
                  rocksdb::ColumnFamilyHandle* cf, std::string lower, std::string upper)
      : view_(std::move(view)),
        lower_(std::move(lower)),
        upper_(std::move(upper)),
        lower_slice_(lower_),
        upper_slice_(upper_) {
    rocksdb::ReadOptions ro = read_options(view_.get());
    if (!lower_.empty()) ro.iterate_lower_bound = &lower_slice_;
    if (!upper_.empty()) ro.iterate_upper_bound = &upper_slice_;
    it_.reset(db.NewIterator(ro, cf));
  }
  BoundedIterator(const BoundedIterator&) = delete;  // the read options point into it
  BoundedIterator& operator=(const BoundedIterator&) = delete;
  rocksdb::Iterator* operator->() const { return it_.get(); }

 private:
  std::shared_ptr<const rocksdb::Snapshot> view_;
  std::string lower_;
  std::string upper_;
  rocksdb::Slice lower_slice_;
  rocksdb::Slice upper_slice_;
  std::unique_ptr<rocksdb::Iterator> it_;
};

}  // namespace jindou::store
