#include "store/rocks_store.h"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <rocksdb/write_buffer_manager.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <future>

#include "model/client_msg_no.h"
#include "model/clock.h"
#include "store/encoding.h"
#include "store/expiry_filter.h"
#include "store/rocks_iteration.h"

namespace jindou::store {
namespace {

constexpr const char* kColumnNames[] = {
    "default", "msg",        "msg_id", "client_no", "channel", "member", "user_channel",
    "user",    "sync_queue", "cursor", "conv",      "event",   "stream"};
static_assert(std::size(kColumnNames) == static_cast<size_t>(Column::kCount));

// The channel part of a key (type, id length, id). Messages of one channel are inserted in seq
// order, so RocksDB can use the previous insert of the same channel as a hint and skip most of
// the skiplist search.
class ChannelPrefix final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "jindou.ChannelPrefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return rocksdb::Slice(key.data(), prefix_size(key));
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    return key.size() >= 3 && key.size() >= prefix_size(key);
  }

 private:
  static size_t prefix_size(const rocksdb::Slice& key) {
    return 3 + ((static_cast<size_t>(static_cast<uint8_t>(key[1])) << 8) |
                static_cast<uint8_t>(key[2]));
  }
};

// client_no keys: channel prefix, client_msg_no (u16-prefixed), from_uid. The prefix is all but
// the sender: lookups are by exact key or by that prefix, never in total order, so the memtable
// can hash by it (client_msg_nos are random: a sorted skiplist pays a cache miss per level).
class ClientNoPrefix final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "jindou.ClientNoPrefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return rocksdb::Slice(key.data(), prefix_size(key));
  }
  bool InDomain(const rocksdb::Slice& key) const override { return prefix_size(key) > 0; }

 private:
  static size_t prefix_size(const rocksdb::Slice& key) {
    auto u16 = [&](size_t at) {
      return (static_cast<size_t>(static_cast<uint8_t>(key[at])) << 8) |
             static_cast<uint8_t>(key[at + 1]);
    };
    if (key.size() < 3) return 0;
    const size_t channel_end = 3 + u16(1);
    if (key.size() < channel_end + 2) return 0;
    const size_t end = channel_end + 2 + u16(channel_end);
    return key.size() >= end ? end : 0;
  }
};

// Default column family: the last queue position given out, and the last commit version.
const std::string kQueuePositionKey = "sync_queue_position";
const std::string kCommitVersionKey = "commit_version";

uint64_t unix_nanos() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace

RocksStore::RocksStore(RocksStoreOptions options) : options_(std::move(options)) {
  if (!options_.clock) {
    options_.clock = [] { return unix_seconds(); };
  }
}

