// FaultInjectingStore: a Store for tests that forwards everything to a real RocksStore it owns and
// fails what the test asks for: the write of the Nth commit, the next sync, or the next calls of
// one read method. Commit and sync failures go through the RocksStore's own failure points
// (RocksStoreOptions::write_fault / sync_fault), so what follows them — every later write
// refused, stats().healthy false, reads left on the last durable snapshot — is the real store's
// behaviour, not an imitation. A failed read answers an error without touching the database.
//
// Thread: every method is safe from any thread; commit callbacks run on the store's committer
// thread as with RocksStore. Lifecycle: open() opens the database; close() (or the destructor)
// closes it, after which the same directory can be opened again to see what became durable.
#pragma once

#include <array>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>

#include "store/rocks_store.h"

namespace jindou::store {

class FaultInjectingStore final : public Store {
 public:
  // The read methods of Store, one value each, for fail_read().
  enum class Read : uint8_t {
    kMaxSeq,
    kChannelTip,
    kMessage,
    kMessageById,
    kFindClientMsg,
    kMessagesByClientMsgNo,
    kScan,
    kForEachById,
    kForEachInChannel,
    kMaxMessageId,
    kChannelInfo,
    kMembers,
    kIsMember,
    kHasMembers,
    kUserToken,
    kSyncQueue,
    kLastSyncQueuePosition,
    kCursor,
    kConversations,
    kConversation,
    kSubscribedChannels,
    kEvents,
    kStream,
    kOpenStreams,
    kStreamData,
    kStreamChunkSeq,
    kCount
  };

  // `options.write_fault` and `options.sync_fault` are this store's own.
  static Result<std::unique_ptr<FaultInjectingStore>> open(RocksStoreOptions options);
  ~FaultInjectingStore() override;
  FaultInjectingStore(const FaultInjectingStore&) = delete;
  FaultInjectingStore& operator=(const FaultInjectingStore&) = delete;

  // The `nth` commit from now (1: the next one; commit_and_wait counts too) fails when the
  // committer writes it, together with the other write sets of its group.
  void fail_commit(uint64_t nth = 1);
  // The next sync fails (only with options.sync_writes).
  void fail_next_sync();
  // The commit thread waits before its next group write until release_writes(): lets a test
  // queue work behind a commit that is about to fail.
  void hold_writes();
  void release_writes();
  // The next `times` calls of `method` answer an error.
  void fail_read(Read method, uint32_t times = 1);
  // Commits handed to the store so far.
  uint64_t commits() const;

  RocksStore& rocks() { return *rocks_; }
  // Writes what is pending (refused after a failure) and closes the database.
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

  bool has_retention() const override { return rocks_->has_retention(); }
  StoreStats stats() const override { return rocks_->stats(); }
  int64_t now() const override { return rocks_->now(); }

 private:
  FaultInjectingStore() = default;
  // Runs on the commit thread before each group write.
  Status before_write(size_t write_sets);
  Status before_sync();
  // An error when a failure of `method` is due (and counts it off).
  std::optional<Error> read_fault(Read method);
  template <class Call>
  auto guarded(Read method, const Call& call) -> decltype(call());

  // Keeps commit numbers in the order the committer queues the write sets.
  mutable std::mutex submit_mu_;
  uint64_t submitted_ = 0;  // commits handed over (under submit_mu_)

  mutable std::mutex mu_;
  uint64_t written_ = 0;  // write sets that reached the write step
  uint64_t fail_at_ = 0;  // commit number whose write fails (0: none)
  bool fail_sync_ = false;
  bool held_ = false;
  std::condition_variable released_;
  std::array<uint32_t, static_cast<size_t>(Read::kCount)> read_faults_{};

  // Last: closed first, while the failure points above still exist.
  std::unique_ptr<RocksStore> rocks_;
};

}  // namespace jindou::store
