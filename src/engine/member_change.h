// A change to a channel's member lists (subscribers, deny list, allow list).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/channel.h"

namespace jindou::engine {

// A change to a channel's member lists.
struct MemberChange {
  enum class Mode : uint8_t { kAdd, kRemove, kSet, kRemoveAll };
  MemberRole role = MemberRole::kSubscriber;
  Mode mode = Mode::kAdd;
  std::vector<std::string> uids;
};

}  // namespace jindou::engine
