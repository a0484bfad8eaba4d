// What a send asks for and what it gets back, shared by every ingress.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/error.h"
#include "model/message.h"

namespace jindou::engine {

// Who is sending: the business backend over HTTP (trusted: no membership checks) or a client
// connection (all send permissions apply; its own connection gets no RECV).
struct SendOrigin {
  enum class Kind : uint8_t { kHttp, kClient };
  Kind kind = Kind::kHttp;
  uint64_t connection_id = 0;
};

struct SendRequest {
  SendOrigin origin;
  std::string from_uid;    // empty: the system uid
  std::string channel_id;  // as addressed: the peer's uid for person channels
  uint8_t channel_type = 0;
  MessageHeader header;
  uint8_t setting = 0;
  std::string client_msg_no;  // empty: the server generates one
  uint32_t expire = 0;
  // With open_stream: the stream this message anchors (Engine::open_stream names it).
  std::string stream_no;
  bool open_stream = false;
  std::string tag_key;
  std::string topic;
  std::string payload;
  // Non-empty: deliver to exactly these uids. Without a channel the message is not stored.
  std::vector<std::string> subscribers;
};

struct SendResult {
  Status status;
  int64_t message_id = 0;
  uint64_t message_seq = 0;
  std::string client_msg_no;
  bool duplicate = false;  // an earlier send with the same key answered this one
  std::string stream_no;   // an opened stream's
};

// A chunk of an open stream.
struct ChunkRequest {
  std::string stream_no;
  std::string client_msg_no;  // empty: the server generates one
  std::string payload;
  // Non-empty: the chunk came as an event's data (POST /event); its Content event carries this
  // JSON text unchanged instead of {"stream_no","chunk_seq","payload"}.
  std::string event_json;
};

struct StreamResult {
  Status status;
  int64_t message_id = 0;  // the anchor's
  uint64_t message_seq = 0;
  std::string client_msg_no;  // the chunk's (close: the anchor's)
  std::string stream_no;
  uint32_t chunk_seq = 0;
  bool duplicate = false;  // a retried chunk (same client_msg_no) answered with the first one
};

}  // namespace jindou::engine
