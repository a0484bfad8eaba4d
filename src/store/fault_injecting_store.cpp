#include "store/fault_injecting_store.h"

#include <future>
#include <utility>

namespace jindou::store {

Result<std::unique_ptr<FaultInjectingStore>> FaultInjectingStore::open(RocksStoreOptions options) {
  std::unique_ptr<FaultInjectingStore> store(new FaultInjectingStore());
  FaultInjectingStore* raw = store.get();
  options.write_fault = [raw](size_t write_sets) { return raw->before_write(write_sets); };
  options.sync_fault = [raw] { return raw->before_sync(); };
  auto rocks = RocksStore::open(std::move(options));
  if (!rocks.ok()) return rocks.error();
  store->rocks_ = std::move(rocks.value());
  return store;
}

FaultInjectingStore::~FaultInjectingStore() {
  close();
}

void FaultInjectingStore::close() {
  release_writes();  // closing writes what is pending
  if (rocks_) rocks_->close();
}

void FaultInjectingStore::fail_commit(uint64_t nth) {
  std::lock_guard submit_lock(submit_mu_);
  std::lock_guard lock(mu_);
  fail_at_ = submitted_ + nth;
}

void FaultInjectingStore::fail_next_sync() {
  std::lock_guard lock(mu_);
  fail_sync_ = true;
}

void FaultInjectingStore::hold_writes() {
  std::lock_guard lock(mu_);
  held_ = true;
}

void FaultInjectingStore::release_writes() {
  {
    std::lock_guard lock(mu_);
    held_ = false;
  }
  released_.notify_all();
}

void FaultInjectingStore::fail_read(Read method, uint32_t times) {
  std::lock_guard lock(mu_);
  read_faults_[static_cast<size_t>(method)] += times;
}

uint64_t FaultInjectingStore::commits() const {
  std::lock_guard lock(submit_mu_);
  return submitted_;
}

Status FaultInjectingStore::before_write(size_t write_sets) {
  std::unique_lock lock(mu_);
  released_.wait(lock, [this] { return !held_; });
  const uint64_t first = written_ + 1;
  written_ += write_sets;
  if (fail_at_ != 0 && first <= fail_at_ && fail_at_ <= written_) {
    fail_at_ = 0;
    return Error::unavailable("storage unavailable: injected write failure");
  }
  return {};
}

Status FaultInjectingStore::before_sync() {
  std::lock_guard lock(mu_);
  if (!std::exchange(fail_sync_, false)) return {};
  return Error::unavailable("storage unavailable: injected sync failure");
}

std::optional<Error> FaultInjectingStore::read_fault(Read method) {
  std::lock_guard lock(mu_);
  uint32_t& due = read_faults_[static_cast<size_t>(method)];
  if (due == 0) return std::nullopt;
  --due;
  return Error::unavailable("storage unavailable: injected read failure");
}

void FaultInjectingStore::commit(WriteSet writes, CommitCallback done) {
  // Numbered and queued under one lock, so commit numbers follow the committer's order.
  std::lock_guard lock(submit_mu_);
  ++submitted_;
  rocks_->commit(std::move(writes), std::move(done));
}

Status FaultInjectingStore::commit_and_wait(WriteSet writes) {
  std::promise<Status> promise;
  auto future = promise.get_future();
  commit(std::move(writes), [&promise](const Status& s) { promise.set_value(s); });
  return future.get();
}

// Each read: the injected error when one is due, else the RocksStore's answer.
template <class Call>
auto FaultInjectingStore::guarded(Read method, const Call& call) -> decltype(call()) {
  if (auto injected = read_fault(method)) return *injected;
  return call();
}

Result<uint64_t> FaultInjectingStore::max_seq(const ChannelKey& channel) {
  return guarded(Read::kMaxSeq, [&] { return rocks_->max_seq(channel); });
}

Result<ChannelTip> FaultInjectingStore::channel_tip(const ChannelKey& channel) {
  return guarded(Read::kChannelTip, [&] { return rocks_->channel_tip(channel); });
}

Result<std::optional<Message>> FaultInjectingStore::message(const ChannelKey& channel,
                                                            uint64_t seq) {
  return guarded(Read::kMessage, [&] { return rocks_->message(channel, seq); });
}

Result<std::optional<Message>> FaultInjectingStore::message_by_id(int64_t message_id) {
  return guarded(Read::kMessageById, [&] { return rocks_->message_by_id(message_id); });
}

Result<std::optional<MessageRef>> FaultInjectingStore::find_client_msg(
    const ChannelKey& channel, std::string_view from_uid, std::string_view client_msg_no) {
  return guarded(Read::kFindClientMsg,
                 [&] { return rocks_->find_client_msg(channel, from_uid, client_msg_no); });
}

Result<std::vector<Message>> FaultInjectingStore::messages_by_client_msg_no(
    const ChannelKey& channel, std::string_view client_msg_no) {
  return guarded(Read::kMessagesByClientMsgNo,
                 [&] { return rocks_->messages_by_client_msg_no(channel, client_msg_no); });
}

Result<ScanResult> FaultInjectingStore::scan(const ChannelKey& channel, uint64_t from, uint64_t to,
                                             bool descending, size_t limit, size_t max_bytes) {
  return guarded(Read::kScan,
                 [&] { return rocks_->scan(channel, from, to, descending, limit, max_bytes); });
}

Status FaultInjectingStore::for_each_by_id(bool descending, int64_t start_exclusive,
                                           const std::function<bool(Message&&)>& visit) {
  return guarded(Read::kForEachById,
                 [&] { return rocks_->for_each_by_id(descending, start_exclusive, visit); });
}

Status FaultInjectingStore::for_each_in_channel(const ChannelKey& channel, bool descending,
                                                uint64_t start_exclusive,
                                                const std::function<bool(Message&&)>& visit) {
  return guarded(Read::kForEachInChannel, [&] {
    return rocks_->for_each_in_channel(channel, descending, start_exclusive, visit);
  });
}

Result<int64_t> FaultInjectingStore::max_message_id() {
  return guarded(Read::kMaxMessageId, [&] { return rocks_->max_message_id(); });
}

Result<std::optional<ChannelInfo>> FaultInjectingStore::channel_info(const ChannelKey& channel) {
  return guarded(Read::kChannelInfo, [&] { return rocks_->channel_info(channel); });
}

Result<std::vector<std::string>> FaultInjectingStore::members(const ChannelKey& channel,
                                                              MemberRole role) {
  return guarded(Read::kMembers, [&] { return rocks_->members(channel, role); });
}

Result<bool> FaultInjectingStore::is_member(const ChannelKey& channel, MemberRole role,
                                            std::string_view uid) {
  return guarded(Read::kIsMember, [&] { return rocks_->is_member(channel, role, uid); });
}

Result<bool> FaultInjectingStore::has_members(const ChannelKey& channel, MemberRole role) {
  return guarded(Read::kHasMembers, [&] { return rocks_->has_members(channel, role); });
}

Result<std::optional<UserToken>> FaultInjectingStore::user_token(std::string_view uid,
                                                                 uint8_t device_flag) {
  return guarded(Read::kUserToken, [&] { return rocks_->user_token(uid, device_flag); });
}

Result<std::vector<SyncQueueEntry>> FaultInjectingStore::sync_queue(std::string_view uid,
                                                                    size_t limit) {
  return guarded(Read::kSyncQueue, [&] { return rocks_->sync_queue(uid, limit); });
}

Result<uint64_t> FaultInjectingStore::last_sync_queue_position(std::string_view uid) {
  return guarded(Read::kLastSyncQueuePosition,
                 [&] { return rocks_->last_sync_queue_position(uid); });
}

Result<std::optional<std::string>> FaultInjectingStore::cursor(std::string_view name) {
  return guarded(Read::kCursor, [&] { return rocks_->cursor(name); });
}

Result<std::vector<ConversationRecord>> FaultInjectingStore::conversations(std::string_view uid) {
  return guarded(Read::kConversations, [&] { return rocks_->conversations(uid); });
}

Result<std::optional<ConversationRecord>> FaultInjectingStore::conversation(
    std::string_view uid, const ChannelKey& channel) {
  return guarded(Read::kConversation, [&] { return rocks_->conversation(uid, channel); });
}

Result<std::vector<ChannelKey>> FaultInjectingStore::subscribed_channels(std::string_view uid) {
  return guarded(Read::kSubscribedChannels, [&] { return rocks_->subscribed_channels(uid); });
}

Result<std::vector<StoredEvent>> FaultInjectingStore::events(uint8_t queue, uint64_t after_id,
                                                             size_t limit) {
  return guarded(Read::kEvents, [&] { return rocks_->events(queue, after_id, limit); });
}

Result<std::optional<StreamRecord>> FaultInjectingStore::stream(std::string_view stream_no) {
  return guarded(Read::kStream, [&] { return rocks_->stream(stream_no); });
}

Result<std::vector<std::string>> FaultInjectingStore::open_streams() {
  return guarded(Read::kOpenStreams, [&] { return rocks_->open_streams(); });
}

Result<std::string> FaultInjectingStore::stream_data(std::string_view stream_no, size_t max_bytes) {
  return guarded(Read::kStreamData, [&] { return rocks_->stream_data(stream_no, max_bytes); });
}

Result<std::optional<uint32_t>> FaultInjectingStore::stream_chunk_seq(
    std::string_view stream_no, std::string_view client_msg_no) {
  return guarded(Read::kStreamChunkSeq,
                 [&] { return rocks_->stream_chunk_seq(stream_no, client_msg_no); });
}

}  // namespace jindou::store
