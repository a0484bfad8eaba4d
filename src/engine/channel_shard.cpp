#include "engine/channel_shard.h"

#include <chrono>
#include <exception>
#include <utility>

#include "model/client_msg_no.h"
#include "model/clock.h"
#include "runtime/executor_group.h"
#include "store/encoding.h"
#include "store/memory_only_reads.h"
#include "store/write_set.h"

namespace jindou::engine {
namespace {

SendResult failed(Error e) {
  SendResult r;
  r.status = std::move(e);
  return r;
}

}  // namespace

ChannelShard::ChannelShard(size_t index, runtime::Executor& executor, store::Store& store,
                           SnowflakeGenerator& ids, ChannelSettingsCache& settings,
                           const EngineOptions& options, DeliverySink* sink,
                           const ShardContext& context)
    : index_(index),
      executor_(executor),
      store_(store),
      ids_(ids),
      settings_(settings),
      options_(options),
      sink_(sink),
      context_(context),
      rng_(std::random_device{}() ^ (static_cast<uint64_t>(index) << 32)) {}

ChannelShard::Batch& ChannelShard::open(const ChannelKey& key) {
  const uint32_t partition = context_.router != nullptr ? context_.router->partition(key) : 0;
  std::unique_ptr<Batch>& batch = open_[partition];
  if (!batch) {
    batch = std::make_unique<Batch>();
    batch->partition = partition;
  }
  return *batch;
}

void ChannelShard::forget_channel_state() {
  for (auto& [key, st] : channels_) {
    // A channel with sends in flight knows its seq better than the store does.
    if (st->in_flight == 0) st->seq_loaded = false;
    if (st->subscribers) cached_members_ -= st->subscribers->size();
    st->subscribers.reset();
  }
}

ChannelShard::ChannelState& ChannelShard::state(const ChannelKey& key) {
  auto it = channels_.find(key);
  if (it != channels_.end()) {
    ChannelState& st = *it->second;
    lru_.splice(lru_.begin(), lru_, st.lru);
    return st;
  }
  auto st = std::make_unique<ChannelState>();
  st->key = key;
  lru_.push_front(st.get());
  st->lru = lru_.begin();
  ChannelState& ref = *st;
  channels_.emplace(key, std::move(st));
  evict_if_needed();
  return ref;
}

void ChannelShard::evict_if_needed() {
  // Walk from the least recently used end; channels with sends in flight stay.
  auto it = lru_.end();
  while ((channels_.size() > options_.max_cached_channels_per_shard ||
          cached_members_ > options_.max_cached_members_per_shard) &&
         it != lru_.begin()) {
    --it;
    ChannelState* st = *it;
    if (st->in_flight > 0 || !st->waiting.empty() || it == lru_.begin()) continue;
    if (st->subscribers) cached_members_ -= st->subscribers->size();
    it = lru_.erase(it);
    channels_.erase(st->key);
  }
}

Result<std::shared_ptr<const std::vector<std::string>>> ChannelShard::subscribers_of(
    ChannelState& st) {
  if (!st.subscribers) {
    auto members = store_.members(st.key, MemberRole::kSubscriber);
    if (!members.ok()) return members.error();
    st.subscribers = std::make_shared<const std::vector<std::string>>(std::move(*members));
    cached_members_ += st.subscribers->size();
    evict_if_needed();
  }
  return st.subscribers;
}

Result<std::shared_ptr<const std::vector<std::string>>> ChannelShard::recipients_of(
    ChannelState& st, const SendRequest& request) {
  if (!request.subscribers.empty()) {
    return std::make_shared<const std::vector<std::string>>(request.subscribers);
  }
  if (st.key.is_person()) {
    // The two parties, kept with the channel state (they never change).
    if (!st.subscribers) {
      auto [a, b] = person_parties(st.key.id);
      std::vector<std::string> both{std::string(a)};
      if (b != a) both.emplace_back(b);
      st.subscribers = std::make_shared<const std::vector<std::string>>(std::move(both));
      cached_members_ += st.subscribers->size();
    }
    return st.subscribers;
  }
  return subscribers_of(st);
}

std::shared_ptr<Message> ChannelShard::make_message(const ChannelKey& key, SendRequest& request,
                                                    std::string from_uid) {
  auto m = std::make_shared<Message>();
  m->message_id = ids_.next();
  m->client_msg_no = std::move(request.client_msg_no);
  m->from_uid = std::move(from_uid);
  m->channel = key;
  m->header = request.header;
  m->setting = request.setting;
  m->expire = request.expire;
  m->timestamp = unix_seconds();
  m->stream_no = std::move(request.stream_no);
  m->tag_key = std::move(request.tag_key);
  m->topic = std::move(request.topic);
  m->payload = std::move(request.payload);
  return m;
}

void ChannelShard::send(const ChannelKey& key, SendRequest request, SendCallback done) {
  ChannelState& st = state(key);
  const bool memory_only = context_.disk_reads != nullptr;
  if (st.waiting.empty() && try_send(st, request, done, memory_only)) return;
  st.waiting.push_back(
      std::make_unique<WaitingSend>(WaitingSend{std::move(request), std::move(done), 0}));
  if (!st.reading) read_for_waiting(st);
}

void ChannelShard::read_for_waiting(ChannelState& st) {
  st.reading = true;
  if (context_.disk_read_rounds != nullptr) context_.disk_read_rounds->add();
  WaitingSend& w = *st.waiting.front();
  ++w.reads;
  const SendRequest& r = w.request;
  // The reads the send will make, done where waiting is harmless; what they bring into memory
  // (the settings cache, the store's block cache) answers the send's own reads next time.
  auto read = [store = &store_, settings = &settings_, key = st.key,
               from_uid = r.from_uid.empty() ? std::string(kSystemUid) : r.from_uid,
               client_msg_no = r.client_msg_no, stream_no = r.stream_no,
               open_stream = r.open_stream, tip = !st.seq_loaded,
               members = !st.subscribers && !st.key.is_person() && r.subscribers.empty()] {
    if (from_uid != kSystemUid) (void)settings->get(ChannelKey{from_uid, kChannelPerson});
    if (key.is_person()) {
      auto [a, b] = person_parties(key.id);
      for (std::string_view uid : {a, b}) {
        (void)settings->get(ChannelKey{std::string(uid), kChannelPerson});
      }
    } else {
      (void)settings->get(key);
    }
    if (!client_msg_no.empty()) {
      auto found = store->find_client_msg(key, from_uid, client_msg_no);
      if (open_stream && found.ok() && found->has_value()) {
        (void)store->message(key, (*found)->message_seq);
      }
    }
    if (open_stream) (void)store->stream(stream_no);
    if (members) (void)store->members(key, MemberRole::kSubscriber);
    if (tip) (void)store->channel_tip(key);
  };
  context_.disk_reads->post([this, read = std::move(read), key = st.key] {
    read();
    executor_.post([this, key] { resume_waiting(key); });
  });
}

void ChannelShard::resume_waiting(const ChannelKey& key) {
  auto it = channels_.find(key);
  if (it == channels_.end()) return;  // not evicted while sends wait; defensive
  ChannelState& st = *it->second;
  st.reading = false;
  while (!st.waiting.empty()) {
    auto w = std::move(st.waiting.front());
    st.waiting.pop_front();
    // Should memory not hold what was just read (evicted meanwhile), a few more rounds are
    // tried before the shard reads from the disk itself: a send always gets decided.
    constexpr int kReadRounds = 3;
    if (!try_send(st, w->request, w->done, w->reads < kReadRounds)) {
      st.waiting.push_front(std::move(w));
      read_for_waiting(st);
      return;
    }
  }
}

bool ChannelShard::try_send(ChannelState& st, SendRequest& request, SendCallback& done,
                            bool memory_only) {
  std::optional<store::MemoryOnlyReads> reads;
  if (memory_only) reads.emplace();
  auto needs_disk = [&reads] { return reads && reads->missed(); };
  const ChannelKey& key = st.key;
  const std::string_view sender =
      request.from_uid.empty() ? kSystemUid : std::string_view(request.from_uid);
  // Everything read from the store comes first: until the last read nothing is changed, so a
  // send whose reads need the disk is left as it came.
  if (auto err = check_send(st, request, sender)) {
    if (needs_disk()) return false;
    done(failed(std::move(*err)));
    return true;
  }
  const bool persist = !request.header.no_persist;
  const bool generated = request.client_msg_no.empty();  // made after the id: see below
  std::string idempotency_key;
  if (!generated && persist) {
    idempotency_key = store::client_no_key(key, request.client_msg_no, sender);
    if (auto it = in_flight_keys_.find(idempotency_key); it != in_flight_keys_.end()) {
      it->second->waiters.push_back(std::move(done));
      return true;
    }
    auto found = store_.find_client_msg(key, sender, request.client_msg_no);
    if (needs_disk()) return false;
    if (!found.ok()) {
      done(failed(found.error()));
      return true;
    }
    if (found->has_value()) {
      SendResult r;
      r.message_id = (*found)->message_id;
      r.message_seq = (*found)->message_seq;
      r.duplicate = true;
      if (request.open_stream) {
        // The stream the first open made.
        auto anchor = store_.message(key, r.message_seq);
        if (needs_disk()) return false;
        if (!anchor.ok()) {
          done(failed(anchor.error()));
          return true;
        }
        if (anchor->has_value()) r.stream_no = (*anchor)->stream_no;
        if (r.stream_no.empty()) {
          done(failed(Error::bad_request("client_msg_no " + request.client_msg_no +
                                         " already names a message that is not a stream")));
          return true;
        }
      }
      r.client_msg_no = std::move(request.client_msg_no);
      done(std::move(r));
      return true;
    }
  }

  std::shared_ptr<const std::vector<std::string>> recipients;
  if (sink_ != nullptr || request.header.sync_once || options_.events.offline_recipients) {
    auto r = recipients_of(st, request);
    if (needs_disk()) return false;
    if (!r.ok()) {
      done(failed(r.error()));
      return true;
    }
    recipients = std::move(*r);
  }
  if (request.open_stream) {
    if (!persist) {
      done(failed(Error::bad_request("a stream's anchor is stored: header.no_persist must be 0")));
      return true;
    }
    // A name given by the caller (POST /event: its client_msg_no) must be new.
    auto existing = store_.stream(request.stream_no);
    if (needs_disk()) return false;
    if (!existing.ok()) {
      done(failed(existing.error()));
      return true;
    }
    if (existing->has_value() || streams_.contains(request.stream_no)) {
      done(failed(Error::bad_request("client_msg_no " + request.stream_no +
                                     " already names a stream in another channel or of another "
                                     "sender: use a new one")));
      return true;
    }
  }
  if (persist) {
    auto err = load_tip(st);
    if (needs_disk()) return false;
    if (err) {
      done(failed(std::move(*err)));
      return true;
    }
  }
  reads.reset();

  const uint64_t skip_connection =
      request.origin.kind == SendOrigin::Kind::kClient ? request.origin.connection_id : 0;
  std::string from_uid =
      request.from_uid.empty() ? std::string(kSystemUid) : std::move(request.from_uid);
  auto message = make_message(key, request, std::move(from_uid));
  if (generated) message->client_msg_no = generated_client_msg_no(message->message_id, rng_());
  if (!persist) {
    SendResult r;
    r.message_id = message->message_id;
    r.client_msg_no = message->client_msg_no;
    done(std::move(r));
    if (recipients) record_offline(*message, *recipients);
    deliver_unstored(std::move(message), std::move(recipients), skip_connection);
    return true;
  }

  message->message_seq = ++st.last_seq;
  if (message->header.red_dot) ++st.red_dots;
  message->red_dot_total = st.red_dots;
  ++st.in_flight;
  Batch& batch = open(key);
  batch.writes.put_message(*message, !generated, message->expire > 0 || store_.has_retention());
  record_conversations(*message);
  if (recipients) record_offline(*message, *recipients);
  const bool opens_stream = request.open_stream;
  if (opens_stream) {
    auto stream = std::make_unique<StreamState>();
    store::StreamRecord& rec = stream->record;
    rec.stream_no = message->stream_no;
    rec.channel = key;
    rec.anchor_seq = message->message_seq;
    rec.anchor_message_id = message->message_id;
    rec.client_msg_no = message->client_msg_no;
    rec.from_uid = message->from_uid;
    rec.updated_ms = unix_millis();
    batch.writes.put_stream(rec);
    streams_[rec.stream_no] = std::move(stream);
  }
  if (message->header.sync_once && recipients) {
    for (const auto& uid : *recipients) {
      batch.writes.push_sync_queue(uid, key, message->message_seq);
    }
  }
  auto pending = std::make_unique<PendingSend>();
  pending->message = std::move(message);
  pending->done = std::move(done);
  pending->idempotency_key = std::move(idempotency_key);
  pending->channel = &st;
  pending->recipients = std::move(recipients);
  pending->skip_connection = skip_connection;
  pending->opens_stream = opens_stream;
  if (!pending->idempotency_key.empty()) {
    in_flight_keys_.emplace(pending->idempotency_key, pending.get());
  }
  batch.sends.push_back(std::move(pending));
  schedule_flush();
  return true;
}

void ChannelShard::send_unstored(SendRequest request, const SendCallback& done) {
  std::string from_uid =
      request.from_uid.empty() ? std::string(kSystemUid) : std::move(request.from_uid);
  auto recipients = std::make_shared<const std::vector<std::string>>(request.subscribers);
  const uint64_t skip_connection =
      request.origin.kind == SendOrigin::Kind::kClient ? request.origin.connection_id : 0;
  auto message = make_message(ChannelKey{}, request, std::move(from_uid));
  if (message->client_msg_no.empty()) {
    message->client_msg_no = generated_client_msg_no(message->message_id, rng_());
  }
  // Like WuKongIM's temporary channels: recipients see a Temp channel of its own.
  message->channel = ChannelKey{"tmp_" + std::to_string(message->message_id), kChannelTemp};
  SendResult r;
  r.message_id = message->message_id;
  r.client_msg_no = message->client_msg_no;
  done(std::move(r));
  record_offline(*message, *recipients);
  deliver_unstored(std::move(message), std::move(recipients), skip_connection);
}

std::optional<Error> ChannelShard::load_tip(ChannelState& st) {
  if (st.seq_loaded) return std::nullopt;
  auto tip = store_.channel_tip(st.key);
  if (!tip.ok()) return tip.error();
  st.last_seq = tip->max_seq;
  st.red_dots = tip->red_dots;
  st.seq_loaded = true;
  return std::nullopt;
}

void ChannelShard::record_offline(const Message& m, const std::vector<std::string>& recipients) {
  if (!options_.events.offline_recipients || context_.presence == nullptr) return;
  std::vector<std::string> offline;
  for (const auto& uid : recipients) {
    if (uid != m.from_uid && !context_.presence->online(uid)) offline.push_back(uid);
  }
  if (offline.empty()) return;
  Batch& batch = open(m.channel);
  append_offline_record(batch.offline_entry, m, offline);
  ++batch.offline_records;
  schedule_flush();
}

void ChannelShard::deliver_unstored(std::shared_ptr<Message> message,
                                    std::shared_ptr<const std::vector<std::string>> recipients,
                                    uint64_t skip_connection) {
  if (sink_ == nullptr || !recipients) return;
  std::vector<Delivery> one;
  one.push_back(Delivery{std::move(message), std::move(recipients), skip_connection});
  sink_->deliver(std::move(one));
}

void ChannelShard::schedule_flush() {
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  // One commit for everything this turn sends to the shard.
  runtime::ExecutorGroup::defer(executor_, [this] { flush(); });
}

void ChannelShard::flush() {
  flush_scheduled_ = false;
  // One commit per partition (one in single-node mode).
  for (auto& [partition, open] : open_) {
    if (!open || (open->writes.empty() && open->meta.empty() && open->offline_records == 0 &&
                  open->stream_ops.empty())) {
      continue;
    }
    std::shared_ptr<Batch> batch(open.release());
    if (options_.events.stored_messages && !batch->sends.empty()) {
      std::vector<StoredMessageRef> refs;
      refs.reserve(batch->sends.size());
      for (const auto& pending : batch->sends) {
        refs.push_back(
            StoredMessageRef{pending->message->channel, pending->message->message_seq});
      }
      batch->writes.append_event(kQueueStoredMessages, encode_stored_messages(refs));
    }
    if (batch->offline_records > 0) {
      batch->writes.append_event(kQueueOfflineRecipients, std::move(batch->offline_entry));
    }
    store::WriteSet writes = std::move(batch->writes);
    writes.set_partition(batch->partition);
    store_.commit(std::move(writes), [this, batch](const Status& status) {
      executor_.post([this, batch, status] {
        complete(*batch, status);
        // The acknowledgements this produced leave now, not a turn later.
        runtime::ExecutorGroup::flush_current();
      });
    });
  }
  // Partitions seen lately keep their (empty) slot; the map stays as small as the number of
  // partitions in use.
  for (auto it = open_.begin(); it != open_.end();) {
    it = it->second ? std::next(it) : open_.erase(it);
  }
}

void ChannelShard::complete(Batch& batch, const Status& status) {
  std::vector<Delivery> deliveries;
  if (status.ok() && sink_ != nullptr) deliveries.reserve(batch.sends.size());
  // The shard's own bookkeeping first, for the whole batch: nothing below may leave an
  // in-flight key pointing into a batch that is gone.
  for (auto& pending : batch.sends) {
    if (!pending->idempotency_key.empty()) in_flight_keys_.erase(pending->idempotency_key);
    --pending->channel->in_flight;
  }
  // A callback that throws does not keep the others from being answered; the first exception
  // is passed on at the end.
  std::exception_ptr failure;
  auto call = [&failure](auto& callback, auto&&... args) {
    try {
      callback(std::forward<decltype(args)>(args)...);
    } catch (...) {
      if (!failure) failure = std::current_exception();
    }
  };
  std::vector<EventDelivery> events;
  for (auto& pending : batch.sends) {
    SendResult r;
    if (status.ok()) {
      r.message_id = pending->message->message_id;
      r.message_seq = pending->message->message_seq;
      r.client_msg_no = pending->message->client_msg_no;
      if (pending->opens_stream) r.stream_no = pending->message->stream_no;
    } else {
      r.status = status;
      if (pending->opens_stream) streams_.erase(pending->message->stream_no);
    }
    if (status.ok() && pending->opens_stream && sink_ != nullptr) {
      add_start_events(*pending->message, pending->recipients, events);
    }
    for (auto& waiter : pending->waiters) {
      SendResult copy = r;
      copy.duplicate = true;
      call(waiter, std::move(copy));
    }
    call(pending->done, std::move(r));
    if (status.ok() && sink_ != nullptr && pending->recipients) {
      deliveries.push_back(Delivery{std::move(pending->message), std::move(pending->recipients),
                                    pending->skip_connection});
    }
  }
  if (!status.ok()) {
    // Seqs handed out after the failure were never written: reload them from the store once
    // nothing of the channel is in flight (single node: the store refuses every later write,
    // so those fail too; cluster: a failed write fails every later one of its partition, and
    // other partitions' channels must keep the seqs of their writes in flight).
    for (auto& [key, st] : channels_) {
      if (st->in_flight == 0) st->seq_loaded = false;
    }
  }
  for (auto& [key, done] : batch.meta) {
    if (!key) {
      call(done, status);
      continue;
    }
    settings_.invalidate(*key);
    if (auto it = channels_.find(*key); it != channels_.end()) {
      ChannelState& st = *it->second;
      if (st.subscribers) cached_members_ -= st.subscribers->size();
      st.subscribers.reset();
    }
    call(done, status);
  }
  if (status.ok() && context_.event_listener != nullptr) {
    if (options_.events.stored_messages && !batch.sends.empty()) {
      context_.event_listener->appended(kQueueStoredMessages, batch.sends.size());
    }
    if (batch.offline_records > 0) {
      context_.event_listener->appended(kQueueOfflineRecipients, batch.offline_records);
    }
  }
  try {
    complete_stream_ops(batch, status, events);
  } catch (...) {
    if (!failure) failure = std::current_exception();
  }
  if (!deliveries.empty()) sink_->deliver(std::move(deliveries));
  if (!events.empty()) sink_->deliver_events(std::move(events));
  if (failure) std::rethrow_exception(failure);
}

}  // namespace jindou::engine
