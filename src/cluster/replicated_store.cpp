#include "cluster/replicated_store.h"

#include <future>

#include "store/memory_only_reads.h"

namespace jindou::cluster {

void ReplicatedStore::commit(store::WriteSet writes, store::CommitCallback done) {
  if (writes.partition() == store::WriteSet::kLocal) {
    local_.commit(std::move(writes), std::move(done));
    return;
  }
  logs_.publish(writes, std::move(done));
}

Status ReplicatedStore::commit_and_wait(store::WriteSet writes) {
  std::promise<Status> p;
  auto f = p.get_future();
  commit(std::move(writes), [&p](const Status& s) { p.set_value(s); });
  return f.get();
}

Status ReplicatedStore::current(const ChannelKey& channel) {
  // A shard deciding in memory owns what it reads; nothing to wait for there.
  if (!serving_.load(std::memory_order_relaxed) || store::MemoryOnlyReads::active()) {
    return Status{};
  }
  return logs_.wait_current(slots_.partition(channel), kWait);
}

Status ReplicatedStore::all_current() {
  if (!serving_.load(std::memory_order_relaxed) || store::MemoryOnlyReads::active()) {
    return Status{};
  }
  return logs_.wait_all_current(kWait);
}

#define JINDOU_CURRENT(expr)                 \
  do {                                       \
    if (Status s_ = (expr); !s_.ok()) {      \
      return s_.error();                     \
    }                                        \
  } while (false)

Result<uint64_t> ReplicatedStore::max_seq(const ChannelKey& channel) {
  JINDOU_CURRENT(current(channel));
  return local_.max_seq(channel);
}

Result<store::ChannelTip> ReplicatedStore::channel_tip(const ChannelKey& channel) {
  JINDOU_CURRENT(current(channel));
  return local_.channel_tip(channel);
}

Result<std::optional<Message>> ReplicatedStore::message(const ChannelKey& channel, uint64_t seq) {
  JINDOU_CURRENT(current(channel));
  return local_.message(channel, seq);
}

Result<std::optional<Message>> ReplicatedStore::message_by_id(int64_t message_id) {
  JINDOU_CURRENT(all_current());
  return local_.message_by_id(message_id);
}

Result<std::optional<store::MessageRef>> ReplicatedStore::find_client_msg(
    const ChannelKey& channel, std::string_view from_uid, std::string_view client_msg_no) {
  JINDOU_CURRENT(current(channel));
  return local_.find_client_msg(channel, from_uid, client_msg_no);
}

Result<std::vector<Message>> ReplicatedStore::messages_by_client_msg_no(
    const ChannelKey& channel, std::string_view client_msg_no) {
  JINDOU_CURRENT(current(channel));
  return local_.messages_by_client_msg_no(channel, client_msg_no);
}

Result<store::ScanResult> ReplicatedStore::scan(const ChannelKey& channel, uint64_t from,
                                                uint64_t to, bool descending, size_t limit,
                                                size_t max_bytes) {
  JINDOU_CURRENT(current(channel));
  return local_.scan(channel, from, to, descending, limit, max_bytes);
}

Status ReplicatedStore::for_each_by_id(bool descending, int64_t start_exclusive,
                                       const std::function<bool(Message&&)>& visit) {
  JINDOU_CURRENT(all_current());
  return local_.for_each_by_id(descending, start_exclusive, visit);
}

Status ReplicatedStore::for_each_in_channel(const ChannelKey& channel, bool descending,
                                            uint64_t start_exclusive,
                                            const std::function<bool(Message&&)>& visit) {
  JINDOU_CURRENT(current(channel));
  return local_.for_each_in_channel(channel, descending, start_exclusive, visit);
}

Result<std::optional<ChannelInfo>> ReplicatedStore::channel_info(const ChannelKey& channel) {
  JINDOU_CURRENT(current(channel));
  return local_.channel_info(channel);
}

Result<std::vector<std::string>> ReplicatedStore::members(const ChannelKey& channel,
                                                          MemberRole role) {
  JINDOU_CURRENT(current(channel));
  return local_.members(channel, role);
}

Result<bool> ReplicatedStore::is_member(const ChannelKey& channel, MemberRole role,
                                        std::string_view uid) {
  JINDOU_CURRENT(current(channel));
  return local_.is_member(channel, role, uid);
}

Result<bool> ReplicatedStore::has_members(const ChannelKey& channel, MemberRole role) {
  JINDOU_CURRENT(current(channel));
  return local_.has_members(channel, role);
}

Result<std::optional<store::UserToken>> ReplicatedStore::user_token(std::string_view uid,
                                                                    uint8_t device_flag) {
  JINDOU_CURRENT(current(ChannelKey{std::string(uid), kChannelPerson}));
  return local_.user_token(uid, device_flag);
}

Result<std::vector<store::SyncQueueEntry>> ReplicatedStore::sync_queue(std::string_view uid,
                                                                       size_t limit) {
  JINDOU_CURRENT(all_current());
  return local_.sync_queue(uid, limit);
}

Result<uint64_t> ReplicatedStore::last_sync_queue_position(std::string_view uid) {
  JINDOU_CURRENT(all_current());
  return local_.last_sync_queue_position(uid);
}

Result<std::vector<store::ConversationRecord>> ReplicatedStore::conversations(
    std::string_view uid) {
  JINDOU_CURRENT(all_current());
  return local_.conversations(uid);
}

Result<std::optional<store::ConversationRecord>> ReplicatedStore::conversation(
    std::string_view uid, const ChannelKey& channel) {
  JINDOU_CURRENT(current(channel));
  return local_.conversation(uid, channel);
}

Result<std::vector<ChannelKey>> ReplicatedStore::subscribed_channels(std::string_view uid) {
  JINDOU_CURRENT(all_current());
  return local_.subscribed_channels(uid);
}

Result<std::optional<store::StreamRecord>> ReplicatedStore::stream(std::string_view stream_no) {
  JINDOU_CURRENT(all_current());
  return local_.stream(stream_no);
}

Result<std::string> ReplicatedStore::stream_data(std::string_view stream_no, size_t max_bytes) {
  JINDOU_CURRENT(all_current());
  return local_.stream_data(stream_no, max_bytes);
}

// Only the owner of the stream's channel asks (deciding a chunk), and it has every write of it.
Result<std::optional<uint32_t>> ReplicatedStore::stream_chunk_seq(std::string_view stream_no,
                                                                  std::string_view client_msg_no) {
  return local_.stream_chunk_seq(stream_no, client_msg_no);
}

#undef JINDOU_CURRENT

}  // namespace jindou::cluster
