#include "webhook/event_batches.h"

#include "json/json_writer.h"
#include "json/message_object.h"
#include "store/encoding.h"

namespace jindou::webhook {
namespace {

using engine::EventQueue;
using engine::StoredMessageRef;

// Items of consecutive entries from `from`, at most `limit`, with the cursor after them.
template <class Item>
struct Collected {
  std::vector<Item> items;
  Cursor next;
  std::vector<uint64_t> finished;  // entries whose items are all taken
  bool full = false;
};

template <class Item, class Decode>
Result<Collected<Item>> collect(store::Store& store, EventQueue queue, const Cursor& from,
                                size_t limit, Decode decode) {
  Collected<Item> out;
  out.next = from;
  uint64_t after = from.next_id == 0 ? 0 : from.next_id - 1;
  for (;;) {
    auto entries = store.events(queue, after, 64);
    if (!entries.ok()) return entries.error();
    for (const auto& e : *entries) {
      std::optional<std::vector<Item>> items = decode(e.value);
      if (!items) return Error::internal("an event-log entry is unreadable");
      size_t i = e.id == from.next_id ? from.skip : 0;
      for (; i < items->size(); ++i) {
        if (out.items.size() == limit) {
          out.next = Cursor{e.id, i};
          out.full = true;
          return out;
        }
        out.items.push_back(std::move((*items)[i]));
      }
      out.next = Cursor{e.id + 1, 0};
      out.finished.push_back(e.id);
      after = e.id;
    }
    if (entries->size() < 64) return out;
  }
}

class StoredMessagesReader final : public QueueReader {
 public:
  StoredMessagesReader(store::Store& store, size_t count) : store_(store), count_(count) {}
  EventQueue queue() const override { return engine::kQueueStoredMessages; }
  const char* event() const override { return kEventMsgNotify; }

  Result<std::optional<Batch>> next(const Cursor& from) override {
    auto refs =
        collect<StoredMessageRef>(store_, queue(), from, count_, engine::decode_stored_messages);
    if (!refs.ok()) return refs.error();
    if (refs->items.empty()) return std::optional<Batch>();
    Batch b;
    b.next = refs->next;
    b.finished = std::move(refs->finished);
    b.full = refs->full;
    auto built = build(refs->items, b);
    if (!built.ok()) return built.error();
    return std::optional<Batch>(std::move(b));
  }
  size_t events_in(std::string_view entry) const override {
    auto refs = engine::decode_stored_messages(entry);
    return refs ? refs->size() : 0;
  }
  Result<std::string> body_of(std::string_view entry) override {
    auto refs = engine::decode_stored_messages(entry);
    if (!refs) return Error::internal("an event-log entry is unreadable");
    Batch b;
    auto built = build(*refs, b);
    if (!built.ok()) return built.error();
    return b.body;
  }

 private:
  // Fills the body and entry of `b` with the messages of `refs` that still exist.
  Status build(const std::vector<StoredMessageRef>& refs, Batch& b) {
    std::vector<StoredMessageRef> delivered;
    JsonWriter w(b.body);
    w.begin_array();
    for (const auto& ref : refs) {
      auto m = store_.message(ref.channel, ref.seq);
      if (!m.ok()) return m.error();
      if (!m->has_value()) {
        ++b.skipped;
        continue;
      }
      write_message(w, **m, "");
      delivered.push_back(ref);
    }
    w.end_array();
    b.events = delivered.size();
    if (delivered.empty()) b.body.clear();
    b.entry = engine::encode_stored_messages(delivered);
    return {};
  }

  store::Store& store_;
  const size_t count_;
};

// One message per call (WuKongIM's msg.offline body); an entry holds a shard flush's records.
class OfflineReader final : public QueueReader {
 public:
  explicit OfflineReader(store::Store& store) : store_(store) {}
  EventQueue queue() const override { return engine::kQueueOfflineRecipients; }
  const char* event() const override { return kEventMsgOffline; }

  Result<std::optional<Batch>> next(const Cursor& from) override {
    // Entries are read once and kept while their records are delivered one call at a time.
    for (Cursor at = from;;) {
      if (!cached_ || cached_->first != at.next_id) {
        auto entries = store_.events(queue(), at.next_id == 0 ? 0 : at.next_id - 1, 1);
        if (!entries.ok()) return entries.error();
        if (entries->empty()) return std::optional<Batch>();
        auto records = engine::decode_offline_entry(entries->front().value);
        if (!records) return Error::internal("an event-log entry is unreadable");
        const uint64_t id = entries->front().id;
        cached_.emplace(id, std::move(*records));
        if (at.next_id != id) at = Cursor{id, 0};
      }
      const auto& [id, records] = *cached_;
      if (at.skip >= records.size()) {  // an empty or finished entry
        at = Cursor{id + 1, 0};
        continue;
      }
      Batch b;
      b.full = true;
      b.next = at.skip + 1 < records.size() ? Cursor{id, at.skip + 1} : Cursor{id + 1, 0};
      if (b.next.skip == 0) b.finished.push_back(id);
      const auto& record = records[at.skip];
      auto body = body_of_record(record);
      if (!body.ok()) return body.error();
      b.body = std::move(*body);
      if (b.body.empty()) {
        b.skipped = 1;
      } else {
        b.events = 1;
        b.entry = entry_of(record);
      }
      return std::optional<Batch>(std::move(b));
    }
  }
  size_t events_in(std::string_view entry) const override {
    auto records = engine::decode_offline_entry(entry);
    return records ? records->size() : 0;
  }
  // The first record's body (dead letters hold one each); empty when its message expired.
  Result<std::string> body_of(std::string_view entry) override {
    auto records = engine::decode_offline_entry(entry);
    if (!records || records->empty()) return Error::internal("an event-log entry is unreadable");
    return body_of_record(records->front());
  }

