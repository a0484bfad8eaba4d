#include "engine/engine.h"

#include <algorithm>
#include <atomic>
#include <stdexcept>

#include "store/write_set.h"

namespace jindou::engine {

Engine::Engine(EngineOptions options, store::Store& store,
               std::vector<runtime::Executor*> executors, uint16_t node_id, DeliverySink* sink)
    : Engine(options, store, std::make_unique<runtime::ExecutorGroup>(std::move(executors)),
             nullptr, node_id, sink) {}

Engine::Engine(EngineOptions options, store::Store& store, runtime::ExecutorGroup& executors,
               uint16_t node_id, DeliverySink* sink)
    : Engine(options, store, nullptr, &executors, node_id, sink) {}

Engine::Engine(EngineOptions options, store::Store& store,
               std::unique_ptr<runtime::ExecutorGroup> own, runtime::ExecutorGroup* given,
               uint16_t node_id, DeliverySink* sink)
    : options_(options),
      store_(store),
      ids_(node_id),
      settings_(store, options.max_cached_settings),
      own_executors_(std::move(own)),
      executors_(given != nullptr ? *given : *own_executors_),
      fanout_(presence_, executors_),
      reader_(store),
      conversations_(store) {
  if (executors_.size() == 0) throw std::invalid_argument("the engine needs at least one executor");
  auto max_id = store_.max_message_id();
  if (!max_id.ok()) throw std::runtime_error(max_id.error().message);
  ids_.advance_past(*max_id);
  context_.presence = &presence_;
  context_.disk_read_rounds = &disk_read_rounds_;
  for (size_t i = 0; i < executors_.size(); ++i) {
    shards_.push_back(std::make_unique<ChannelShard>(i, executors_[i], store_, ids_, settings_,
                                                     options_, sink != nullptr ? sink : &fanout_,
                                                     context_));
  }
  adopt_open_streams();
}

thread_local bool Engine::decide_here_ = false;

void Engine::forget_channel_state(std::function<void()> done) {
  settings_.clear();
  auto remaining = std::make_shared<std::atomic<size_t>>(shards_.size());
  auto shared_done = std::make_shared<std::function<void()>>(std::move(done));
  for (auto& shard : shards_) {
    ChannelShard* s = shard.get();
    s->executor().post([this, s, remaining, shared_done] {
      s->forget_channel_state();
      // Counted a turn later: a send decided earlier in this turn on the state just dropped is
      // committed (and refused) at the end of this turn, before `done` can run.
      s->executor().post([this, remaining, shared_done] {
        if (remaining->fetch_sub(1, std::memory_order_acq_rel) == 1) {
          settings_.clear();  // again: a read between the first clear and the shards' may refill
          (*shared_done)();
        }
      });
    });
  }
}

size_t Engine::shard_index(const ChannelKey& key) const {
  return ChannelKeyHash{}(key) % shards_.size();
}

ChannelShard& Engine::shard_for(const ChannelKey& key) {
  return *shards_[shard_index(key)];
}

ChannelShard& Engine::shard_for_user(const std::string& uid) {
  return shard_for(ChannelKey{uid, kChannelPerson});
}

void Engine::send(SendRequest request, SendCallback done) {
  if (request.channel_id.empty()) {
    // Temporary-channel send: only `subscribers`, nothing stored; any shard will do.
    const size_t index = std::hash<std::string>{}(request.from_uid) % shards_.size();
    ChannelShard& shard = *shards_[index];
    executors_.post(index,
                    [&shard, request = std::move(request), done = std::move(done)]() mutable {
                      shard.send_unstored(std::move(request), done);
                    });
    return;
  }
  const std::string_view self =
      request.from_uid.empty() ? kSystemUid : std::string_view(request.from_uid);
  ChannelKey key = stored_channel(request.channel_id, request.channel_type, self);
  if (routed(key)) {
    router_->send(std::move(request), std::move(done));
    return;
  }
  const size_t index = shard_index(key);
  ChannelShard& shard = *shards_[index];
  executors_.post(index, [&shard, key = std::move(key), request = std::move(request),
                          done = std::move(done)]() mutable {
    shard.send(key, std::move(request), std::move(done));
  });
}

void Engine::send_batch(std::vector<SendRequest> requests,
                        std::function<void(std::vector<SendResult>)> done) {
  struct Gather {
    std::vector<SendResult> results;
    std::atomic<size_t> remaining;
    std::function<void(std::vector<SendResult>)> done;
  };
  if (requests.empty()) {
    done({});
    return;
  }
  auto gather = std::make_shared<Gather>();
  gather->results.resize(requests.size());
  gather->remaining = requests.size();
  gather->done = std::move(done);
  for (size_t i = 0; i < requests.size(); ++i) {
    send(std::move(requests[i]), [gather, i](SendResult r) {
      gather->results[i] = std::move(r);
      if (gather->remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        gather->done(std::move(gather->results));
      }
    });
  }
}

void Engine::change_channel(const ChannelKey& key, std::optional<ChannelInfo> info,
                            std::optional<MemberChange> members, StatusCallback done) {
  if (routed(key)) {
    router_->change_channel(key, info, std::move(members), std::move(done));
    return;
  }
  ChannelShard& shard = shard_for(key);
  shard.executor().post(
      [&shard, key, info, members = std::move(members), done = std::move(done)]() mutable {
        shard.change_channel(key, info, std::move(members), std::move(done));
      });
}

void Engine::disband_channel(const ChannelKey& key, StatusCallback done) {
  if (routed(key)) {
    router_->disband_channel(key, std::move(done));
    return;
  }
  ChannelShard& shard = shard_for(key);
  shard.executor().post([&shard, key, done = std::move(done)]() mutable {
    shard.disband_channel(key, std::move(done));
  });
}

Result<std::optional<ChannelInfo>> Engine::channel_info(const ChannelKey& key) {
  return store_.channel_info(key);
}

Result<std::vector<std::string>> Engine::members(const ChannelKey& key, MemberRole role) {
  return store_.members(key, role);
}

void Engine::set_user_token(const std::string& uid, uint8_t device_flag,
                            const store::UserToken& token, StatusCallback done) {
  if (routed(ChannelKey{uid, kChannelPerson})) {
    router_->set_user_token(uid, device_flag, token, std::move(done));
    return;
  }
  store::WriteSet ws;
  ws.put_user_token(uid, device_flag, token);
  ChannelShard& shard = shard_for_user(uid);
  shard.executor().post([&shard, uid, ws = std::move(ws), done = std::move(done)]() mutable {
    shard.commit_writes(ChannelKey{uid, kChannelPerson}, std::move(ws), std::move(done));
  });
}

void Engine::clear_user_tokens(const std::string& uid, const std::vector<uint8_t>& device_flags,
                               StatusCallback done) {
  if (routed(ChannelKey{uid, kChannelPerson})) {
    router_->clear_user_tokens(uid, device_flags, std::move(done));
    return;
  }
  store::WriteSet ws;
  for (uint8_t flag : device_flags) ws.delete_user_token(uid, flag);
  ChannelShard& shard = shard_for_user(uid);
  shard.executor().post([&shard, uid, ws = std::move(ws), done = std::move(done)]() mutable {
    shard.commit_writes(ChannelKey{uid, kChannelPerson}, std::move(ws), std::move(done));
  });
}

Result<std::optional<store::UserToken>> Engine::user_token(const std::string& uid,
                                                           uint8_t device_flag) {
  return store_.user_token(uid, device_flag);
}

size_t Engine::kick(const std::string& uid, const std::vector<uint8_t>& device_flags,
                    ReasonCode reason, const std::string& text, bool quietly,
                    std::chrono::milliseconds close_after) {
  size_t n = 0;
  for (const auto& l : presence_.links_of(uid)) {
    if (!device_flags.empty() && std::find(device_flags.begin(), device_flags.end(),
                                           l.info.device_flag) == device_flags.end()) {
      continue;
    }
    ++n;
    post(l.info.executor, [link = l.link, reason, text, quietly, close_after] {
      link->kick(reason, text, quietly, close_after);
    });
  }
  return n;
}

void Engine::clear_unread(const std::string& uid, const std::string& channel_id,
                          uint8_t channel_type, uint64_t message_seq, StatusCallback done) {
  ChannelKey key = stored_channel(channel_id, channel_type, uid);
  if (routed(key)) {
    router_->clear_unread(uid, channel_id, channel_type, message_seq, std::move(done));
    return;
  }
  ChannelShard& shard = shard_for(key);
  shard.executor().post(
      [&shard, uid, key = std::move(key), message_seq, done = std::move(done)]() mutable {
        shard.clear_unread(uid, key, message_seq, std::move(done));
      });
}

void Engine::set_unread(const std::string& uid, const std::string& channel_id, uint8_t channel_type,
                        uint64_t unread, StatusCallback done) {
  ChannelKey key = stored_channel(channel_id, channel_type, uid);
  if (routed(key)) {
    router_->set_unread(uid, channel_id, channel_type, unread, std::move(done));
    return;
  }
  ChannelShard& shard = shard_for(key);
  shard.executor().post(
      [&shard, uid, key = std::move(key), unread, done = std::move(done)]() mutable {
        shard.set_unread(uid, key, unread, std::move(done));
      });
}

void Engine::delete_conversation(const std::string& uid, const std::string& channel_id,
                                 uint8_t channel_type, StatusCallback done) {
  ChannelKey key = stored_channel(channel_id, channel_type, uid);
  if (routed(key)) {
    router_->delete_conversation(uid, channel_id, channel_type, std::move(done));
    return;
  }
  ChannelShard& shard = shard_for(key);
  shard.executor().post([&shard, uid, key = std::move(key), done = std::move(done)]() mutable {
    shard.delete_conversation(uid, key, std::move(done));
  });
}

Result<std::vector<Message>> Engine::sync_once_messages(const std::string& uid, size_t limit) {
  auto entries = store_.sync_queue(uid, limit);
  if (!entries.ok()) return entries.error();
  std::vector<Message> out;
  size_t bytes = 0;
  for (const auto& e : *entries) {
    if (!out.empty() && bytes >= MessageReader::kMaxReadBytes) break;  // the rest next time
    auto m = store_.message(e.channel, e.seq);
    if (!m.ok()) return m.error();
    if (!m->has_value()) continue;  // expired
    bytes += (*m)->payload.size();
    out.push_back(std::move(**m));
  }
  return out;
}

void Engine::ack_sync_once(const std::string& uid, uint64_t last_message_seq, StatusCallback done) {
  if (routed(ChannelKey{uid, kChannelPerson})) {
    router_->ack_sync_once(uid, last_message_seq, std::move(done));
    return;
  }
  ChannelShard& shard = shard_for_user(uid);
  shard.executor().post([this, &shard, uid, last_message_seq, done = std::move(done)]() mutable {
    constexpr size_t kAckWindow = 10000;
    auto entries = store_.sync_queue(uid, kAckWindow);
    if (!entries.ok()) {
      done(entries.error());
      return;
    }
    for (const auto& e : *entries) {
      if (e.seq == last_message_seq) {
        store::WriteSet ws;
        ws.delete_sync_queue_through(uid, e.position);
        shard.commit_writes(ChannelKey{uid, kChannelPerson}, std::move(ws), std::move(done));
        return;
      }
    }
    done(Status{});
  });
}

}  // namespace jindou::engine
