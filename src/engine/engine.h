// Engine: the IM core behind every ingress. Routes each channel to its shard, owns the message id
// generator, and offers reads through MessageReader.
//
// Threads: send / change_* post to the owning shard's executor; their callbacks run there. Reads
// run on the caller's thread. Lifecycle: constructed after the store is open and the executors
// exist; destroyed after the executors have stopped.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/channel_shard.h"
#include "engine/conversation_reader.h"
#include "engine/fanout.h"
#include "engine/message_reader.h"
#include "engine/presence.h"
#include "engine/write_router.h"
#include "runtime/executor_group.h"

namespace jindou::engine {

class Engine {
 public:
  // Committed messages go to online connections through the engine's Fanout, or to `sink` when
  // one is given (tests).
  // Shard i runs on executors[i] of the io threads' group (the server's IoPool)...
  Engine(EngineOptions options, store::Store& store, runtime::ExecutorGroup& executors,
         uint16_t node_id, DeliverySink* sink = nullptr);
  // ...or on executors of its own (tests).
  Engine(EngineOptions options, store::Store& store, std::vector<runtime::Executor*> executors,
         uint16_t node_id, DeliverySink* sink = nullptr);

  // The request must be validated by the ingress (ids, payload size, channel type).
  void send(SendRequest request, SendCallback done);
  // Each request is sent as by send(): a result is a success only once that message's own group
  // commit is durable, and the batch may span several commits (no all-or-nothing). Retrying the
  // whole batch with the same client_msg_nos is exact: stored ones answer with their original
  // id and seq. Results come back in request order; `done` runs on the thread of the last shard
  // to finish.
  void send_batch(std::vector<SendRequest> requests,
                  std::function<void(std::vector<SendResult>)> done);

  // Streams (engine/engine_streams.cpp). open_stream stores the anchor like send() and names
  // the stream (request.stream_no when given, else a new one) in the result.
  void open_stream(SendRequest request, SendCallback done);
  void append_chunk(ChunkRequest request, StreamCallback done);
  void close_stream(std::string stream_no, store::StreamEnd reason, StreamCallback done);
  // Ends the streams nothing touched for `idle_ms` (call periodically from any thread).
  void close_idle_streams(int64_t idle_ms);
  // The stream record of `stream_no` (none when unknown).
  Result<std::optional<store::StreamRecord>> stream(const std::string& stream_no) {
    return store_.stream(stream_no);
  }
  // The chunks of `stream_no` concatenated, or an error past `max_bytes`.
  Result<std::string> stream_data(const std::string& stream_no, size_t max_bytes) {
    return store_.stream_data(stream_no, max_bytes);
  }
  // Relays `event` (not stored) to the v5 connections of the channel's subscribers.
  void relay_event(const std::string& channel_id, uint8_t channel_type, const std::string& from_uid,
                   ClientEvent event, StatusCallback done);

  void change_channel(const ChannelKey& key, std::optional<ChannelInfo> info,
                      std::optional<MemberChange> members, StatusCallback done);
  void disband_channel(const ChannelKey& key, StatusCallback done);
  Result<std::optional<ChannelInfo>> channel_info(const ChannelKey& key);
  // Settings and deny/allow lists, cached (a user's own: key {uid, 1}).
  Result<std::shared_ptr<const ChannelSettings>> settings(const ChannelKey& key) {
    return settings_.get(key);
  }
  Result<std::vector<std::string>> members(const ChannelKey& key, MemberRole role);

  void set_user_token(const std::string& uid, uint8_t device_flag, const store::UserToken& token,
                      StatusCallback done);
  void clear_user_tokens(const std::string& uid, const std::vector<uint8_t>& device_flags,
                         StatusCallback done);
  Result<std::optional<store::UserToken>> user_token(const std::string& uid, uint8_t device_flag);

  // Conversations. `channel_id` / `channel_type` as a client names the chat (the peer's uid for
  // person chats).
  void clear_unread(const std::string& uid, const std::string& channel_id, uint8_t channel_type,
                    uint64_t message_seq, StatusCallback done);
  void set_unread(const std::string& uid, const std::string& channel_id, uint8_t channel_type,
                  uint64_t unread, StatusCallback done);
  void delete_conversation(const std::string& uid, const std::string& channel_id,
                           uint8_t channel_type, StatusCallback done);
  ConversationReader& conversations() { return conversations_; }

  // Cluster mode: who decides which writes run here (engine/write_router.h). Set before the
  // first write; null (single node): every write runs here.
  void set_router(WriteRouter* router) {
    router_ = router;
    context_.router = router;
  }
  // While one lives on a thread, the writes that thread calls are decided here without asking
  // the router: how the router runs a call forwarded to this node.
  class DecideHere {
   public:
    DecideHere() : previous_(decide_here_) { decide_here_ = true; }
    ~DecideHere() { decide_here_ = previous_; }
    DecideHere(const DecideHere&) = delete;
    DecideHere& operator=(const DecideHere&) = delete;

