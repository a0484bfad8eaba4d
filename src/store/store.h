// The Store: the only door to persistent state. One implementation today (RocksStore); the
// interface is the seam the cluster log will use.
//
// Threads: reads are safe from any thread and see only durable data. commit() may be called from
// any thread; its callback runs on the store's committer thread and must not block.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "model/channel.h"
#include "model/error.h"
#include "model/message.h"
#include "store/conversation_record.h"
#include "store/write_set.h"

namespace jindou::store {

using CommitCallback = std::function<void(const Status&)>;

// Where a message lives.
struct MessageRef {
  int64_t message_id = 0;
  uint64_t message_seq = 0;
  ChannelKey channel;
};

struct ScanResult {
  std::vector<Message> messages;  // ascending message_seq
  bool more = false;              // further visible messages exist in the scan direction
};

struct SyncQueueEntry {
  uint64_t position = 0;
  ChannelKey channel;
  uint64_t seq = 0;
};

// A channel's newest seq and the red-dot total there (see Message::red_dot_total).
struct ChannelTip {
  uint64_t max_seq = 0;
  uint64_t red_dots = 0;
};

struct StoredEvent {
  uint64_t id = 0;
  std::string value;
};

struct StoreStats {
  uint64_t commits = 0;         // group commits written
  uint64_t write_sets = 0;      // write sets applied
  uint64_t messages = 0;        // messages stored
  uint64_t keys_written = 0;    // puts and deletes of the write sets, all column families
  uint64_t largest_commit = 0;  // most write sets in one group commit
  bool healthy = true;
};

class Store {
 public:
  virtual ~Store() = default;

  // Makes `writes` durable in the next group commit, then calls `done` (committer thread).
  virtual void commit(WriteSet writes, CommitCallback done) = 0;
  // commit() and wait; for rare metadata writes and tests.
  virtual Status commit_and_wait(WriteSet writes) = 0;

  // Messages. Expired messages (expire or retention) are never returned.
  virtual Result<uint64_t> max_seq(const ChannelKey& channel) = 0;
  // The max seq with the red-dot total there (0 for messages stored before conversations).
  virtual Result<ChannelTip> channel_tip(const ChannelKey& channel) = 0;
  virtual Result<std::optional<Message>> message(const ChannelKey& channel, uint64_t seq) = 0;
  virtual Result<std::optional<Message>> message_by_id(int64_t message_id) = 0;
  // The message sent to `channel` by `from_uid` with `client_msg_no` (the idempotency key).
  virtual Result<std::optional<MessageRef>> find_client_msg(const ChannelKey& channel,
                                                            std::string_view from_uid,
                                                            std::string_view client_msg_no) = 0;
  // Every message of `channel` with `client_msg_no`, whoever sent it.
  virtual Result<std::vector<Message>> messages_by_client_msg_no(
      const ChannelKey& channel, std::string_view client_msg_no) = 0;
  // Visible messages with from <= seq < to (to == 0: no upper bound). Ascending takes the first
  // `limit` from `from` upward; descending takes the `limit` closest below `to`. The page also
  // ends once its payloads reach `max_bytes` (it always holds at least one message); `more`
  // then says whether further messages follow.
  virtual Result<ScanResult> scan(const ChannelKey& channel, uint64_t from, uint64_t to,
                                  bool descending, size_t limit, size_t max_bytes = SIZE_MAX) = 0;
  // Visits visible messages ordered by message_id, starting after `after_id` (ascending) or
  // before `before_id` (descending, 0 = from the newest), until `visit` returns false.
  virtual Status for_each_by_id(bool descending, int64_t start_exclusive,
                                const std::function<bool(Message&&)>& visit) = 0;
  // As for_each_by_id, within one channel ordered by seq.
  virtual Status for_each_in_channel(const ChannelKey& channel, bool descending,
                                     uint64_t start_exclusive,
                                     const std::function<bool(Message&&)>& visit) = 0;
  virtual Result<int64_t> max_message_id() = 0;

  // Channels and members.
  virtual Result<std::optional<ChannelInfo>> channel_info(const ChannelKey& channel) = 0;
  virtual Result<std::vector<std::string>> members(const ChannelKey& channel, MemberRole role) = 0;
  virtual Result<bool> is_member(const ChannelKey& channel, MemberRole role,
                                 std::string_view uid) = 0;
  virtual Result<bool> has_members(const ChannelKey& channel, MemberRole role) = 0;

  // Users.
  virtual Result<std::optional<UserToken>> user_token(std::string_view uid,
                                                      uint8_t device_flag) = 0;

  // Deprecated /message/sync queue.
  virtual Result<std::vector<SyncQueueEntry>> sync_queue(std::string_view uid, size_t limit) = 0;
  virtual Result<uint64_t> last_sync_queue_position(std::string_view uid) = 0;

  // Cursors (webhook positions and similar).
  virtual Result<std::optional<std::string>> cursor(std::string_view name) = 0;

  // Conversations: every record of `uid` (by channel key order), or one.
  virtual Result<std::vector<ConversationRecord>> conversations(std::string_view uid) = 0;
  virtual Result<std::optional<ConversationRecord>> conversation(std::string_view uid,
                                                                 const ChannelKey& channel) = 0;
  // The channels `uid` subscribes to (the reverse member index).
  virtual Result<std::vector<ChannelKey>> subscribed_channels(std::string_view uid) = 0;

  // Event queues: the entries of `queue` with id > `after_id`, ascending, at most `limit`.
  virtual Result<std::vector<StoredEvent>> events(uint8_t queue, uint64_t after_id,
                                                  size_t limit) = 0;

  // Streams: the record of `stream_no`; the stream_nos of open streams; the chunks' payloads
  // concatenated in order (an error naming the limit when they exceed `max_bytes`).
  virtual Result<std::optional<StreamRecord>> stream(std::string_view stream_no) = 0;
  virtual Result<std::vector<std::string>> open_streams() = 0;
  virtual Result<std::string> stream_data(std::string_view stream_no, size_t max_bytes) = 0;
  // The chunk seq of the chunk of `stream_no` sent with `client_msg_no`, if any.
  virtual Result<std::optional<uint32_t>> stream_chunk_seq(std::string_view stream_no,
                                                           std::string_view client_msg_no) = 0;

  // True when message.retention is set: any message may disappear, so every write set must
  // keep the channels' max-seq records (see WriteSet::put_message).
  virtual bool has_retention() const = 0;

  virtual StoreStats stats() const = 0;
  // Unix seconds as the store sees them (read-time expiry uses this clock).
  virtual int64_t now() const = 0;
};

}  // namespace jindou::store
