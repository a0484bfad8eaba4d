#include "store/write_set.h"

#include "store/encoding.h"

namespace jindou::store {

void WriteSet::add(Column c, OpKind k, std::string key, std::string value, uint16_t version_at) {
  ops_.push_back(Op{c, k, std::move(key), std::move(value), version_at});
}

void WriteSet::put_message(const Message& m, bool index_client_msg_no, bool record_max_seq) {
  std::string key = message_key(m.channel, m.message_seq);
  std::string index = encode_index(m);
  if (index_client_msg_no && !m.client_msg_no.empty()) {
    add(Column::kClientNo, OpKind::kPut, client_no_key(m.channel, m.client_msg_no, m.from_uid),
        index);
  }
  add(Column::kMessageId, OpKind::kPut, message_id_key(m.message_id), std::move(index));
  if (record_max_seq) {
    std::string tip = encode_max_seq_record(m.message_seq, m.red_dot_total);
    std::string prefix = key.substr(0, key.size() - 8);
    auto it = max_seq_op_.find(prefix);
    if (it == max_seq_op_.end()) {
      max_seq_op_.emplace(prefix, ops_.size());
      prefix.push_back(static_cast<char>(ChannelRecord::kMaxSeq));
      add(Column::kChannel, OpKind::kPut, std::move(prefix), std::move(tip));
    } else if (get_u64(ops_[it->second].value.data()) < m.message_seq) {
      ops_[it->second].value = std::move(tip);
    }
  }
  add(Column::kMessage, OpKind::kPut, std::move(key), encode_message(m), kMessageVersionOffset);
  ++messages_;
}

void WriteSet::put_channel_info(const ChannelKey& key, const ChannelInfo& info) {
  changed_channels_.push_back(key);
  add(Column::kChannel, OpKind::kPut, channel_record_key(key, ChannelRecord::kInfo),
      encode_channel_info(info));
}

void WriteSet::put_member(const ChannelKey& key, MemberRole role, std::string_view uid) {
  if (changed_channels_.empty() || !(changed_channels_.back() == key)) {
    changed_channels_.push_back(key);
  }
  add(Column::kMember, OpKind::kPut, member_key(key, role, uid));
  if (role == MemberRole::kSubscriber) {
    add(Column::kUserChannel, OpKind::kPut, user_channel_key(uid, key));
  }
}

void WriteSet::delete_member(const ChannelKey& key, MemberRole role, std::string_view uid) {
  if (changed_channels_.empty() || !(changed_channels_.back() == key)) {
    changed_channels_.push_back(key);
  }
  add(Column::kMember, OpKind::kDelete, member_key(key, role, uid));
  if (role == MemberRole::kSubscriber) {
    add(Column::kUserChannel, OpKind::kDelete, user_channel_key(uid, key));
  }
}

void WriteSet::delete_all_members(const ChannelKey& key, MemberRole role) {
  changed_channels_.push_back(key);
  std::string begin = member_prefix(key, role);
  std::string end = begin;
  end.back() = static_cast<char>(end.back() + 1);  // role bytes are ASCII letters: no overflow
  add(Column::kMember, OpKind::kDeleteRange, std::move(begin), std::move(end));
}

void WriteSet::put_user_token(std::string_view uid, uint8_t device_flag, const UserToken& token) {
  std::string value;
  value.push_back(static_cast<char>(kValueVersion));
  value.push_back(static_cast<char>(token.device_level));
  value.append(token.token);
  add(Column::kUser, OpKind::kPut, user_token_key(uid, device_flag), std::move(value));
}

void WriteSet::delete_user_token(std::string_view uid, uint8_t device_flag) {
  add(Column::kUser, OpKind::kDelete, user_token_key(uid, device_flag));
}

void WriteSet::push_sync_queue(std::string_view uid, const ChannelKey& key, uint64_t seq) {
  add(Column::kSyncQueue, OpKind::kQueueAppend, sync_queue_prefix(uid), message_key(key, seq));
}

void WriteSet::delete_sync_queue_through(std::string_view uid, uint64_t last_position) {
  add(Column::kSyncQueue, OpKind::kDeleteRange, sync_queue_key(uid, 0),
      sync_queue_key(uid, last_position + 1));
}

void WriteSet::put_cursor(std::string_view name, std::string_view value) {
  add(Column::kCursor, OpKind::kPut, std::string(name), std::string(value));
}

void WriteSet::put_stream(const StreamRecord& record) {
  add(Column::kStream, OpKind::kPut, stream_record_key(record.stream_no),
      encode_stream_record(record));
  // The open marker is written when the stream opens (no chunk yet) and deleted when it ends;
  // chunks only rewrite the record.
  if (record.ended) {
    add(Column::kStream, OpKind::kDelete, open_stream_key(record.stream_no), {});
  } else if (record.chunks == 0) {
    add(Column::kStream, OpKind::kPut, open_stream_key(record.stream_no), {});
  }
}

void WriteSet::put_stream_chunk(std::string_view stream_no, uint32_t chunk_seq, std::string payload,
                                std::string_view client_msg_no) {
  add(Column::kStream, OpKind::kPut, stream_chunk_key(stream_no, chunk_seq), std::move(payload));
  if (!client_msg_no.empty()) {
    std::string seq;
    put_u32(seq, chunk_seq);
    add(Column::kStream, OpKind::kPut, stream_chunk_no_key(stream_no, client_msg_no),
        std::move(seq));
  }
}

void WriteSet::put_read_mark(std::string_view uid, const ChannelKey& key, const ReadMark& mark) {
  add(Column::kConversation, OpKind::kPut,
      conversation_key(uid, key, ConversationRecordKind::kRead), encode_read_mark(mark),
      kReadMarkVersionOffset);
}

void WriteSet::put_own_mark(std::string_view uid, const ChannelKey& key, uint64_t seq,
                            uint64_t red_dots) {
  std::string k = conversation_key(uid, key, ConversationRecordKind::kOwn);
  std::string value = encode_own_mark(OwnMark{seq, red_dots, 0});
  if (auto it = own_mark_op_.find(k); it != own_mark_op_.end()) {
    ops_[it->second].value = std::move(value);  // a later message of the same sender
    return;
  }
  own_mark_op_.emplace(k, ops_.size());
  add(Column::kConversation, OpKind::kPut, std::move(k), std::move(value), kOwnMarkVersionOffset);
}

void WriteSet::delete_conversation(std::string_view uid, const ChannelKey& key) {
  own_mark_op_.erase(conversation_key(uid, key, ConversationRecordKind::kOwn));
  add(Column::kConversation, OpKind::kDelete,
      conversation_key(uid, key, ConversationRecordKind::kRead));
  add(Column::kConversation, OpKind::kDelete,
      conversation_key(uid, key, ConversationRecordKind::kOwn));
}

void WriteSet::append_event(uint8_t queue, std::string value) {
  add(Column::kEvent, OpKind::kQueueAppend, std::string(1, static_cast<char>(queue)),
      std::move(value));
}

void WriteSet::put_event(uint8_t queue, uint64_t id, std::string value) {
  add(Column::kEvent, OpKind::kPut, event_key(queue, id), std::move(value));
}

void WriteSet::delete_event(uint8_t queue, uint64_t id) {
  add(Column::kEvent, OpKind::kDelete, event_key(queue, id));
}

void WriteSet::delete_events_through(uint8_t queue, uint64_t last_id) {
  std::string end = last_id == UINT64_MAX ? std::string(1, static_cast<char>(queue + 1))
                                          : event_key(queue, last_id + 1);
  add(Column::kEvent, OpKind::kDeleteRange, event_key(queue, 0), std::move(end));
}

WriteSet WriteSet::from_ops(std::vector<Op> ops, std::vector<ChannelKey> changed_channels,
                           uint32_t partition, size_t messages) {
  WriteSet ws;
  ws.ops_ = std::move(ops);
  ws.changed_channels_ = std::move(changed_channels);
  ws.partition_ = partition;
  ws.messages_ = messages;
  return ws;
}

void WriteSet::append(WriteSet&& other) {
  for (auto& key : other.changed_channels_) changed_channels_.push_back(std::move(key));
  const size_t base = ops_.size();
  for (auto& op : other.ops_) ops_.push_back(std::move(op));
  // A channel's later max-seq record now wins; seqs only grow within one channel's shard.
  for (auto& [prefix, index] : other.max_seq_op_) max_seq_op_[prefix] = base + index;
  // Marks of this part could precede a deletion in `other`: only `other`'s stay updatable.
  own_mark_op_.clear();
  for (auto& [k, index] : other.own_mark_op_) own_mark_op_[k] = base + index;
  messages_ += other.messages_;
  other.ops_.clear();
  other.max_seq_op_.clear();
  other.own_mark_op_.clear();
  other.messages_ = 0;
}

}  // namespace jindou::store
