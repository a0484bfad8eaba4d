// Where a channel lives in a cluster: its hash slot (crc32 of "<id>-<type>" modulo
// cluster.slotCount, as WuKongIM computes it) and the partition log that slot belongs to
// (slot modulo cluster.logCount). A user's own records (tokens, the sync queue) live with the
// person channel key {uid, 1}.
#pragma once

#include <cstdint>
#include <string>

#include "model/channel.h"

namespace jindou::cluster {

class Slots {
 public:
  Slots(uint32_t slot_count, uint32_t log_count) : slots_(slot_count), logs_(log_count) {}

  uint32_t slot(const ChannelKey& key) const {
    return crc32_ieee(key.id + "-" + std::to_string(key.type)) % slots_;
  }
  uint32_t partition(const ChannelKey& key) const { return slot(key) % logs_; }
  uint32_t partition_of_slot(uint32_t slot) const { return slot % logs_; }
  uint32_t slot_count() const { return slots_; }
  uint32_t log_count() const { return logs_; }

 private:
  uint32_t slots_;
  uint32_t logs_;
};

}  // namespace jindou::cluster
