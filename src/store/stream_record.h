// What the store keeps of a stream (a message that grows chunk by chunk after its anchor was
// stored): one record per stream, and its chunks in order. The anchor itself is a normal message
// whose stream_no names the record.
#pragma once

#include <cstdint>
#include <string>

#include "model/channel.h"

namespace jindou::store {

// Why a stream ended (WuKongIM's end_reason).
enum class StreamEnd : uint8_t { kNormal = 0, kError = 1, kTimeout = 2 };

struct StreamRecord {
  std::string stream_no;
  ChannelKey channel;  // the anchor's stored channel
  uint64_t anchor_seq = 0;
  int64_t anchor_message_id = 0;
  std::string client_msg_no;  // the anchor's
  std::string from_uid;
  uint32_t chunks = 0;  // chunk seqs run 1..chunks
  uint64_t bytes = 0;   // payload bytes of every chunk together
  bool ended = false;
  StreamEnd end_reason = StreamEnd::kNormal;
  int64_t updated_ms = 0;  // Unix milliseconds of the last open, chunk or end
  friend bool operator==(const StreamRecord&, const StreamRecord&) = default;
};

}  // namespace jindou::store
