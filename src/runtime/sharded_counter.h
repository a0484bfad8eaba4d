// ShardedCounter: a counter bumped from many threads without contention, and NamedCounter, how
// a layer hands its counters to whoever reports them (/varz) without being known to it.
//
// Each counter keeps one cache line per thread slot, so two io threads bumping the same counter
// never contend for a line; a reader sums the slots.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace jindou::runtime {

class ShardedCounter {
 public:
  void add(uint64_t n = 1) {
    slots_[slot_of_this_thread()].value.fetch_add(n, std::memory_order_relaxed);
  }
  uint64_t load() const {
    uint64_t sum = 0;
    for (const auto& s : slots_) sum += s.value.load(std::memory_order_relaxed);
    return sum;
  }

 private:
  static constexpr size_t kSlots = 16;  // threads beyond 16 share slots (still correct)
  struct alignas(64) Slot {
    std::atomic<uint64_t> value{0};
  };
  static size_t slot_of_this_thread() {
    static std::atomic<size_t> next{0};
    thread_local const size_t slot = next.fetch_add(1, std::memory_order_relaxed) % kSlots;
    return slot;
  }
  std::array<Slot, kSlots> slots_{};
};

// A counter as a report shows it: its name there and where to read it. The counter must
// outlive the report's user.
struct NamedCounter {
  std::string_view name;
  const ShardedCounter* counter = nullptr;
};

}  // namespace jindou::runtime
