// A set of changes that become durable together. Built on any thread by the engine, handed to
// Store::commit, applied by the group committer as part of one fsync'd RocksDB write.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/channel.h"
#include "model/message.h"
#include "store/conversation_record.h"
#include "store/stream_record.h"

namespace jindou::store {

// Column families, in the order they are opened.
enum class Column : uint8_t {
  kDefault,
  kMessage,
  kMessageId,
  kClientNo,
  kChannel,
  kMember,
  kUserChannel,
  kUser,
  kSyncQueue,
  kCursor,
  kConversation,
  kEvent,
  kStream,
  kCount
};

struct UserToken {
  std::string token;
  uint8_t device_level = 0;  // 0 slave, 1 master
  friend bool operator==(const UserToken&, const UserToken&) = default;
};

class WriteSet {
 public:
  // kQueueAppend: a put whose key gets the next queue position when it is committed.
  enum class OpKind : uint8_t { kPut, kDelete, kDeleteRange, kQueueAppend };
  struct Op {
    Column column = Column::kDefault;
    OpKind kind = OpKind::kPut;
    std::string key;
    std::string value;  // kDeleteRange: the exclusive end key
    // Non-zero: the offset in `value` of an 8-byte slot the committer fills with the commit
    // version (big-endian), a number that grows in commit order.
    uint16_t version_at = 0;
  };

  // Stores `m` (message_seq > 0) with its message_id index. `index_client_msg_no`: also the
  // client_msg_no index (not needed for server-generated values, see model/client_msg_no.h).
  // `record_max_seq`: also raise the channel's max-seq record (one per channel per write set);
  // needed when messages can disappear (expire, retention) — otherwise the channel's last
  // message key is its max seq.
  void put_message(const Message& m, bool index_client_msg_no = true, bool record_max_seq = true);
  void put_channel_info(const ChannelKey& key, const ChannelInfo& info);
  void put_member(const ChannelKey& key, MemberRole role, std::string_view uid);
  void delete_member(const ChannelKey& key, MemberRole role, std::string_view uid);
  // Removes every member of `role` (the reverse index is the caller's: see delete_member).
  void delete_all_members(const ChannelKey& key, MemberRole role);
  void put_user_token(std::string_view uid, uint8_t device_flag, const UserToken& token);
  void delete_user_token(std::string_view uid, uint8_t device_flag);
  // Appends (channel, seq) to the sync_once queue of `uid`. Positions are assigned at commit,
  // in commit order, so an entry committed later always sorts after the ones read before it.
  void push_sync_queue(std::string_view uid, const ChannelKey& key, uint64_t seq);
  // Removes sync-queue entries of `uid` with position <= `last_position`.
  void delete_sync_queue_through(std::string_view uid, uint64_t last_position);
  void put_cursor(std::string_view name, std::string_view value);

  // Streams (stream CF): the record (the open marker goes with a record of no chunks and is
  // removed with an ended one) and a chunk.
  void put_stream(const StreamRecord& record);
  // `client_msg_no` (may be empty): indexed so that a retried chunk is found.
  void put_stream_chunk(std::string_view stream_no, uint32_t chunk_seq, std::string payload,
                        std::string_view client_msg_no = {});

  // Conversations (conv CF): `uid`'s read marks for `key`.
  void put_read_mark(std::string_view uid, const ChannelKey& key, const ReadMark& mark);
  void put_own_mark(std::string_view uid, const ChannelKey& key, uint64_t seq, uint64_t red_dots);
  void delete_conversation(std::string_view uid, const ChannelKey& key);

  // Event queues (event CF), e.g. the webhooks': `queue` names one; entries sort by id.
  // append_event's id is the next queue position, given at commit in commit order.
  void append_event(uint8_t queue, std::string value);
  void put_event(uint8_t queue, uint64_t id, std::string value);
  void delete_event(uint8_t queue, uint64_t id);
  void delete_events_through(uint8_t queue, uint64_t last_id);

  // Cluster mode: the partition (replicated log) these writes belong to; kLocal: this node's
  // own (not replicated), the default. The engine's shards set it (0 in single-node mode).
  static constexpr uint32_t kLocal = UINT32_MAX;
  void set_partition(uint32_t partition) { partition_ = partition; }
  uint32_t partition() const { return partition_; }
  // The channels whose info or member lists these writes change (so that a node applying them
  // from the log drops what it cached of them).
  const std::vector<ChannelKey>& changed_channels() const { return changed_channels_; }
  // Rebuilds a write set from its ops (a node applying another node's writes from the log).
  static WriteSet from_ops(std::vector<Op> ops, std::vector<ChannelKey> changed_channels,
                           uint32_t partition, size_t messages);

  bool empty() const { return ops_.empty(); }
  size_t size() const { return ops_.size(); }
  size_t message_count() const { return messages_; }
  const std::vector<Op>& ops() const { return ops_; }
  // Moves every op of `other` to the end of this set.
  void append(WriteSet&& other);

 private:
  void add(Column c, OpKind k, std::string key, std::string value = {}, uint16_t version_at = 0);

  std::vector<Op> ops_;
  // Channel prefix -> index in ops_ of its max-seq record, so a batch writes it once.
  std::unordered_map<std::string, size_t> max_seq_op_;
  // Own-mark key -> index in ops_ of its put, while no later op touched that conversation: a
  // sender's marks of one write set become one put.
  std::unordered_map<std::string, size_t> own_mark_op_;
  size_t messages_ = 0;
  uint32_t partition_ = kLocal;
  std::vector<ChannelKey> changed_channels_;
};

}  // namespace jindou::store
