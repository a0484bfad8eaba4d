// ChannelShard: streams. A stream's anchor is a message stored by send() (request.open_stream);
// its chunks and its end are written here, in the same group commits as the shard's messages,
// and reach the channel's v5 connections as EVENTs once durable.
#include <exception>
#include <utility>

#include "engine/channel_shard.h"
#include "engine/message_reader.h"
#include "json/json_writer.h"
#include "model/base64.h"
#include "model/client_msg_no.h"
#include "model/clock.h"
#include "runtime/executor_group.h"
#include "store/write_set.h"

namespace jindou::engine {
namespace {

// A stream holds at most what one read answer may carry.
constexpr uint64_t kMaxStreamBytes = MessageReader::kMaxReadBytes;

StreamResult stream_failed(Error e) {
  StreamResult r;
  r.status = std::move(e);
  return r;
}

StreamResult answer_of(const store::StreamRecord& r) {
  StreamResult out;
  out.message_id = r.anchor_message_id;
  out.message_seq = r.anchor_seq;
  out.stream_no = r.stream_no;
  return out;
}

std::shared_ptr<ClientEvent> stream_event(const store::StreamRecord& r, std::string_view type) {
  auto e = std::make_shared<ClientEvent>();
  e->id = r.client_msg_no;
  e->type = std::string(type);
  e->timestamp_ms = unix_millis();
  return e;
}

Error unknown_stream(const std::string& stream_no) {
  return Error::not_found("stream_no " + stream_no + " is not a stream");
}

}  // namespace

Result<ChannelShard::StreamState*> ChannelShard::open_stream_state(
    const ChannelKey& key, const std::string& stream_no,
    std::optional<store::StreamRecord>& ended) {
  if (auto it = streams_.find(stream_no); it != streams_.end()) {
    if (it->second->record.channel != key) return static_cast<StreamState*>(nullptr);
    if (it->second->record.ended) ended = it->second->record;
    return ended ? nullptr : it->second.get();
  }
  auto stored = store_.stream(stream_no);
  if (!stored.ok()) return stored.error();
  // Another channel's stream is not this shard's to hold.
  if (!stored->has_value() || (*stored)->channel != key) {
    return static_cast<StreamState*>(nullptr);
  }
  if ((*stored)->ended) {
    ended = std::move(**stored);
    return static_cast<StreamState*>(nullptr);
  }
  auto state = std::make_unique<StreamState>();
  state->record = std::move(**stored);
  StreamState* raw = state.get();
  streams_.emplace(stream_no, std::move(state));
  return raw;
}

void ChannelShard::adopt_stream(store::StreamRecord record) {
  if (record.ended || streams_.contains(record.stream_no)) return;
  auto state = std::make_unique<StreamState>();
  std::string stream_no = record.stream_no;
  state->record = std::move(record);
  streams_.emplace(std::move(stream_no), std::move(state));
}

void ChannelShard::append_chunk(const ChannelKey& key, ChunkRequest request, StreamCallback done) {
  std::optional<store::StreamRecord> ended;
  auto state = open_stream_state(key, request.stream_no, ended);
  if (!state.ok()) {
    done(stream_failed(state.error()));
    return;
  }
  if (!ended && *state == nullptr) {
    done(stream_failed(unknown_stream(request.stream_no)));
    return;
  }
  const bool indexed = !request.client_msg_no.empty();
  if (indexed) {
    // A retry is answered with the chunk it repeats, once that is durable: one not yet durable
    // is in this or an earlier batch (whose answers come first), an older one is in the store.
    std::optional<uint32_t> repeated;
    if (*state != nullptr) {
      if (auto it = (*state)->pending_chunks.find(request.client_msg_no);
          it != (*state)->pending_chunks.end()) {
        repeated = it->second;
      }
    }
    if (!repeated) {
      auto stored = store_.stream_chunk_seq(request.stream_no, request.client_msg_no);
      if (!stored.ok()) {
        done(stream_failed(stored.error()));
        return;
      }
      repeated = *stored;
    }
    if (repeated) {
      StreamResult r = answer_of(ended ? *ended : (*state)->record);
      r.client_msg_no = request.client_msg_no;
      r.chunk_seq = *repeated;
      r.duplicate = true;
      open(key).stream_ops.push_back(PendingStreamOp{std::move(done), std::move(r), nullptr, key});
      schedule_flush();
      return;
    }
  }
  if (ended) {
    done(stream_failed(Error::bad_request("stream_no " + request.stream_no + " is closed")));
    return;
  }
  StreamState& st = **state;
  store::StreamRecord& rec = st.record;
  if (rec.bytes + request.payload.size() > kMaxStreamBytes) {
    done(stream_failed(Error::too_large(
        "stream_no " + request.stream_no + " would hold more than " +
        std::to_string(kMaxStreamBytes >> 20) + " MiB: close it and open another")));
    return;
  }
  const uint32_t chunk_seq = ++rec.chunks;
  rec.bytes += request.payload.size();
  rec.updated_ms = unix_millis();
  if (!indexed) request.client_msg_no = generated_client_msg_no(ids_.next(), rng_());
  if (indexed) st.pending_chunks.emplace(request.client_msg_no, chunk_seq);

  auto event = stream_event(rec, kEventTextMessageContent);
  if (!request.event_json.empty()) {
    event->data = std::move(request.event_json);
  } else {
    JsonWriter w(event->data);
    w.begin_object()
        .field("stream_no", rec.stream_no)
        .field("chunk_seq", static_cast<uint64_t>(chunk_seq));
    w.key("payload");
    std::string encoded;
    base64_encode_to(request.payload, encoded);
    w.value(encoded).end_object();
  }
  open(key).writes.put_stream_chunk(
      rec.stream_no, chunk_seq, std::move(request.payload),
      indexed ? std::string_view(request.client_msg_no) : std::string_view());
  open(key).writes.put_stream(rec);
  StreamResult r = answer_of(rec);
  r.client_msg_no = std::move(request.client_msg_no);
  r.chunk_seq = chunk_seq;
  PendingStreamOp op{std::move(done), std::move(r), std::move(event), key};
  op.pending_chunk = indexed;
  open(key).stream_ops.push_back(std::move(op));
  schedule_flush();
}

void ChannelShard::close_stream(const ChannelKey& key, const std::string& stream_no,
                                store::StreamEnd reason, StreamCallback done) {
  std::optional<store::StreamRecord> ended;
  auto state = open_stream_state(key, stream_no, ended);
  if (!state.ok()) {
    done(stream_failed(state.error()));
    return;
  }
  if (ended) {
    StreamResult r = answer_of(*ended);
    r.client_msg_no = ended->client_msg_no;
    r.duplicate = true;
    if (streams_.contains(stream_no)) {
      // Its end is still being committed: answer after it.
      open(key).stream_ops.push_back(PendingStreamOp{std::move(done), std::move(r), nullptr, key});
      schedule_flush();
    } else {
      done(std::move(r));
    }
    return;
  }
  if (*state == nullptr) {
    done(stream_failed(unknown_stream(stream_no)));
    return;
  }
  store::StreamRecord& rec = (*state)->record;
  rec.ended = true;
  rec.end_reason = reason;
  rec.updated_ms = unix_millis();
  open(key).writes.put_stream(rec);
  auto event = stream_event(rec, kEventTextMessageEnd);
  JsonWriter w(event->data);
  w.begin_object()
      .field("stream_no", rec.stream_no)
      .field("end_reason", static_cast<uint64_t>(rec.end_reason))
      .end_object();
  StreamResult r = answer_of(rec);
  r.client_msg_no = rec.client_msg_no;
  open(key).stream_ops.push_back(
      PendingStreamOp{std::move(done), std::move(r), std::move(event), key, true});
  schedule_flush();
}

void ChannelShard::close_idle_streams(int64_t now_ms, int64_t idle_ms) {
  std::vector<std::pair<ChannelKey, std::string>> idle;
  for (const auto& [stream_no, st] : streams_) {
    if (!st->record.ended && now_ms - st->record.updated_ms >= idle_ms) {
      idle.emplace_back(st->record.channel, stream_no);
    }
  }
  for (auto& [key, stream_no] : idle) {
    close_stream(key, stream_no, store::StreamEnd::kTimeout, [](const StreamResult&) {});
  }
}

void ChannelShard::relay_event(const ChannelKey& key, ClientEvent event, StatusCallback done) {
  if (event.timestamp_ms == 0) event.timestamp_ms = unix_millis();
  // Through the open batch, so that it leaves after the chunks sent before it.
  open(key).stream_ops.push_back(
      PendingStreamOp{[done = std::move(done)](const StreamResult& r) { done(r.status); },
                      StreamResult{}, std::make_shared<const ClientEvent>(std::move(event)), key});
  schedule_flush();
}

void ChannelShard::add_start_events(
    const Message& anchor, const std::shared_ptr<const std::vector<std::string>>& recipients,
    std::vector<EventDelivery>& events) {
  if (!recipients) return;
  auto data_for = [&](std::string_view channel_id) {
    auto e = std::make_shared<ClientEvent>();
    e->id = anchor.client_msg_no;
    e->type = std::string(kEventTextMessageStart);
    e->timestamp_ms = unix_millis();
    JsonWriter w(e->data);
    w.begin_object()
        .field("stream_no", anchor.stream_no)
        .field("message_id", std::to_string(anchor.message_id))
        .field("message_seq", anchor.message_seq)
        .field("from_uid", anchor.from_uid)
        .field("channel_id", channel_id)
        .field("channel_type", static_cast<uint64_t>(anchor.channel.type))
        .end_object();
    return e;
  };
  if (!anchor.channel.is_person()) {
    events.push_back(EventDelivery{data_for(anchor.channel.id), recipients});
    return;
  }
  // Each party sees the other as the channel.
  auto [a, b] = person_parties(anchor.channel.id);
  for (std::string_view party : {a, b}) {
    const std::string_view peer = party == a ? b : a;
    events.push_back(
        EventDelivery{data_for(peer), std::make_shared<const std::vector<std::string>>(
                                          std::vector<std::string>{std::string(party)})});
    if (a == b) break;
  }
}

void ChannelShard::complete_stream_ops(Batch& batch, const Status& status,
                                       std::vector<EventDelivery>& events) {
  for (auto& op : batch.stream_ops) {
    if (op.pending_chunk) {
      if (auto it = streams_.find(op.result.stream_no); it != streams_.end()) {
        it->second->pending_chunks.erase(op.result.client_msg_no);
      }
    }
    if (op.ends) streams_.erase(op.result.stream_no);
  }
  if (!status.ok()) {
    // What the failed commit held is not in the store: read the streams again from there.
    for (auto& op : batch.stream_ops) streams_.erase(op.result.stream_no);
  }
  // A callback that throws does not keep the others from being answered; the first exception
  // is passed on at the end.
  std::exception_ptr failure;
  for (auto& op : batch.stream_ops) {
    try {
      if (!status.ok()) {
        op.done(stream_failed(status.error()));
        continue;
      }
      op.done(op.result);
    } catch (...) {
      if (!failure) failure = std::current_exception();
    }
    if (!status.ok() || !op.event || sink_ == nullptr) continue;
    ChannelState& st = state(op.channel);
    auto recipients = recipients_of(st, SendRequest{});
    if (!recipients.ok()) continue;  // the answer is given; the event is best effort
    events.push_back(EventDelivery{std::move(op.event), std::move(*recipients)});
  }
  if (failure) std::rethrow_exception(failure);
}

}  // namespace jindou::engine
