// ChannelShard: owns the live state of the channels that hash to it (next seq, cached settings
// and subscribers, in-flight idempotency keys) and runs their sends and metadata changes.
//
// Thread: every method runs on the shard's executor (one io thread); no locks. Sends accumulate
// in an open batch that is handed to the store once per executor turn (group commit); completion
// comes back to the executor, answers the callers in order, then hands the batch to delivery.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/channel_settings.h"
#include "engine/delivery.h"
#include "engine/engine_options.h"
#include "engine/event_log.h"
#include "engine/member_change.h"
#include "engine/presence.h"
#include "engine/send_types.h"
#include "engine/write_router.h"
#include "model/channel.h"
#include "model/snowflake.h"
#include "runtime/executor.h"
#include "runtime/sharded_counter.h"
#include "store/store.h"
#include "store/stream_record.h"

namespace jindou::engine {

using SendCallback = std::function<void(SendResult)>;
using StreamCallback = std::function<void(StreamResult)>;
using StatusCallback = std::function<void(Status)>;

// What shards share beyond the store: who is online (offline recipients are found before a
// message is stored) and who hears about new event-log entries. Owned by the Engine.
struct ShardContext {
  const PresenceTable* presence = nullptr;
  EventLogListener* event_listener = nullptr;  // set before the first send
  // Where store reads that need the disk run (see store/memory_only_reads.h); null: on the
  // shard's own thread. Set before the first send.
  runtime::Executor* disk_reads = nullptr;
  // Rounds of reads sends handed to disk_reads (/varz: sends_read_from_disk).
  runtime::ShardedCounter* disk_read_rounds = nullptr;
  // Cluster mode: the partition of each write (one batch per partition per flush). Null: one.
  WriteRouter* router = nullptr;
};

class ChannelShard {
 public:
  ChannelShard(size_t index, runtime::Executor& executor, store::Store& store,
               SnowflakeGenerator& ids, ChannelSettingsCache& settings,
               const EngineOptions& options, DeliverySink* sink, const ShardContext& context);
  ChannelShard(const ChannelShard&) = delete;
  ChannelShard& operator=(const ChannelShard&) = delete;

  runtime::Executor& executor() { return executor_; }

  // `key` is the stored channel (derived for person channels); the request is validated.
  void send(const ChannelKey& key, SendRequest request, SendCallback done);
  // A send without a channel: delivered to request.subscribers only, never stored.
  void send_unstored(SendRequest request, const SendCallback& done);

  // Metadata changes; each becomes durable before `done` runs. Either part may be absent.
  void change_channel(const ChannelKey& key, std::optional<ChannelInfo> info,
                      std::optional<MemberChange> members, StatusCallback done);
  // Sets the disband flag, keeping the channel's other settings.
  void disband_channel(const ChannelKey& key, StatusCallback done);
  // Commits `writes` (records of `key`'s partition) in order with this shard's other changes.
  void commit_writes(const ChannelKey& key, store::WriteSet writes, StatusCallback done);
  // Forgets the cached seqs and subscribers of every channel: they are read again from the
  // store (cluster mode, when another node may have written them meanwhile).
  void forget_channel_state();

  // Conversations of `uid` with `key` (see engine/conversation_reader.h): read up to
  // `message_seq` (0: everything), show `unread` unread, or hide until the next message.
  void clear_unread(const std::string& uid, const ChannelKey& key, uint64_t message_seq,
                    StatusCallback done);
  void set_unread(const std::string& uid, const ChannelKey& key, uint64_t unread,
                  StatusCallback done);
  void delete_conversation(const std::string& uid, const ChannelKey& key, StatusCallback done);

  size_t cached_channels() const { return channels_.size(); }

