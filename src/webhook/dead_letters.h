// DeadLetters: the list of calls that ran out of retries (event-log queue 'd'), bounded by
// webhook.maxDeadLetters (beyond it the oldest go, with an error log and a count in /varz).
//
// Thread: any; additions from the dispatcher threads, listing and replay from HTTP threads.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "store/store.h"
#include "webhook/dead_letter.h"

namespace jindou::webhook {

class DeadLetters {
 public:
  DeadLetters(store::Store& store, size_t max) : store_(store), max_(max) {}

  // Counts what is stored (at start).
  Status load();
  // Adds `d` to `writes`; when the list is full, also the deletion of the oldest.
  Status add(store::WriteSet& writes, const DeadLetter& d);
  // Dead letters with id > `after_id`, oldest first.
  Result<std::vector<DeadLetter>> list(uint64_t after_id, size_t limit);
  // The dead letters named by `ids` (all when empty), read for a replay or a removal.
  Result<std::vector<DeadLetter>> find(const std::vector<uint64_t>& ids);
  // `n` dead letters are gone (replayed or removed) once the caller's write commits.
  void removed(size_t n);

  size_t count() const { return count_.load(std::memory_order_relaxed); }
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  store::Store& store_;
  const size_t max_;
  std::mutex mu_;  // one addition at a time decides what to trim
  std::atomic<size_t> count_{0};
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace jindou::webhook