Result<std::unique_ptr<RocksStore>> RocksStore::open(RocksStoreOptions options) {
  std::unique_ptr<RocksStore> store(new RocksStore(std::move(options)));
  const auto& opt = store->options_;

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.paranoid_checks = true;
  db_options.max_background_jobs = 2;
  db_options.bytes_per_sync = 1 << 20;
  db_options.keep_log_file_num = 5;
  // Column families that are rarely written would otherwise keep every WAL file alive (disk use
  // and restart time grow without bound): past this size the oldest WAL's data is flushed.
  db_options.max_total_wal_size = 128u << 20;
  // One committer thread writes: inserting with per-channel hints beats concurrent inserts.
  db_options.allow_concurrent_memtable_write = false;
  db_options.write_buffer_manager =
      std::make_shared<rocksdb::WriteBufferManager>(opt.memtable_budget_bytes);

  rocksdb::BlockBasedTableOptions table;
  // Index and bloom filter blocks stay in memory with their table files (not in the block
  // cache): every send does an idempotency lookup that must not touch the disk or re-read a
  // filter. They cost about 1.5 bytes per stored key.
  table.block_cache = rocksdb::NewLRUCache(opt.block_cache_bytes);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.cache_index_and_filter_blocks = false;
  table.format_version = 5;
  table.checksum = rocksdb::kXXH3;

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (size_t i = 0; i < std::size(kColumnNames); ++i) {
    rocksdb::ColumnFamilyOptions cf;
    cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    // Compaction competes with serving for the same cores: no compression in the two top
    // levels (short-lived data), LZ4 below, fewer and larger compactions.
    cf.compression_per_level = {rocksdb::kNoCompression, rocksdb::kNoCompression,
                                rocksdb::kLZ4Compression};
    cf.bottommost_compression = rocksdb::kLZ4Compression;
    cf.level0_file_num_compaction_trigger = 8;
    cf.max_bytes_for_level_base = 512u << 20;
    const auto column = static_cast<Column>(i);
    if (column == Column::kMessage || column == Column::kMessageId || column == Column::kClientNo) {
      auto filter = make_expiry_filter(
          column == Column::kMessage ? ExpiryLayout::kMessage : ExpiryLayout::kIndex,
          opt.retention_seconds, opt.clock);
      cf.compaction_filter = filter.get();
      store->filters_.push_back(std::move(filter));
      // Revisit old files daily so expired messages are removed even without new writes.
      cf.periodic_compaction_seconds = 24 * 3600;
      // Every message inserts here: a smaller memtable keeps the skiplist search in cache,
      // which shortens each group commit (flushes get more frequent but run off the commit path).
      cf.write_buffer_size = 16u << 20;
    }
    if (column == Column::kMessage || column == Column::kChannel) {
      cf.memtable_insert_with_hint_prefix_extractor = std::make_shared<ChannelPrefix>();
    } else if (column == Column::kClientNo) {
      cf.prefix_extractor = std::make_shared<ClientNoPrefix>();
      // A memtable bloom filter answers the usual "not sent before" lookup without a search.
      cf.memtable_prefix_bloom_size_ratio = 0.1;
      // Random keys (client_msg_nos are random): a small memtable keeps inserts cache-friendly.
      cf.write_buffer_size = 4u << 20;
      cf.memtable_whole_key_filtering = true;
    } else if (column == Column::kMessageId) {
      // Ids grow: consecutive inserts share their high bytes.
      cf.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(4));
    }
    descriptors.emplace_back(kColumnNames[i], cf);
  }

  rocksdb::DB* db = nullptr;
  auto s = rocksdb::DB::Open(db_options, opt.path, descriptors, &store->handles_, &db);
  if (!s.ok()) return Error::unavailable("cannot open the data directory: " + s.ToString());
  store->db_.reset(db);
  if (auto prepared = store->prepare_max_seq_records(); !prepared.ok()) return prepared.error();
  auto position = store->get(Column::kDefault, kQueuePositionKey);
  if (!position.ok()) return position.error();
  if (position->has_value() && (*position)->size() == 8) {
    store->queue_position_ = get_u64((*position)->data());
  }
  auto version = store->get(Column::kDefault, kCommitVersionKey);
  if (!version.ok()) return version.error();
  if (version->has_value() && (*version)->size() == 8) {
    store->commit_version_ = get_u64((*version)->data());
  }
  RocksStore* raw = store.get();
  if (opt.sync_writes) {
    // Reads see this until the first sync: nothing written later is readable before it is
    // durable, not even the first group.
    store->durable_view_.reset(db->GetSnapshot(), [db](const rocksdb::Snapshot* snapshot) {
      db->ReleaseSnapshot(snapshot);
    });
  }
  GroupCommitter::SyncWritten sync;
  if (opt.sync_writes) sync = [raw] { return raw->sync_written(); };
  store->committer_ = std::make_unique<GroupCommitter>(
      [raw](const std::vector<GroupCommitter::Pending>& group) { return raw->write_group(group); },
      opt.max_group_ops, std::move(sync));
  return store;
}

RocksStore::~RocksStore() {
  close();
}