  // Streams of this shard's channels (engine/stream_ops.cpp). A stream is opened by send()
  // with request.open_stream. Chunks and the end are durable before `done` runs, then go to
  // the channel's v5 connections as EVENTs, in order.
  void append_chunk(const ChannelKey& key, ChunkRequest request, StreamCallback done);
  // Idempotent: closing an ended stream answers as the first close did.
  void close_stream(const ChannelKey& key, const std::string& stream_no, store::StreamEnd reason,
                    StreamCallback done);
  // Ends, with end_reason timeout, the open streams that nothing touched for `idle_ms`.
  void close_idle_streams(int64_t now_ms, int64_t idle_ms);
  // Sends `event` (not stored) to the v5 connections of the channel's subscribers.
  void relay_event(const ChannelKey& key, ClientEvent event, StatusCallback done);
  // Takes an open stream found in the store at start (so that it can time out).
  void adopt_stream(store::StreamRecord record);
  size_t open_streams() const { return streams_.size(); }

 private:
  struct WaitingSend {
    SendRequest request;
    SendCallback done;
    int reads = 0;  // rounds of disk reads done for it
  };
  struct ChannelState {
    ChannelKey key;
    bool seq_loaded = false;
    uint64_t last_seq = 0;  // last assigned, durable or in flight
    uint64_t red_dots = 0;  // red-dot total at last_seq
    std::shared_ptr<const std::vector<std::string>> subscribers;  // null: not cached
    size_t in_flight = 0;
    std::list<ChannelState*>::iterator lru;
    // Sends waiting, in arrival order, for store reads running on a read thread; while any
    // wait, later sends of the channel queue behind them.
    std::deque<std::unique_ptr<WaitingSend>> waiting;
    bool reading = false;  // a read for waiting.front() is on a read thread
  };
  struct PendingSend {
    std::shared_ptr<Message> message;
    SendCallback done;
    std::vector<SendCallback> waiters;  // duplicates that arrived while this was in flight
    std::string idempotency_key;
    ChannelState* channel = nullptr;
    std::shared_ptr<const std::vector<std::string>> recipients;
    uint64_t skip_connection = 0;
    bool opens_stream = false;
  };
  // An open stream (or one whose end is being committed).
  struct StreamState {
    store::StreamRecord record;
    // client_msg_no -> chunk seq of the chunks sent with one that are not durable yet (durable
    // ones are in the store's index): a retried chunk is answered, not stored twice.
    std::unordered_map<std::string, uint32_t> pending_chunks;
  };
  struct PendingStreamOp {
    StreamCallback done;
    StreamResult result;
    std::shared_ptr<const ClientEvent> event;
    ChannelKey channel;
    bool ends = false;           // the stream's state goes once this is durable
    bool pending_chunk = false;  // a chunk in StreamState::pending_chunks
  };
  struct Batch {
    uint32_t partition = 0;
    store::WriteSet writes;
    std::vector<std::unique_ptr<PendingSend>> sends;
    std::string offline_entry;  // msg.offline records of this flush (engine/event_log.h)
    size_t offline_records = 0;
    // Metadata callbacks, with the channel whose cached settings drop on commit (if any).
    std::vector<std::pair<std::optional<ChannelKey>, StatusCallback>> meta;
    std::vector<PendingStreamOp> stream_ops;
  };

