// WriteRouter: cluster mode's say in where a write is decided. In a cluster every channel (and
// every user's own records) belongs to a partition, one replicated log with one owner node at a
// time; only the owner decides that partition's writes (seqs, idempotency, permissions). The
// engine asks the router, at each write's entry, whether this node decides it; when not, the
// router takes the call (and forwards it to the owner). Single-node mode has no router: every
// write is decided here, in partition 0.
//
// Threads: decides_here() and partition() are called on any thread and must not block; the
// forwarding calls answer their callbacks on any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/client_event.h"
#include "engine/member_change.h"
#include "engine/send_types.h"
#include "model/channel.h"
#include "model/error.h"
#include "store/stream_record.h"
#include "store/write_set.h"

namespace jindou::engine {

class WriteRouter {
 public:
  using SendDone = std::function<void(SendResult)>;
  using StreamDone = std::function<void(StreamResult)>;
  using StatusDone = std::function<void(Status)>;

  virtual ~WriteRouter() = default;

  // The partition (replicated log) of `key`'s writes; a user's own records use {uid, person}.
  virtual uint32_t partition(const ChannelKey& key) const = 0;
  // Whether this node decides the writes of `key` now.
  virtual bool decides_here(const ChannelKey& key) = 0;

  // The engine's writes, forwarded as they were called (arguments as the engine got them).
  virtual void send(SendRequest request, SendDone done) = 0;
  virtual void append_chunk(const ChannelKey& key, ChunkRequest request, StreamDone done) = 0;
  virtual void close_stream(const ChannelKey& key, std::string stream_no, store::StreamEnd reason,
                            StreamDone done) = 0;
  virtual void relay_event(const std::string& channel_id, uint8_t channel_type,
                           const std::string& from_uid, ClientEvent event, StatusDone done) = 0;
  virtual void change_channel(const ChannelKey& key, std::optional<ChannelInfo> info,
                              std::optional<MemberChange> members, StatusDone done) = 0;
  virtual void disband_channel(const ChannelKey& key, StatusDone done) = 0;
  virtual void set_user_token(const std::string& uid, uint8_t device_flag,
                              const store::UserToken& token, StatusDone done) = 0;
  virtual void clear_user_tokens(const std::string& uid, const std::vector<uint8_t>& device_flags,
                                 StatusDone done) = 0;
  virtual void clear_unread(const std::string& uid, const std::string& channel_id,
                            uint8_t channel_type, uint64_t message_seq, StatusDone done) = 0;
  virtual void set_unread(const std::string& uid, const std::string& channel_id,
                          uint8_t channel_type, uint64_t unread, StatusDone done) = 0;
  virtual void delete_conversation(const std::string& uid, const std::string& channel_id,
                                   uint8_t channel_type, StatusDone done) = 0;
  virtual void ack_sync_once(const std::string& uid, uint64_t last_message_seq,
                             StatusDone done) = 0;
};

}  // namespace jindou::engine
