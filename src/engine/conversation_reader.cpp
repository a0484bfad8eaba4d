#include "engine/conversation_reader.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "engine/message_reader.h"

namespace jindou::engine {

Result<std::optional<Conversation>> ConversationReader::compute(
    const store::ConversationRecord& record, bool& hidden) {
  hidden = false;
  auto newest = store_.scan(record.channel, 0, 0, true, 1);
  if (!newest.ok()) return newest.error();
  if (newest->messages.empty()) return std::optional<Conversation>();
  const Message& last = newest->messages.back();
  Conversation c;
  c.channel = record.channel;
  c.last_msg_seq = last.message_seq;
  c.last_client_msg_no = last.client_msg_no;
  c.timestamp = last.timestamp;
  c.version = last.commit_version;
  const uint64_t total = last.red_dot_total;

  // The read position: the later of the explicit mark and the user's own newest message; an
  // explicit clear to a point before the user's own message still leaves that message read.
  const auto& read = record.read;
  const auto& own = record.own;
  uint64_t base = 0;
  uint64_t offset = 0;
  if (read && (!own || read->version > own->version) &&
      !(read->unread_offset == 0 && own && own->seq > read->read_seq)) {
    base = read->read_red_dots;
    offset = read->unread_offset;
    c.readed_to_msg_seq = read->read_seq;
  } else if (own) {
    base = own->red_dots;
    c.readed_to_msg_seq = own->seq;
  }
  c.unread = offset + (total > base ? total - base : 0);
  if (read) {
    c.version = std::max(c.version, read->version);
    hidden = read->deleted_to >= c.last_msg_seq;
  }
  if (own) c.version = std::max(c.version, own->version);
  return std::optional<Conversation>(std::move(c));
}

Result<std::optional<Conversation>> ConversationReader::get(const std::string& uid,
                                                            const ChannelKey& channel) {
  auto record = store_.conversation(uid, channel);
  if (!record.ok()) return record.error();
  store::ConversationRecord r = record->value_or(store::ConversationRecord{});
  r.channel = channel;
  bool hidden = false;
  return compute(r, hidden);
}

Result<std::vector<Conversation>> ConversationReader::sync(const ConversationQuery& query) {
  auto records = store_.conversations(query.uid);
  if (!records.ok()) return records.error();
  // Channels the user subscribes to count even without a mark (members added before marks).
  auto subscribed = store_.subscribed_channels(query.uid);
  if (!subscribed.ok()) return subscribed.error();
  std::set<std::pair<uint8_t, std::string>> seen;
  for (const auto& r : *records) seen.emplace(r.channel.type, r.channel.id);
  for (auto& channel : *subscribed) {
    if (seen.emplace(channel.type, channel.id).second) {
      store::ConversationRecord r;
      r.channel = std::move(channel);
      records->push_back(std::move(r));
    }
  }

  // Each conversation with the seq its recents start after (what the client holds, or where
  // the conversation was deleted).
  std::vector<std::pair<Conversation, uint64_t>> found;
  for (const auto& record : *records) {
    const ChannelKey& ch = record.channel;
    if (!has_conversations(ch.type)) continue;
    const auto known = query.known_seqs.find({ch.type, ch.id});
    const bool excluded =
        std::find(query.exclude_channel_types.begin(), query.exclude_channel_types.end(),
                  ch.type) != query.exclude_channel_types.end();
    if (excluded && known == query.known_seqs.end()) continue;
    bool hidden = false;
    auto c = compute(record, hidden);
    if (!c.ok()) return c.error();
    if (!c->has_value() || hidden) continue;
    if (query.version > 0 && (*c)->version <= query.version) continue;
    if (query.only_unread && (*c)->unread == 0) continue;
    uint64_t after = known == query.known_seqs.end() ? 0 : known->second;
    if (record.read) after = std::max(after, record.read->deleted_to);
    found.emplace_back(std::move(**c), after);
  }
  std::sort(found.begin(), found.end(), [](const auto& x, const auto& y) {
    const Conversation& a = x.first;
    const Conversation& b = y.first;
    if (a.timestamp != b.timestamp) return a.timestamp > b.timestamp;
    if (a.version != b.version) return a.version > b.version;
    return std::tie(a.channel.type, a.channel.id) < std::tie(b.channel.type, b.channel.id);
  });
  size_t first = 0;
  size_t end = found.size();
  if (query.page > 0) {
    first = std::min(found.size(), (query.page - 1) * query.page_size);
    end = std::min(found.size(), first + query.page_size);
  }
  std::vector<Conversation> out;
  out.reserve(end - first);
  for (size_t i = first; i < end; ++i) {
    Conversation& c = found[i].first;
    if (query.msg_count > 0) {
      auto recent = store_.scan(c.channel, found[i].second + 1, 0, true, query.msg_count,
                                MessageReader::kMaxReadBytes);
      if (!recent.ok()) return recent.error();
      c.recents.assign(std::make_move_iterator(recent->messages.rbegin()),
                       std::make_move_iterator(recent->messages.rend()));
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace jindou::engine
