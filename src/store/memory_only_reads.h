// MemoryOnlyReads: while one lives on a thread, the store's reads on that thread are answered
// from memory only (memtables, the block cache, the tables' resident index and bloom filters).
// A read that would have to wait for the disk fails at once instead, and the guard remembers
// that one did.
//
// A shard thread decides its sends under one: when memory was enough (a hot channel, a
// client_msg_no the bloom filter has never seen) nothing changes; when it was not, the shard
// hands the reads to a read thread and decides again once they are in memory, so one cold
// channel never stalls the other channels of its shard.
//
// Threads: thread-local; guards do not nest.
#pragma once

#include "model/error.h"

namespace jindou::store {

class MemoryOnlyReads {
 public:
  MemoryOnlyReads();
  ~MemoryOnlyReads();
  MemoryOnlyReads(const MemoryOnlyReads&) = delete;
  MemoryOnlyReads& operator=(const MemoryOnlyReads&) = delete;

  // True once a read under this guard needed the disk (its caller got miss_error()).
  bool missed() const;

  // For the store: whether reads on this thread must stay in memory, and what a read that
  // could not answers (it also marks the guard).
  static bool active();
  static Error miss();
};

}  // namespace jindou::store