// Without retention, a channel's max seq is its last message key and max-seq records are only
// written for messages that can expire. With retention any message may vanish, so every
// channel needs a record: when retention is (newly) on, channels written before get theirs
// here, once, and a marker says the records are complete until retention is turned off.
Status RocksStore::prepare_max_seq_records() {
  static const std::string kMarker = "max_seq_records_complete";
  rocksdb::WriteOptions wo;
  wo.sync = true;
  if (options_.retention_seconds <= 0) {
    auto s = db_->Delete(wo, cf(Column::kDefault), kMarker);
    return s.ok() ? Status{} : Status(to_error(s));
  }
  auto marker = get(Column::kDefault, kMarker);
  if (!marker.ok()) return marker.error();
  if (marker->has_value()) return {};
  spdlog::info("message.retention is on: recording each channel's max seq (once)");
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), cf(Column::kMessage)));
  rocksdb::WriteBatch batch;
  uint64_t channels = 0;
  for (it->SeekToFirst(); it->Valid();) {
    std::string_view key = it->key().ToStringView();
    auto channel = take_channel(key);
    if (!channel) return Error::internal("stored message key is unreadable");
    const std::string end = channel_end(*channel);
    it->SeekForPrev(end);  // the channel's last message
    if (!it->Valid()) break;
    const uint64_t last = get_u64(it->key().data() + it->key().size() - 8);
    const auto last_tip = decode_message_tip(it->value().ToStringView());
    auto recorded = max_seq(*channel);
    if (!recorded.ok()) return recorded.error();
    if (*recorded <= last) {
      batch.Put(cf(Column::kChannel), channel_record_key(*channel, ChannelRecord::kMaxSeq),
                encode_max_seq_record(last, last_tip ? last_tip->red_dot_total : 0));
    }
    if (++channels % 100000 == 0) spdlog::info("recorded the max seq of {} channels", channels);
    it->Seek(end);  // the next channel
  }
  if (!it->status().ok()) return to_error(it->status());
  batch.Put(cf(Column::kDefault), kMarker, "1");
  auto s = db_->Write(wo, &batch);
  if (!s.ok()) return to_error(s);
  spdlog::info("recorded the max seq of {} channels", channels);
  return {};
}

void RocksStore::stop_writes() {
  if (committer_) committer_->stop();
}

void RocksStore::close() {
  stop_writes();
  committer_.reset();
  {
    std::lock_guard lock(view_mu_);
    durable_view_.reset();  // readers are gone by now (the server stops them first)
  }
  if (db_) {
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    handles_.clear();
    db_->Close();
    db_.reset();
  }
}

rocksdb::ColumnFamilyHandle* RocksStore::cf(Column c) const {
  return handles_[static_cast<size_t>(c)];
}

Status RocksStore::write_group(const std::vector<GroupCommitter::Pending>& group) {
  if (options_.write_fault) {
    if (Status injected = options_.write_fault(group.size()); !injected.ok()) return injected;
  }
  // Message rows (msg, msg_id, client_no) are unique keys that are only ever put, so their
  // order inside the batch is free: sorted, each memtable insert lands next to the previous
  // one instead of searching the skiplist from the top. Everything else keeps its order.
  std::vector<const WriteSet::Op*> sorted;
  std::vector<const WriteSet::Op*> ordered;
  uint64_t messages = 0;
  for (const auto& pending : group) {
    for (const auto& op : pending.writes.ops()) {
      const bool message_row = op.kind == WriteSet::OpKind::kPut &&
                               (op.column == Column::kMessage || op.column == Column::kMessageId ||
                                op.column == Column::kClientNo);
      (message_row ? sorted : ordered).push_back(&op);
    }
    messages += pending.writes.message_count();
  }
  std::sort(sorted.begin(), sorted.end(), [](const WriteSet::Op* a, const WriteSet::Op* b) {
    return a->column != b->column ? a->column < b->column : a->key < b->key;
  });
  rocksdb::WriteBatch batch;
  const uint64_t first_position = queue_position_;
  // One version for the whole group: it becomes visible at once. Unix nanoseconds where the
  // clock allows, and always above every earlier one.
  const uint64_t version = std::max(commit_version_ + 1, unix_nanos());
  char version_bytes[8];
  {
    std::string v;
    put_u64(v, version);
    std::copy(v.begin(), v.end(), version_bytes);
  }
  bool versioned = false;
  auto put = [&](const WriteSet::Op& op, const std::string& key) {
    if (op.version_at == 0 || op.value.size() < op.version_at + 8u) {
      return batch.Put(cf(op.column), key, op.value);
    }
    versioned = true;
    const rocksdb::Slice key_part(key);
    const rocksdb::Slice value_parts[3] = {
        rocksdb::Slice(op.value.data(), op.version_at), rocksdb::Slice(version_bytes, 8),
        rocksdb::Slice(op.value.data() + op.version_at + 8, op.value.size() - op.version_at - 8)};
    return batch.Put(cf(op.column), rocksdb::SliceParts(&key_part, 1),
                     rocksdb::SliceParts(value_parts, 3));
  };
  auto add = [&](const WriteSet::Op& op) {
    switch (op.kind) {
      case WriteSet::OpKind::kQueueAppend: {
        std::string key = op.key;
        put_u64(key, ++queue_position_);
        return put(op, key);
      }
      case WriteSet::OpKind::kPut:
        return put(op, op.key);
      case WriteSet::OpKind::kDelete:
        return batch.Delete(cf(op.column), op.key);
      case WriteSet::OpKind::kDeleteRange:
        return batch.DeleteRange(cf(op.column), op.key, op.value);
    }
    return rocksdb::Status::InvalidArgument("unknown write kind");
  };
  for (const auto* op : sorted) {
    if (auto s = add(*op); !s.ok()) return to_error(s);
  }
  for (const auto* op : ordered) {
    if (auto s = add(*op); !s.ok()) return to_error(s);
  }
  const uint32_t keys = batch.Count();  // the write sets' own, not the bookkeeping below
  if (queue_position_ != first_position) {
    std::string value;
    put_u64(value, queue_position_);
    if (auto s = batch.Put(cf(Column::kDefault), kQueuePositionKey, value); !s.ok()) {
      return to_error(s);
    }
  }
  if (versioned) {
    if (auto s =
            batch.Put(cf(Column::kDefault), kCommitVersionKey, rocksdb::Slice(version_bytes, 8));
        !s.ok()) {
      return to_error(s);
    }
  }
  // Unsynced: sync_written() makes it durable (and readable) before it is acknowledged.
  auto s = db_->Write(rocksdb::WriteOptions(), &batch);
  if (!s.ok()) {
    queue_position_ = first_position;
    return to_error(s);
  }
  if (versioned) commit_version_ = version;
  keys_written_.fetch_add(keys, std::memory_order_relaxed);
  messages_written_.fetch_add(messages, std::memory_order_relaxed);
  write_sets_.fetch_add(group.size(), std::memory_order_relaxed);
  return {};
}

