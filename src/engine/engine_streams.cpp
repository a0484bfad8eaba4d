// Engine: routing of stream operations to the shard of the stream's channel.
#include <stdexcept>

#include "engine/engine.h"
#include "model/clock.h"

namespace jindou::engine {
namespace {

// Streams whose channel is remembered without a store read; beyond it the cache starts over.
constexpr size_t kRememberedStreams = 100'000;

}  // namespace

void Engine::remember_stream(const std::string& stream_no, const ChannelKey& key) {
  std::lock_guard lock(streams_mu_);
  if (stream_channels_.size() >= kRememberedStreams) stream_channels_.clear();
  stream_channels_[stream_no] = key;
}

Result<std::optional<ChannelKey>> Engine::stream_channel(const std::string& stream_no) {
  {
    std::lock_guard lock(streams_mu_);
    if (auto it = stream_channels_.find(stream_no); it != stream_channels_.end()) {
      return std::optional<ChannelKey>(it->second);
    }
  }
  auto record = store_.stream(stream_no);
  if (!record.ok()) return record.error();
  if (!record->has_value()) return std::optional<ChannelKey>();
  remember_stream(stream_no, (*record)->channel);
  return std::optional<ChannelKey>((*record)->channel);
}

void Engine::adopt_open_streams() {
  auto open = store_.open_streams();
  if (!open.ok()) throw std::runtime_error("cannot read the open streams: " + open.error().message);
  for (const auto& stream_no : *open) {
    auto record = store_.stream(stream_no);
    if (!record.ok()) throw std::runtime_error(record.error().message);
    if (!record->has_value()) continue;
    remember_stream(stream_no, (*record)->channel);
    ChannelShard& shard = shard_for((*record)->channel);
    shard.executor().post(
        [&shard, r = std::move(**record)]() mutable { shard.adopt_stream(std::move(r)); });
  }
}

void Engine::open_stream(SendRequest request, SendCallback done) {
  request.open_stream = true;
  if (request.stream_no.empty()) request.stream_no = "st" + std::to_string(ids_.next());
  const std::string_view self =
      request.from_uid.empty() ? kSystemUid : std::string_view(request.from_uid);
  ChannelKey key = stored_channel(request.channel_id, request.channel_type, self);
  std::string name = request.stream_no;
  {
    // Two opens of one name at once (possible only for names the caller gives) would both pass
    // the shards' checks when their channels differ: the second is refused.
    std::lock_guard lock(streams_mu_);
    if (!opening_.insert(name).second) {
      SendResult r;
      r.status = Error::bad_request("client_msg_no " + name +
                                    " is opening a stream already: retry when it is answered");
      done(std::move(r));
      return;
    }
  }
  send(std::move(request),
       [this, key = std::move(key), name = std::move(name), done = std::move(done)](SendResult r) {
         {
           std::lock_guard lock(streams_mu_);
           opening_.erase(name);
         }
         // Chunks are routed to the stream only once it exists.
         if (r.status.ok() && !r.stream_no.empty()) remember_stream(r.stream_no, key);
         done(std::move(r));
       });
}

void Engine::append_chunk(ChunkRequest request, StreamCallback done) {
  auto key = stream_channel(request.stream_no);
  if (!key.ok() || !key->has_value()) {
    StreamResult r;
    r.status = key.ok() ? Error::not_found("stream_no " + request.stream_no + " is not a stream")
                        : key.error();
    done(std::move(r));
    return;
  }
  if (routed(**key)) {
    router_->append_chunk(**key, std::move(request), std::move(done));
    return;
  }
  ChannelShard& shard = shard_for(**key);
  shard.executor().post([&shard, key = std::move(**key), request = std::move(request),
                         done = std::move(done)]() mutable {
    shard.append_chunk(key, std::move(request), std::move(done));
  });
}

void Engine::close_stream(std::string stream_no, store::StreamEnd reason, StreamCallback done) {
  auto key = stream_channel(stream_no);
  if (!key.ok() || !key->has_value()) {
    StreamResult r;
    r.status =
        key.ok() ? Error::not_found("stream_no " + stream_no + " is not a stream") : key.error();
    done(std::move(r));
    return;
  }
  if (routed(**key)) {
    router_->close_stream(**key, std::move(stream_no), reason, std::move(done));
    return;
  }
  ChannelShard& shard = shard_for(**key);
  shard.executor().post([&shard, key = std::move(**key), stream_no = std::move(stream_no), reason,
                         done = std::move(done)]() mutable {
    shard.close_stream(key, stream_no, reason, std::move(done));
  });
}

void Engine::close_idle_streams(int64_t idle_ms) {
  const int64_t now = unix_millis();
  for (auto& shard : shards_) {
    ChannelShard* s = shard.get();
    s->executor().post([s, now, idle_ms] { s->close_idle_streams(now, idle_ms); });
  }
}

void Engine::relay_event(const std::string& channel_id, uint8_t channel_type,
                         const std::string& from_uid, ClientEvent event, StatusCallback done) {
  const std::string_view self = from_uid.empty() ? kSystemUid : std::string_view(from_uid);
  ChannelKey key = stored_channel(channel_id, channel_type, self);
  if (routed(key)) {
    router_->relay_event(channel_id, channel_type, from_uid, std::move(event), std::move(done));
    return;
  }
  ChannelShard& shard = shard_for(key);
  shard.executor().post(
      [&shard, key = std::move(key), event = std::move(event), done = std::move(done)]() mutable {
        shard.relay_event(key, std::move(event), std::move(done));
      });
}

}  // namespace jindou::engine