 private:
  Result<std::string> body_of_record(const engine::OfflineRecord& record) {
    std::optional<Message> m = record.message;
    if (!m) {
      auto stored = store_.message(record.stored.channel, record.stored.seq);
      if (!stored.ok()) return stored.error();
      if (!stored->has_value()) return std::string();
      m = std::move(**stored);
    }
    std::string body;
    JsonWriter w(body);
    w.begin_object();
    write_message_fields(w, *m, "");
    w.key("to_uids").string_array(record.to_uids);
    w.end_object();
    return body;
  }
  // A one-record entry, as dead letters keep it.
  static std::string entry_of(const engine::OfflineRecord& record) {
    std::string entry;
    if (record.message) {
      engine::append_offline_record(entry, *record.message, record.to_uids);
    } else {
      Message ref;
      ref.channel = record.stored.channel;
      ref.message_seq = record.stored.seq;
      engine::append_offline_record(entry, ref, record.to_uids);
    }
    return entry;
  }

  store::Store& store_;
  std::optional<std::pair<uint64_t, std::vector<engine::OfflineRecord>>> cached_;
};

class OnlineStatusReader final : public QueueReader {
 public:
  OnlineStatusReader(store::Store& store, size_t count) : store_(store), count_(count) {}
  EventQueue queue() const override { return engine::kQueueOnlineStatus; }
  const char* event() const override { return kEventOnlineStatus; }

  Result<std::optional<Batch>> next(const Cursor& from) override {
    auto changes = collect<std::string>(store_, queue(), from, count_, decode_status_entry);
    if (!changes.ok()) return changes.error();
    if (changes->items.empty()) return std::optional<Batch>();
    Batch b;
    b.next = changes->next;
    b.finished = std::move(changes->finished);
    b.full = changes->full;
    b.events = changes->items.size();
    JsonWriter(b.body).string_array(changes->items);
    b.entry = encode_status_entry(changes->items);
    return std::optional<Batch>(std::move(b));
  }
  size_t events_in(std::string_view entry) const override {
    auto changes = decode_status_entry(entry);
    return changes ? changes->size() : 0;
  }
  Result<std::string> body_of(std::string_view entry) override {
    auto changes = decode_status_entry(entry);
    if (!changes) return Error::internal("an event-log entry is unreadable");
    std::string body;
    JsonWriter(body).string_array(*changes);
    return body;
  }

 private:
  store::Store& store_;
  const size_t count_;
};

}  // namespace

std::string encode_cursor(const Cursor& c) {
  std::string out;
  store::put_u64(out, c.next_id);
  store::put_u64(out, c.skip);
  return out;
}

std::optional<Cursor> decode_cursor(std::string_view value) {
  if (value.size() != 16) return std::nullopt;
  return Cursor{store::get_u64(value.data()), store::get_u64(value.data() + 8)};
}

std::string encode_status_entry(const std::vector<std::string>& changes) {
  std::string out;
  store::put_varint(out, changes.size());
  for (const auto& c : changes) store::put_string(out, c);
  return out;
}

std::optional<std::vector<std::string>> decode_status_entry(std::string_view value) {
  uint64_t n = 0;
  if (!store::take_varint(value, n) || n > value.size()) return std::nullopt;
  std::vector<std::string> out(n);
  for (auto& s : out) {
    if (!store::take_string(value, s)) return std::nullopt;
  }
  if (!value.empty()) return std::nullopt;
  return out;
}

std::string status_text(std::string_view uid, int device_flag, bool online, uint64_t conn_id,
                        size_t device_connections, size_t user_connections) {
  std::string out(uid);
  out += "-" + std::to_string(device_flag) + "-" + (online ? "1" : "0") + "-" +
         std::to_string(conn_id) + "-" + std::to_string(device_connections) + "-" +
         std::to_string(user_connections);
  return out;
}

std::unique_ptr<QueueReader> make_stored_messages_reader(store::Store& store,
                                                         size_t count_per_push) {
  return std::make_unique<StoredMessagesReader>(store, count_per_push);
}

std::unique_ptr<QueueReader> make_offline_reader(store::Store& store) {
  return std::make_unique<OfflineReader>(store);
}

std::unique_ptr<QueueReader> make_online_status_reader(store::Store& store, size_t count_per_push) {
  return std::make_unique<OnlineStatusReader>(store, count_per_push);
}

}  // namespace jindou::webhook
