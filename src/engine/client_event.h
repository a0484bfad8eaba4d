// Events for clients of protocol v5 (EVENT packets): the progress of stream messages and events
// a backend relays to a channel. Nothing here is stored; streams themselves are (see
// store/stream_record.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace jindou::engine {

// The event types WuKongIM 2.2 sends for streams (SDK 1.3.x's EventType names).
inline constexpr std::string_view kEventTextMessageStart = "___TextMessageStart";
inline constexpr std::string_view kEventTextMessageContent = "___TextMessageContent";
inline constexpr std::string_view kEventTextMessageEnd = "___TextMessageEnd";

// An EVENT's data must fit a wkproto packet (1 MiB with id, type and timestamp): the most a
// backend may give as an event's data, and the largest chunk whose Content event (base64 in
// JSON) fits.
inline constexpr size_t kMaxEventDataBytes = (size_t{1} << 20) - 1024;
inline constexpr size_t kMaxChunkBytes = (kMaxEventDataBytes - 256) / 4 * 3;

struct ClientEvent {
  std::string id;  // a stream's anchor client_msg_no, or the backend's event id
  std::string type;
  int64_t timestamp_ms = 0;
  std::string data;  // UTF-8 JSON text, sent unencrypted as it is
};

struct EventDelivery {
  std::shared_ptr<const ClientEvent> event;
  // uids; only their connections of protocol v5 get the event.
  std::shared_ptr<const std::vector<std::string>> recipients;
};

}  // namespace jindou::engine
