// ReplicatedStore: the Store the engine uses in cluster mode. Commits of the engine's write sets
// (partition set) go to their partition log (PartitionLogs::publish) and come back through it
// into the local RocksDB; this node's own write sets (webhook state) go straight to the local
// store. Reads come from the local store after waiting, on a node that does not own the
// partition, until it has applied everything the log held when the read began: a write
// acknowledged through any node is seen by a read through any other.
//
// Threads: as store::Store.
#pragma once

#include <atomic>
#include <chrono>

#include "cluster/partition_logs.h"
#include "cluster/slots.h"
#include "store/store.h"

namespace jindou::cluster {

class ReplicatedStore : public store::Store {
 public:
  ReplicatedStore(store::Store& local, PartitionLogs& logs, const Slots& slots)
      : local_(local), logs_(logs), slots_(slots) {}

  // Reads wait for the logs only once the cluster runs (not while the engine starts).
  void set_serving(bool serving) { serving_.store(serving); }

  void commit(store::WriteSet writes, store::CommitCallback done) override;
  Status commit_and_wait(store::WriteSet writes) override;

  Result<uint64_t> max_seq(const ChannelKey& channel) override;
  Result<store::ChannelTip> channel_tip(const ChannelKey& channel) override;
  Result<std::optional<Message>> message(const ChannelKey& channel, uint64_t seq) override;
  Result<std::optional<Message>> message_by_id(int64_t message_id) override;
  Result<std::optional<store::MessageRef>> find_client_msg(const ChannelKey& channel,
                                                           std::string_view from_uid,
                                                           std::string_view client_msg_no) override;
  Result<std::vector<Message>> messages_by_client_msg_no(const ChannelKey& channel,
                                                         std::string_view client_msg_no) override;
  Result<store::ScanResult> scan(const ChannelKey& channel, uint64_t from, uint64_t to,
                                 bool descending, size_t limit, size_t max_bytes) override;
  Status for_each_by_id(bool descending, int64_t start_exclusive,
                        const std::function<bool(Message&&)>& visit) override;
  Status for_each_in_channel(const ChannelKey& channel, bool descending, uint64_t start_exclusive,
                             const std::function<bool(Message&&)>& visit) override;
  Result<int64_t> max_message_id() override { return local_.max_message_id(); }
  Result<std::optional<ChannelInfo>> channel_info(const ChannelKey& channel) override;
  Result<std::vector<std::string>> members(const ChannelKey& channel, MemberRole role) override;
  Result<bool> is_member(const ChannelKey& channel, MemberRole role,
                         std::string_view uid) override;
  Result<bool> has_members(const ChannelKey& channel, MemberRole role) override;
  Result<std::optional<store::UserToken>> user_token(std::string_view uid,
                                                     uint8_t device_flag) override;
  Result<std::vector<store::SyncQueueEntry>> sync_queue(std::string_view uid,
                                                        size_t limit) override;
  Result<uint64_t> last_sync_queue_position(std::string_view uid) override;
  Result<std::optional<std::string>> cursor(std::string_view name) override {
    return local_.cursor(name);
  }
  Result<std::vector<store::ConversationRecord>> conversations(std::string_view uid) override;
  Result<std::optional<store::ConversationRecord>> conversation(
      std::string_view uid, const ChannelKey& channel) override;
  Result<std::vector<ChannelKey>> subscribed_channels(std::string_view uid) override;
  Result<std::vector<store::StoredEvent>> events(uint8_t queue, uint64_t after_id,
                                                 size_t limit) override {
    return local_.events(queue, after_id, limit);
  }
  Result<std::optional<store::StreamRecord>> stream(std::string_view stream_no) override;
  Result<std::vector<std::string>> open_streams() override { return local_.open_streams(); }
  Result<std::string> stream_data(std::string_view stream_no, size_t max_bytes) override;
  Result<std::optional<uint32_t>> stream_chunk_seq(std::string_view stream_no,
                                                   std::string_view client_msg_no) override;
  bool has_retention() const override { return local_.has_retention(); }
  store::StoreStats stats() const override { return local_.stats(); }
  int64_t now() const override { return local_.now(); }

 private:
  // Waits until the reads of `channel`'s partition (of every partition) see every acknowledged
  // write; an error when this node cannot catch up in time.
  Status current(const ChannelKey& channel);
  Status all_current();

  store::Store& local_;
  PartitionLogs& logs_;
  const Slots& slots_;
  std::atomic<bool> serving_{false};
  static constexpr std::chrono::milliseconds kWait{5000};
};

}  // namespace jindou::cluster