   private:
    bool previous_;
  };
  // Drops every cached channel seq, subscriber list and setting (they are read from the store
  // again), then calls `done` on a shard thread. Cluster mode: before this node decides a
  // partition another node decided meanwhile.
  void forget_channel_state(std::function<void()> done);
  // Drops the cached settings of `key` (cluster mode: another node changed them).
  void invalidate_settings(const ChannelKey& key) { settings_.invalidate(key); }

  // Who hears about new event-log entries (the webhooks); set before the first send.
  void set_event_listener(EventLogListener* listener) { context_.event_listener = listener; }
  // Where the shards' store reads that need the disk run (a few threads of their own, so that a
  // cold channel never stalls a shard); set before the first send. Null: on the shard thread.
  void set_disk_reads(runtime::Executor* executor) { context_.disk_reads = executor; }
  // How often a send waited for reads on that executor (its channel's state or its
  // client_msg_no was not in memory).
  uint64_t disk_read_rounds() const { return disk_read_rounds_.load(); }
  const EngineOptions& options() const { return options_; }

  // Deprecated /message/sync: the oldest `limit` unacknowledged sync_once messages of `uid`.
  Result<std::vector<Message>> sync_once_messages(const std::string& uid, size_t limit);
  // Acknowledges the queue from its head through the first entry whose message_seq is
  // `last_message_seq` (nothing when no entry has it).
  void ack_sync_once(const std::string& uid, uint64_t last_message_seq, StatusCallback done);

  // Kicks the connections of `uid` whose device flag is in `device_flags` (empty: all): each gets
  // DISCONNECT(reason, text) unless `quietly`, and closes after `close_after`. Returns how many.
  size_t kick(const std::string& uid, const std::vector<uint8_t>& device_flags, ReasonCode reason,
              const std::string& text, bool quietly, std::chrono::milliseconds close_after);

  MessageReader& reader() { return reader_; }
  PresenceTable& presence() { return presence_; }
  Fanout& fanout() { return fanout_; }
  runtime::Executor& executor(size_t i) { return executors_[i % executors_.size()]; }
  size_t executor_count() const { return executors_.size(); }
  // Runs `task` on io thread `executor`, batched with this turn's other cross-thread posts.
  void post(size_t executor, std::function<void()> task) {
    executors_.post(executor % executors_.size(), std::move(task));
  }
  // Called on io thread `index` before it serves anything (see runtime::ExecutorGroup).
  void attach_current_thread(int index) { runtime::ExecutorGroup::set_current(&executors_, index); }
  runtime::ExecutorGroup& executors() { return executors_; }
  uint16_t node_id() const { return ids_.node_id(); }
  bool healthy() const { return store_.stats().healthy; }
  store::StoreStats store_stats() const { return store_.stats(); }

 private:
  Engine(EngineOptions options, store::Store& store, std::unique_ptr<runtime::ExecutorGroup> own,
         runtime::ExecutorGroup* given, uint16_t node_id, DeliverySink* sink);
  size_t shard_index(const ChannelKey& key) const;
  // True when the router takes the write of `key` (it is decided on another node).
  bool routed(const ChannelKey& key) {
    return router_ != nullptr && !decide_here_ && !router_->decides_here(key);
  }
  static thread_local bool decide_here_;
  // The channel of stream `stream_no` (from a cache of recent streams, else the store).
  Result<std::optional<ChannelKey>> stream_channel(const std::string& stream_no);
  void remember_stream(const std::string& stream_no, const ChannelKey& key);
  // Hands the open streams in the store to their shards (at start).
  void adopt_open_streams();
  ChannelShard& shard_for(const ChannelKey& key);
  ChannelShard& shard_for_user(const std::string& uid);

  EngineOptions options_;
  store::Store& store_;
  SnowflakeGenerator ids_;
  ChannelSettingsCache settings_;
  std::unique_ptr<runtime::ExecutorGroup> own_executors_;  // when not given one
  runtime::ExecutorGroup& executors_;
  PresenceTable presence_;
  Fanout fanout_;
  runtime::ShardedCounter disk_read_rounds_;
  ShardContext context_;
  WriteRouter* router_ = nullptr;
  std::vector<std::unique_ptr<ChannelShard>> shards_;
  MessageReader reader_;
  ConversationReader conversations_;
  std::mutex streams_mu_;
  std::unordered_map<std::string, ChannelKey> stream_channels_;  // bounded; a cache
  std::unordered_set<std::string> opening_;                      // stream names being opened
};

}  // namespace jindou::engine