Status RocksStore::sync_written() {
  if (options_.before_sync) options_.before_sync();
  if (options_.sync_fault) {
    if (Status injected = options_.sync_fault(); !injected.ok()) return injected;
  }
  // Everything written before this snapshot is in the WAL that SyncWAL() makes durable.
  const rocksdb::Snapshot* raw = db_->GetSnapshot();
  rocksdb::DB* db = db_.get();
  std::shared_ptr<const rocksdb::Snapshot> view(
      raw, [db](const rocksdb::Snapshot* snapshot) { db->ReleaseSnapshot(snapshot); });
  auto s = db_->SyncWAL();
  if (!s.ok()) return to_error(s);
  std::lock_guard lock(view_mu_);
  durable_view_.swap(view);
  return {};  // the previous view is released here or by its last reader
}

std::shared_ptr<const rocksdb::Snapshot> RocksStore::read_view() const {
  std::lock_guard lock(view_mu_);
  return durable_view_;
}

void RocksStore::commit(WriteSet writes, CommitCallback done) {
  if (!committer_) return done(Error::unavailable("the store is closed"));
  committer_->submit(std::move(writes), std::move(done));
}

Status RocksStore::commit_and_wait(WriteSet writes) {
  std::promise<Status> promise;
  auto future = promise.get_future();
  commit(std::move(writes), [&promise](const Status& s) { promise.set_value(s); });
  return future.get();
}

int64_t RocksStore::now() const {
  return options_.clock();
}

bool RocksStore::visible(const Message& m, int64_t now) const {
  return index_visible(m.expires_at(), m.timestamp, now);
}

bool RocksStore::index_visible(int64_t expires_at, int64_t timestamp, int64_t now) const {
  if (expires_at != 0 && now >= expires_at) return false;
  return options_.retention_seconds == 0 || timestamp + options_.retention_seconds > now;
}

