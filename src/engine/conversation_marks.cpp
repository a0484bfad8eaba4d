// ChannelShard: the read marks conversations are computed from (engine/conversation_reader.h).
// Sends write the sender's own mark; member changes and the conversation endpoints write read
// marks. Nothing here is written per recipient per message.
#include <algorithm>

#include "engine/channel_shard.h"

namespace jindou::engine {

void ChannelShard::record_conversations(const Message& m) {
  if (!options_.conversations || !has_conversations(m.channel.type)) return;
  if (m.from_uid != kSystemUid) {
    open(m.channel).writes.put_own_mark(m.from_uid, m.channel, m.message_seq, m.red_dot_total);
  }
  if (m.channel.is_person() && m.message_seq == 1) {
    // The chat's first message: the other party's conversation starts, nothing read yet.
    auto [a, b] = person_parties(m.channel.id);
    for (std::string_view uid : {a, b}) {
      if (uid != m.from_uid && uid != kSystemUid) {
        open(m.channel).writes.put_read_mark(uid, m.channel, store::ReadMark{});
      }
    }
  }
}

void ChannelShard::record_member_conversations(const ChannelState& st, const MemberChange& change,
                                               const std::vector<std::string>& current) {
  using Mode = MemberChange::Mode;
  auto is_current = [&current](const std::string& uid) {
    return std::binary_search(current.begin(), current.end(), uid);
  };
  // A new member has read everything sent before it joined.
  const store::ReadMark joined{st.last_seq, st.red_dots, 0, 0, 0};
  store::WriteSet& ws = open(st.key).writes;
  switch (change.mode) {
    case Mode::kAdd:
      for (const auto& uid : change.uids) {
        if (!is_current(uid)) ws.put_read_mark(uid, st.key, joined);
      }
      break;
    case Mode::kRemove:
      for (const auto& uid : change.uids) {
        if (is_current(uid)) ws.delete_conversation(uid, st.key);
      }
      break;
    case Mode::kSet: {
      std::vector<std::string> next = change.uids;
      std::sort(next.begin(), next.end());
      for (const auto& uid : current) {
        if (!std::binary_search(next.begin(), next.end(), uid)) {
          ws.delete_conversation(uid, st.key);
        }
      }
      for (const auto& uid : change.uids) {
        if (!is_current(uid)) ws.put_read_mark(uid, st.key, joined);
      }
      break;
    }
    case Mode::kRemoveAll:
      for (const auto& uid : current) ws.delete_conversation(uid, st.key);
      break;
  }
}

void ChannelShard::change_read_mark(
    const std::string& uid, const ChannelKey& key,
    std::function<Result<store::ReadMark>(ChannelState&, store::ReadMark)> change,
    StatusCallback done) {
  run_meta(
      [this, uid, key, change = std::move(change)](StatusCallback finish) {
        ChannelState& st = state(key);
        if (auto err = load_tip(st)) {
          finish(std::move(*err));
          return;
        }
        // Metadata changes are serialized, so the stored mark is current here.
        auto record = store_.conversation(uid, key);
        if (!record.ok()) {
          finish(record.error());
          return;
        }
        store::ReadMark mark;
        if (record->has_value() && (*record)->read) mark = *(*record)->read;
        auto next = change(st, mark);
        if (!next.ok()) {
          finish(next.error());
          return;
        }
        Batch& batch = open(key);
        batch.writes.put_read_mark(uid, key, *next);
        batch.meta.emplace_back(std::nullopt, std::move(finish));
        schedule_flush();
      },
      std::move(done),
      [store = &store_, uid, key] {
        (void)store->channel_tip(key);
        (void)store->conversation(uid, key);
      });
}

void ChannelShard::clear_unread(const std::string& uid, const ChannelKey& key, uint64_t message_seq,
                                StatusCallback done) {
  change_read_mark(
      uid, key,
      [this, message_seq](ChannelState& st, store::ReadMark mark) -> Result<store::ReadMark> {
        mark.unread_offset = 0;
        if (message_seq == 0 || message_seq >= st.last_seq) {
          mark.read_seq = st.last_seq;
          mark.read_red_dots = st.red_dots;
          return mark;
        }
        // The red-dot total at message_seq: that of the newest message at or below it.
        auto below = store_.scan(st.key, 0, message_seq + 1, true, 1);
        if (!below.ok()) return below.error();
        mark.read_seq = message_seq;
        mark.read_red_dots = below->messages.empty() ? 0 : below->messages.back().red_dot_total;
        return mark;
      },
      std::move(done));
}

void ChannelShard::set_unread(const std::string& uid, const ChannelKey& key, uint64_t unread,
                              StatusCallback done) {
  change_read_mark(
      uid, key,
      [unread](ChannelState& st, store::ReadMark mark) -> Result<store::ReadMark> {
        mark.read_seq = st.last_seq > unread ? st.last_seq - unread : 0;
        mark.read_red_dots = st.red_dots;
        mark.unread_offset = unread;
        return mark;
      },
      std::move(done));
}

void ChannelShard::delete_conversation(const std::string& uid, const ChannelKey& key,
                                       StatusCallback done) {
  change_read_mark(
      uid, key,
      [](ChannelState& st, store::ReadMark mark) -> Result<store::ReadMark> {
        mark.read_seq = st.last_seq;
        mark.read_red_dots = st.red_dots;
        mark.unread_offset = 0;
        mark.deleted_to = st.last_seq;
        return mark;
      },
      std::move(done));
}

}  // namespace jindou::engine
