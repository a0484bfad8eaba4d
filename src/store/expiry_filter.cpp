#include "store/expiry_filter.h"

#include <rocksdb/compaction_filter.h>

#include "store/encoding.h"

namespace jindou::store {
namespace {

class ExpiryFilter final : public rocksdb::CompactionFilter {
 public:
  ExpiryFilter(ExpiryLayout layout, int64_t retention, std::function<int64_t()> clock)
      : layout_(layout), retention_(retention), clock_(std::move(clock)) {}

  bool Filter(int /*level*/, const rocksdb::Slice& /*key*/, const rocksdb::Slice& value,
              std::string* /*new_value*/, bool* /*value_changed*/) const override {
    int64_t expires_at = 0;
    int64_t timestamp = 0;
    if (layout_ == ExpiryLayout::kMessage) {
      if (value.size() < kMessageTimestampOffset + 8) return false;
      const uint32_t expire = get_u32(value.data() + kMessageExpireOffset);
      timestamp = static_cast<int64_t>(get_u64(value.data() + kMessageTimestampOffset));
      expires_at = expire == 0 ? 0 : timestamp + expire;
    } else {
      if (value.size() < kIndexTimestampOffset + 8) return false;
      expires_at = static_cast<int64_t>(get_u64(value.data() + kIndexExpiresAtOffset));
      timestamp = static_cast<int64_t>(get_u64(value.data() + kIndexTimestampOffset));
    }
    const int64_t now = clock_();
    if (expires_at != 0 && now >= expires_at) return true;
    return retention_ > 0 && timestamp + retention_ <= now;
  }

  const char* Name() const override { return "jindou.ExpiryFilter"; }

 private:
  ExpiryLayout layout_;
  int64_t retention_;
  std::function<int64_t()> clock_;
};

}  // namespace

std::shared_ptr<rocksdb::CompactionFilter> make_expiry_filter(ExpiryLayout layout,
                                                              int64_t retention_seconds,
                                                              std::function<int64_t()> clock) {
  return std::make_shared<ExpiryFilter>(layout, retention_seconds, std::move(clock));
}

}  // namespace jindou::store