Result<std::optional<std::string>> RocksStore::get(Column c, const std::string& key) {
  std::string value;
  const auto view = read_view();
  const rocksdb::ReadOptions ro = read_options(view.get());
  auto s = db_->Get(ro, cf(c), key, &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return to_error(s);
  return std::optional<std::string>(std::move(value));
}

Result<uint64_t> RocksStore::max_seq(const ChannelKey& channel) {
  auto tip = channel_tip(channel);
  if (!tip.ok()) return tip.error();
  return tip->max_seq;
}

Result<ChannelTip> RocksStore::channel_tip(const ChannelKey& channel) {
  // The larger of the max-seq record (kept when messages may vanish) and the last stored key;
  // the red-dot total comes with whichever is newer (the message's value when both agree).
  auto v = get(Column::kChannel, channel_record_key(channel, ChannelRecord::kMaxSeq));
  if (!v.ok()) return v.error();
  ChannelTip tip;
  if (v->has_value()) {
    if (auto record = decode_max_seq_record(**v)) {
      tip.max_seq = record->seq;
      tip.red_dots = record->red_dots.value_or(0);
    }
  }
  const std::string lower_key = message_key(channel, 0);
  const std::string upper_key = channel_end(channel);
  BoundedIterator it(*db_, read_view(), cf(Column::kMessage), lower_key, upper_key);
  it->SeekToLast();
  if (!it->status().ok()) return to_error(it->status());
  if (it->Valid() && it->key().size() >= 8) {
    const uint64_t last = get_u64(it->key().data() + it->key().size() - 8);
    if (last >= tip.max_seq) {
      tip.max_seq = last;
      if (auto m = decode_message_tip(it->value().ToStringView())) tip.red_dots = m->red_dot_total;
    }
  }
  return tip;
}

Result<std::optional<Message>> RocksStore::generated_client_msg(const ChannelKey& channel,
                                                                std::string_view client_msg_no) {
  const auto id = generated_client_msg_no_id(client_msg_no);
  if (!id) return std::optional<Message>();
  auto m = message_by_id(*id);
  if (!m.ok()) return m.error();
  if (!m->has_value() || !((*m)->channel == channel) || (*m)->client_msg_no != client_msg_no) {
    return std::optional<Message>();
  }
  return m;
}

Result<std::optional<Message>> RocksStore::message(const ChannelKey& channel, uint64_t seq) {
  const std::string key = message_key(channel, seq);
  auto v = get(Column::kMessage, key);
  if (!v.ok()) return v.error();
  if (!v->has_value()) return std::optional<Message>();
  auto m = decode_message(key, **v);
  if (!m) return Error::internal("stored message is unreadable");
  if (!visible(*m, now())) return std::optional<Message>();
  return m;
}

Result<std::optional<Message>> RocksStore::message_by_id(int64_t message_id) {
  auto v = get(Column::kMessageId, message_id_key(message_id));
  if (!v.ok()) return v.error();
  if (!v->has_value()) return std::optional<Message>();
  auto e = decode_index(**v);
  if (!e) return Error::internal("stored message index is unreadable");
  if (!index_visible(e->expires_at, e->timestamp, now())) return std::optional<Message>();
  return message(e->channel, e->seq);
}

Result<std::optional<MessageRef>> RocksStore::find_client_msg(const ChannelKey& channel,
                                                              std::string_view from_uid,
                                                              std::string_view client_msg_no) {
  auto v = get(Column::kClientNo, client_no_key(channel, client_msg_no, from_uid));
  if (!v.ok()) return v.error();
  if (!v->has_value()) {
    auto generated = generated_client_msg(channel, client_msg_no);
    if (!generated.ok()) return generated.error();
    if (!generated->has_value() || (*generated)->from_uid != from_uid) {
      return std::optional<MessageRef>();
    }
    const Message& m = **generated;
    return std::optional<MessageRef>(MessageRef{m.message_id, m.message_seq, m.channel});
  }
  auto e = decode_index(**v);
  if (!e) return Error::internal("stored client_msg_no index is unreadable");
  if (!index_visible(e->expires_at, e->timestamp, now())) return std::optional<MessageRef>();
  return std::optional<MessageRef>(MessageRef{e->message_id, e->seq, std::move(e->channel)});
}

Result<std::vector<Message>> RocksStore::messages_by_client_msg_no(const ChannelKey& channel,
                                                                   std::string_view client_msg_no) {
  const std::string prefix = client_no_prefix(channel, client_msg_no);
  BoundedIterator it(*db_, read_view(), cf(Column::kClientNo), prefix, prefix_end(prefix));
  std::vector<Message> out;
  const int64_t t = now();
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto e = decode_index(it->value().ToStringView());
    if (!e || !index_visible(e->expires_at, e->timestamp, t)) continue;
    auto m = message(e->channel, e->seq);
    if (!m.ok()) return m.error();
    if (m->has_value()) out.push_back(std::move(**m));
  }
  if (!it->status().ok()) return to_error(it->status());
  if (out.empty()) {
    auto generated = generated_client_msg(channel, client_msg_no);
    if (!generated.ok()) return generated.error();
    if (generated->has_value()) out.push_back(std::move(**generated));
  }
  return out;
}

