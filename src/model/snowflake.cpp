#include "model/snowflake.h"

#include <chrono>
#include <stdexcept>

namespace jindou {

SnowflakeGenerator::SnowflakeGenerator(uint16_t node_id) : node_id_(node_id) {
  if (node_id > kMaxNodeId) throw std::invalid_argument("snowflake node id must be 0..1023");
}

int64_t SnowflakeGenerator::next() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return next_at(std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
}

void SnowflakeGenerator::advance_past(int64_t id) {
  const int64_t ms = id >> (kNodeBits + kSequenceBits);
  const int64_t packed = (ms << kSequenceBits) | (id & ((1 << kSequenceBits) - 1));
  int64_t last = last_.load(std::memory_order_relaxed);
  while (last < packed && !last_.compare_exchange_weak(last, packed, std::memory_order_relaxed)) {
  }
}

int64_t SnowflakeGenerator::next_at(int64_t now_ms) {
  const int64_t floor = (now_ms - kTwitterEpochMs) << kSequenceBits;
  int64_t last = last_.load(std::memory_order_relaxed);
  int64_t next = 0;
  do {
    // Either the first id of this millisecond or one past the last id handed out.
    next = last + 1 > floor ? last + 1 : floor;
  } while (!last_.compare_exchange_weak(last, next, std::memory_order_relaxed));
  const int64_t ms = next >> kSequenceBits;
  const int64_t seq = next & ((1 << kSequenceBits) - 1);
  return (ms << (kNodeBits + kSequenceBits)) | (static_cast<int64_t>(node_id_) << kSequenceBits) |
         seq;
}

}  // namespace jindou
