// RocksStore: reads of conversation records, the reverse member index, event queues and
// streams.
#include "store/encoding.h"
#include "store/rocks_iteration.h"
#include "store/rocks_store.h"

namespace jindou::store {
namespace {

// Adds the record at `key` / `value` (a conv CF entry under `prefix`) to `record`.
bool add_conversation_record(std::string_view key, std::string_view value, size_t prefix,
                             ConversationRecord& record) {
  key.remove_prefix(prefix);
  auto channel = take_channel(key);
  if (!channel || key.size() != 1) return false;
  record.channel = std::move(*channel);
  switch (static_cast<ConversationRecordKind>(key[0])) {
    case ConversationRecordKind::kRead:
      record.read = decode_read_mark(value);
      return record.read.has_value();
    case ConversationRecordKind::kOwn:
      record.own = decode_own_mark(value);
      return record.own.has_value();
  }
  return false;
}

}  // namespace

Result<std::vector<ConversationRecord>> RocksStore::conversations(std::string_view uid) {
  const std::string prefix = conversation_prefix(uid);
  BoundedIterator it(*db_, read_view(), cf(Column::kConversation), prefix, prefix_end(prefix));
  std::vector<ConversationRecord> out;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ConversationRecord record;
    if (!add_conversation_record(it->key().ToStringView(), it->value().ToStringView(),
                                 prefix.size(), record)) {
      return Error::internal("stored conversation record is unreadable");
    }
    // A channel's records are adjacent (same key up to the kind byte).
    if (!out.empty() && out.back().channel == record.channel) {
      if (record.read) out.back().read = record.read;
      if (record.own) out.back().own = record.own;
    } else {
      out.push_back(std::move(record));
    }
  }
  if (!it->status().ok()) return to_error(it->status());
  return out;
}

Result<std::optional<ConversationRecord>> RocksStore::conversation(std::string_view uid,
                                                                   const ChannelKey& channel) {
  ConversationRecord record;
  record.channel = channel;
  for (auto kind : {ConversationRecordKind::kRead, ConversationRecordKind::kOwn}) {
    auto v = get(Column::kConversation, conversation_key(uid, channel, kind));
    if (!v.ok()) return v.error();
    if (!v->has_value()) continue;
    if (kind == ConversationRecordKind::kRead) {
      record.read = decode_read_mark(**v);
      if (!record.read) return Error::internal("stored conversation record is unreadable");
    } else {
      record.own = decode_own_mark(**v);
      if (!record.own) return Error::internal("stored conversation record is unreadable");
    }
  }
  if (!record.read && !record.own) return std::optional<ConversationRecord>();
  return std::optional<ConversationRecord>(std::move(record));
}

Result<std::vector<ChannelKey>> RocksStore::subscribed_channels(std::string_view uid) {
  const std::string prefix = user_channel_prefix(uid);
  BoundedIterator it(*db_, read_view(), cf(Column::kUserChannel), prefix, prefix_end(prefix));
  std::vector<ChannelKey> out;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view key = it->key().ToStringView().substr(prefix.size());
    auto channel = take_channel(key);
    if (!channel) return Error::internal("stored member index entry is unreadable");
    out.push_back(std::move(*channel));
  }
  if (!it->status().ok()) return to_error(it->status());
  return out;
}

Result<std::vector<StoredEvent>> RocksStore::events(uint8_t queue, uint64_t after_id,
                                                    size_t limit) {
  std::vector<StoredEvent> out;
  if (after_id == UINT64_MAX || limit == 0) return out;
  const std::string prefix(1, static_cast<char>(queue));
  BoundedIterator it(*db_, read_view(), cf(Column::kEvent), event_key(queue, after_id + 1),
                     prefix_end(prefix));
  for (it->SeekToFirst(); it->Valid() && out.size() < limit; it->Next()) {
    if (it->key().size() != 9) return Error::internal("stored event key is unreadable");
    out.push_back(StoredEvent{get_u64(it->key().data() + 1), it->value().ToString()});
  }
  if (!it->status().ok()) return to_error(it->status());
  return out;
}

Result<std::optional<StreamRecord>> RocksStore::stream(std::string_view stream_no) {
  auto v = get(Column::kStream, stream_record_key(stream_no));
  if (!v.ok()) return v.error();
  if (!v->has_value()) return std::optional<StreamRecord>();
  auto r = decode_stream_record(stream_no, **v);
  if (!r) return Error::internal("stored stream record is unreadable");
  return std::optional<StreamRecord>(std::move(*r));
}

Result<std::vector<std::string>> RocksStore::open_streams() {
  const std::string prefix(1, kOpenStreamPrefix);
  BoundedIterator it(*db_, read_view(), cf(Column::kStream), prefix, prefix_end(prefix));
  std::vector<std::string> out;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    out.emplace_back(it->key().ToStringView().substr(1));
  }
  if (!it->status().ok()) return to_error(it->status());
  return out;
}

Result<std::string> RocksStore::stream_data(std::string_view stream_no, size_t max_bytes) {
  const std::string prefix = stream_chunk_prefix(stream_no);
  BoundedIterator it(*db_, read_view(), cf(Column::kStream), prefix, prefix_end(prefix));
  std::string out;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (out.size() + it->value().size() > max_bytes) {
      return Error::too_large("stream " + std::string(stream_no) + " holds more than " +
                              std::to_string(max_bytes) + " bytes");
    }
    out.append(it->value().data(), it->value().size());
  }
  if (!it->status().ok()) return to_error(it->status());
  return out;
}

Result<std::optional<uint32_t>> RocksStore::stream_chunk_seq(std::string_view stream_no,
                                                             std::string_view client_msg_no) {
  auto v = get(Column::kStream, stream_chunk_no_key(stream_no, client_msg_no));
  if (!v.ok()) return v.error();
  if (!v->has_value()) return std::optional<uint32_t>();
  if ((*v)->size() != 4) return Error::internal("stored stream chunk index is unreadable");
  return std::optional<uint32_t>(get_u32((*v)->data()));
}

}  // namespace jindou::store
