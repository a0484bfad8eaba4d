// Snowflake message ids: 41 bits of milliseconds since the Twitter epoch, 10 bits of node id,
// 12 bits of sequence. Thread-safe and lock-free; ids are strictly increasing per generator even
// if the wall clock steps back (the generator then borrows from the future until it catches up).
#pragma once

#include <atomic>
#include <cstdint>

namespace jindou {

class SnowflakeGenerator {
 public:
  static constexpr int64_t kTwitterEpochMs = 1288834974657;
  static constexpr int kNodeBits = 10;
  static constexpr int kSequenceBits = 12;
  static constexpr uint16_t kMaxNodeId = (1u << kNodeBits) - 1;

  explicit SnowflakeGenerator(uint16_t node_id);

  int64_t next();
  // As next(), with the clock supplied (milliseconds since the Unix epoch); for tests.
  int64_t next_at(int64_t now_ms);

  // Never hand out an id at or below `id` (seeded at start-up with the largest stored id, so a
  // clock that stepped back across a restart cannot repeat ids).
  void advance_past(int64_t id);

  uint16_t node_id() const { return node_id_; }
  static int64_t unix_ms_of(int64_t id) {
    return (id >> (kNodeBits + kSequenceBits)) + kTwitterEpochMs;
  }
  static uint16_t node_of(int64_t id) {
    return static_cast<uint16_t>((id >> kSequenceBits) & kMaxNodeId);
  }

 private:
  uint16_t node_id_;
  // (ms since epoch << kSequenceBits) | sequence of the last id handed out.
  std::atomic<int64_t> last_{0};
};

}  // namespace jindou
