// What the store keeps of a user's conversation with a channel: never one write per member per
// message, only the user's own read marks. The engine computes unread counts from these and the
// channel's newest message (see engine/conversation_reader.h).
#pragma once

#include <cstdint>
#include <optional>

#include "model/channel.h"

namespace jindou::store {

// Set by the user's explicit actions (clearUnread, setUnread, delete) and by joining a channel.
// Unread = unread_offset + (red-dot total of the newest message) - read_red_dots.
struct ReadMark {
  uint64_t read_seq = 0;       // everything up to here is read
  uint64_t read_red_dots = 0;  // red-dot total at read_seq
  uint64_t unread_offset = 0;  // setUnread: unread messages counted on top
  uint64_t deleted_to = 0;     // hidden while the channel's newest seq is <= this
  uint64_t version = 0;        // commit version of this mark
  friend bool operator==(const ReadMark&, const ReadMark&) = default;
};

// The user's own newest message in the channel: sending marks the chat read. Written with every
// send (no read needed), kept apart from ReadMark so sends never read-modify-write.
struct OwnMark {
  uint64_t seq = 0;
  uint64_t red_dots = 0;  // red-dot total at seq
  uint64_t version = 0;   // commit version
  friend bool operator==(const OwnMark&, const OwnMark&) = default;
};

struct ConversationRecord {
  ChannelKey channel;
  std::optional<ReadMark> read;
  std::optional<OwnMark> own;
};

}  // namespace jindou::store