  ChannelState& state(const ChannelKey& key);
  // The open batch of `key`'s partition.
  Batch& open(const ChannelKey& key);
  // Decides `request`: answered or added to the open batch (true), or left untouched because
  // a store read needs the disk and `memory_only` is set (false).
  bool try_send(ChannelState& st, SendRequest& request, SendCallback& done, bool memory_only);
  // Reads what the first waiting send of `st` needs on a read thread, then decides the
  // waiting sends again (in order) on this shard.
  void read_for_waiting(ChannelState& st);
  void resume_waiting(const ChannelKey& key);
  // Loads the channel's seq and red-dot total from the store when not known.
  std::optional<Error> load_tip(ChannelState& st);
  void evict_if_needed();
  Result<std::shared_ptr<const std::vector<std::string>>> subscribers_of(ChannelState& st);
  Result<std::shared_ptr<const std::vector<std::string>>> recipients_of(ChannelState& st,
                                                                        const SendRequest& request);
  std::optional<Error> check_send(ChannelState& st, const SendRequest& request,
                                  std::string_view from_uid);
  std::optional<Error> check_client_send(ChannelState& st, const SendRequest& request,
                                         std::string_view from_uid);
  std::shared_ptr<Message> make_message(const ChannelKey& key, SendRequest& request,
                                        std::string from_uid);
  void schedule_flush();
  void flush();
  void complete(Batch& batch, const Status& status);
  // Metadata changes run one at a time per shard so a change that reads the stored member list
  // never misses one still in flight.
  // `prefetch`, when given, makes the store reads the change will make on a read thread first
  // (ShardContext::disk_reads), so that the change finds their data in memory.
  void run_meta(std::function<void(StatusCallback)> op, StatusCallback done,
                std::function<void()> prefetch = {});
  void run_next_meta();
  // Conversation bookkeeping of a stored message (own mark, first message of a person chat).
  void record_conversations(const Message& m);
  // Subscribers added get a read mark at the channel's newest message; removed ones lose the
  // conversation (the member change itself is already in the open batch).
  // `current`: the subscribers before the change, sorted.
  void record_member_conversations(const ChannelState& st, const MemberChange& change,
                                   const std::vector<std::string>& current);
  // Adds a msg.offline entry for the recipients of `m` that have no connection.
  void record_offline(const Message& m, const std::vector<std::string>& recipients);
  // Runs `change` on the read mark of `uid` / `key` (read-modify-write in a metadata turn).
  void change_read_mark(
      const std::string& uid, const ChannelKey& key,
      std::function<Result<store::ReadMark>(ChannelState&, store::ReadMark)> change,
      StatusCallback done);
  // The open stream `stream_no` of channel `key` (loaded from the store when not in memory);
  // null with no error for an unknown stream (or another channel's); `ended` set for a stream
  // that is over.
  Result<StreamState*> open_stream_state(const ChannelKey& key, const std::string& stream_no,
                                         std::optional<store::StreamRecord>& ended);
  // Stream ops of a completed batch: answers, then EVENTs to the channels' v5 connections.
  void complete_stream_ops(Batch& batch, const Status& status, std::vector<EventDelivery>& events);
  // The Start events of an anchor: one per person-chat party (each sees its peer as the channel).
  void add_start_events(const Message& anchor,
                        const std::shared_ptr<const std::vector<std::string>>& recipients,
                        std::vector<EventDelivery>& events);
  void deliver_unstored(std::shared_ptr<Message> message,
                        std::shared_ptr<const std::vector<std::string>> recipients,
                        uint64_t skip_connection);

  const size_t index_;
  runtime::Executor& executor_;
  store::Store& store_;
  SnowflakeGenerator& ids_;
  ChannelSettingsCache& settings_;
  const EngineOptions& options_;
  DeliverySink* sink_;
  const ShardContext& context_;

  std::unordered_map<ChannelKey, std::unique_ptr<ChannelState>, ChannelKeyHash> channels_;
  std::list<ChannelState*> lru_;  // front = most recently used
  size_t cached_members_ = 0;
  std::unordered_map<std::string, PendingSend*> in_flight_keys_;
  std::unordered_map<std::string, std::unique_ptr<StreamState>> streams_;
  // Open batches by partition (one in single-node mode), committed once per executor turn.
  std::unordered_map<uint32_t, std::unique_ptr<Batch>> open_;
  bool flush_scheduled_ = false;
  bool meta_busy_ = false;
  bool meta_running_queue_ = false;
  std::list<std::function<void()>> meta_waiting_;
  std::mt19937_64 rng_;
};

}  // namespace jindou::engine