Status RocksStore::visit_messages(std::string lower_key, std::string upper_key, bool descending,
                                  const std::function<bool(Message&&)>& visit) {
  BoundedIterator it(*db_, read_view(), cf(Column::kMessage), std::move(lower_key),
                     std::move(upper_key));
  const int64_t t = now();
  if (descending) {
    it->SeekToLast();
  } else {
    it->SeekToFirst();
  }
  for (; it->Valid(); descending ? it->Prev() : it->Next()) {
    auto m = decode_message(it->key().ToStringView(), it->value().ToStringView());
    if (!m) return Error::internal("stored message is unreadable");
    if (!visible(*m, t)) continue;
    if (!visit(std::move(*m))) break;
  }
  if (!it->status().ok()) return to_error(it->status());
  return {};
}

Result<ScanResult> RocksStore::scan(const ChannelKey& channel, uint64_t from, uint64_t to,
                                    bool descending, size_t limit, size_t max_bytes) {
  ScanResult result;
  size_t bytes = 0;
  Status s = visit_messages(
      message_key(channel, from), to == 0 ? channel_end(channel) : message_key(channel, to),
      descending, [&](Message&& m) {
        // One visible message past the page says that there are more.
        if (result.messages.size() == limit || (!result.messages.empty() && bytes >= max_bytes)) {
          result.more = true;
          return false;
        }
        bytes += m.payload.size();
        result.messages.push_back(std::move(m));
        return true;
      });
  if (!s.ok()) return s.error();
  if (descending) std::reverse(result.messages.begin(), result.messages.end());
  return result;
}

Status RocksStore::for_each_by_id(bool descending, int64_t start_exclusive,
                                  const std::function<bool(Message&&)>& visit) {
  const auto view = read_view();
  rocksdb::ReadOptions ro;
  ro.snapshot = view.get();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(Column::kMessageId)));
  if (descending) {
    if (start_exclusive <= 0) {
      it->SeekToLast();
    } else {
      it->SeekForPrev(message_id_key(start_exclusive - 1));
    }
  } else {
    it->Seek(message_id_key(start_exclusive + 1));
  }
  const int64_t t = now();
  for (; it->Valid(); descending ? it->Prev() : it->Next()) {
    auto e = decode_index(it->value().ToStringView());
    if (!e || !index_visible(e->expires_at, e->timestamp, t)) continue;
    auto m = message(e->channel, e->seq);
    if (!m.ok()) return m.error();
    if (!m->has_value()) continue;
    if (!visit(std::move(**m))) break;
  }
  if (!it->status().ok()) return to_error(it->status());
  return {};
}

Status RocksStore::for_each_in_channel(const ChannelKey& channel, bool descending,
                                       uint64_t start_exclusive,
                                       const std::function<bool(Message&&)>& visit) {
  std::string lower_key = message_key(channel, 0);
  std::string upper_key = channel_end(channel);
  if (start_exclusive > 0) {
    if (descending) {
      upper_key = message_key(channel, start_exclusive);
    } else {
      lower_key = message_key(channel, start_exclusive + 1);
    }
  }
  return visit_messages(std::move(lower_key), std::move(upper_key), descending, visit);
}

Result<int64_t> RocksStore::max_message_id() {
  const auto view = read_view();
  rocksdb::ReadOptions ro;
  ro.snapshot = view.get();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(Column::kMessageId)));
  it->SeekToLast();
  if (!it->status().ok()) return to_error(it->status());
  if (!it->Valid() || it->key().size() != 8) return int64_t{0};
  return static_cast<int64_t>(get_u64(it->key().data()));
}

Result<std::optional<ChannelInfo>> RocksStore::channel_info(const ChannelKey& channel) {
  auto v = get(Column::kChannel, channel_record_key(channel, ChannelRecord::kInfo));
  if (!v.ok()) return v.error();
  if (!v->has_value()) return std::optional<ChannelInfo>();
  auto info = decode_channel_info(**v);
  if (!info) return Error::internal("stored channel info is unreadable");
  return info;
}

