// RocksStore: the Store on RocksDB, one column family per record kind (see encoding.h), group
// commit through GroupCommitter, expiry by compaction filter plus read-time filtering.
//
// Reads see durable data only: with syncWrites, groups are written unsynced and a separate sync
// makes them durable, so every read uses the snapshot taken just before the last successful
// sync (published before that sync's groups are acknowledged). A message is therefore never
// readable before it is durable, and a reader never sees a seq that a crash could take back.
//
// Lifecycle: open() creates or opens the database; close() (or the destructor) writes what is
// pending, stops the commit thread and closes the database.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "store/group_committer.h"
#include "store/rocks_store_options.h"
#include "store/store.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class Cache;
class CompactionFilter;
class Snapshot;
struct ReadOptions;
}  // namespace rocksdb

namespace jindou::store {

class RocksStore final : public Store {
 public:
  static Result<std::unique_ptr<RocksStore>> open(RocksStoreOptions options);
  ~RocksStore() override;
  // Writes what is pending (each callback runs), then refuses further commits; reads keep
  // working. The first step of a shutdown, while other threads may still use the store.
  void stop_writes();
  // stop_writes(), then closes the database. Nothing may use the store afterwards.
  void close();

  void commit(WriteSet writes, CommitCallback done) override;
  Status commit_and_wait(WriteSet writes) override;

  Result<uint64_t> max_seq(const ChannelKey& channel) override;
  Result<ChannelTip> channel_tip(const ChannelKey& channel) override;
  Result<std::optional<Message>> message(const ChannelKey& channel, uint64_t seq) override;
  Result<std::optional<Message>> message_by_id(int64_t message_id) override;
  Result<std::optional<MessageRef>> find_client_msg(const ChannelKey& channel,
                                                    std::string_view from_uid,
                                                    std::string_view client_msg_no) override;
  Result<std::vector<Message>> messages_by_client_msg_no(const ChannelKey& channel,
                                                         std::string_view client_msg_no) override;
  Result<ScanResult> scan(const ChannelKey& channel, uint64_t from, uint64_t to, bool descending,
                          size_t limit, size_t max_bytes = SIZE_MAX) override;
  Status for_each_by_id(bool descending, int64_t start_exclusive,
                        const std::function<bool(Message&&)>& visit) override;
  Status for_each_in_channel(const ChannelKey& channel, bool descending, uint64_t start_exclusive,
                             const std::function<bool(Message&&)>& visit) override;
  Result<int64_t> max_message_id() override;

  Result<std::optional<ChannelInfo>> channel_info(const ChannelKey& channel) override;
  Result<std::vector<std::string>> members(const ChannelKey& channel, MemberRole role) override;
  Result<bool> is_member(const ChannelKey& channel, MemberRole role, std::string_view uid) override;
  Result<bool> has_members(const ChannelKey& channel, MemberRole role) override;

  Result<std::optional<UserToken>> user_token(std::string_view uid, uint8_t device_flag) override;

  Result<std::vector<SyncQueueEntry>> sync_queue(std::string_view uid, size_t limit) override;
  Result<uint64_t> last_sync_queue_position(std::string_view uid) override;

  Result<std::optional<std::string>> cursor(std::string_view name) override;

  Result<std::vector<ConversationRecord>> conversations(std::string_view uid) override;
  Result<std::optional<ConversationRecord>> conversation(std::string_view uid,
                                                         const ChannelKey& channel) override;
  Result<std::vector<ChannelKey>> subscribed_channels(std::string_view uid) override;

  Result<std::vector<StoredEvent>> events(uint8_t queue, uint64_t after_id, size_t limit) override;
  Result<std::optional<StreamRecord>> stream(std::string_view stream_no) override;
  Result<std::vector<std::string>> open_streams() override;
  Result<std::string> stream_data(std::string_view stream_no, size_t max_bytes) override;
  Result<std::optional<uint32_t>> stream_chunk_seq(std::string_view stream_no,
                                                   std::string_view client_msg_no) override;

  bool has_retention() const override { return options_.retention_seconds > 0; }
  StoreStats stats() const override;
  int64_t now() const override;

  // Runs a full compaction (expired messages are physically removed); for tests and operators.
  Status compact();

 private:
  explicit RocksStore(RocksStoreOptions options);
  Status write_group(const std::vector<GroupCommitter::Pending>& group);
  // Makes every written group durable and publishes the snapshot that reads use from then on.
  Status sync_written();
  // What reads see: the last durable snapshot (null: everything in the database).
  std::shared_ptr<const rocksdb::Snapshot> read_view() const;
  Status prepare_max_seq_records();
  // The one loop over stored messages (scan, for_each_in_channel): visits the visible ones with
  // keys in [lower_key, upper_key), ascending or descending, until `visit` returns false.
  Status visit_messages(std::string lower_key, std::string upper_key, bool descending,
                        const std::function<bool(Message&&)>& visit);
  rocksdb::ColumnFamilyHandle* cf(Column c) const;
  bool visible(const Message& m, int64_t now) const;
  bool index_visible(int64_t expires_at, int64_t timestamp, int64_t now) const;
  Result<std::optional<std::string>> get(Column c, const std::string& key);
  // The message with a server-generated `client_msg_no` (which names its id), if it is in
  // `channel` and really has that value.
  Result<std::optional<Message>> generated_client_msg(const ChannelKey& channel,
                                                      std::string_view client_msg_no);

  RocksStoreOptions options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::vector<std::shared_ptr<rocksdb::CompactionFilter>> filters_;
  std::unique_ptr<GroupCommitter> committer_;
  mutable std::mutex view_mu_;
  std::shared_ptr<const rocksdb::Snapshot> durable_view_;
  uint64_t queue_position_ = 0;  // last queue position given out (commit thread)
  uint64_t commit_version_ = 0;  // last commit version given out (commit thread)
  std::atomic<uint64_t> keys_written_{0};
  std::atomic<uint64_t> messages_written_{0};
  std::atomic<uint64_t> write_sets_{0};
};

}  // namespace jindou::store