Result<std::vector<std::string>> RocksStore::members(const ChannelKey& channel, MemberRole role) {
  const std::string prefix = member_prefix(channel, role);
  BoundedIterator it(*db_, read_view(), cf(Column::kMember), prefix, prefix_end(prefix));
  std::vector<std::string> out;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    out.emplace_back(it->key().ToStringView().substr(prefix.size()));
  }
  if (!it->status().ok()) return to_error(it->status());
  return out;
}

Result<bool> RocksStore::is_member(const ChannelKey& channel, MemberRole role,
                                   std::string_view uid) {
  auto v = get(Column::kMember, member_key(channel, role, uid));
  if (!v.ok()) return v.error();
  return v->has_value();
}

Result<bool> RocksStore::has_members(const ChannelKey& channel, MemberRole role) {
  const std::string prefix = member_prefix(channel, role);
  BoundedIterator it(*db_, read_view(), cf(Column::kMember), prefix, prefix_end(prefix));
  it->SeekToFirst();
  if (!it->status().ok()) return to_error(it->status());
  return it->Valid();
}

Result<std::optional<UserToken>> RocksStore::user_token(std::string_view uid, uint8_t device_flag) {
  auto v = get(Column::kUser, user_token_key(uid, device_flag));
  if (!v.ok()) return v.error();
  if (!v->has_value()) return std::optional<UserToken>();
  const std::string& raw = **v;
  if (raw.size() < 2 || static_cast<uint8_t>(raw[0]) != kValueVersion) {
    return Error::internal("stored user token is unreadable");
  }
  return std::optional<UserToken>(UserToken{raw.substr(2), static_cast<uint8_t>(raw[1])});
}

Result<std::vector<SyncQueueEntry>> RocksStore::sync_queue(std::string_view uid, size_t limit) {
  const std::string prefix = sync_queue_prefix(uid);
  BoundedIterator it(*db_, read_view(), cf(Column::kSyncQueue), prefix, prefix_end(prefix));
  std::vector<SyncQueueEntry> out;
  for (it->SeekToFirst(); it->Valid() && out.size() < limit; it->Next()) {
    auto key = it->key().ToStringView();
    auto value = it->value().ToStringView();
    if (key.size() != prefix.size() + 8) continue;
    SyncQueueEntry e;
    e.position = get_u64(key.data() + prefix.size());
    auto channel = take_channel(value);
    if (!channel || value.size() != 8) continue;
    e.channel = std::move(*channel);
    e.seq = get_u64(value.data());
    out.push_back(std::move(e));
  }
  if (!it->status().ok()) return to_error(it->status());
  return out;
}

Result<uint64_t> RocksStore::last_sync_queue_position(std::string_view uid) {
  const std::string prefix = sync_queue_prefix(uid);
  const auto view = read_view();
  rocksdb::ReadOptions ro;
  ro.snapshot = view.get();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(Column::kSyncQueue)));
  it->SeekForPrev(sync_queue_key(uid, UINT64_MAX));
  if (!it->status().ok()) return to_error(it->status());
  if (!it->Valid() || !it->key().starts_with(prefix) || it->key().size() != prefix.size() + 8) {
    return uint64_t{0};
  }
  return get_u64(it->key().data() + prefix.size());
}

Result<std::optional<std::string>> RocksStore::cursor(std::string_view name) {
  return get(Column::kCursor, std::string(name));
}

StoreStats RocksStore::stats() const {
  StoreStats s;
  s.messages = messages_written_.load(std::memory_order_relaxed);
  s.write_sets = write_sets_.load(std::memory_order_relaxed);
  s.keys_written = keys_written_.load(std::memory_order_relaxed);
  if (committer_) {
    s.commits = committer_->groups_written();
    s.largest_commit = committer_->largest_group();
    s.healthy = !committer_->failed();
  }
  return s;
}

Status RocksStore::compact() {
  for (auto* h : handles_) {
    rocksdb::CompactRangeOptions o;
    o.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    auto s = db_->CompactRange(o, h, nullptr, nullptr);
    if (!s.ok()) return to_error(s);
  }
  return {};
}

}  // namespace jindou::store
