#include "cluster/router.h"

#include <spdlog/spdlog.h>

namespace jindou::cluster {

namespace {

constexpr auto kCallTimeout = std::chrono::seconds(3);

// Worth another attempt: nothing was stored (moved), or the outcome is unknown (503). Every
// call is safe to repeat: sends and chunks carry a client_msg_no the owner finds again, and the
// other writes set a state rather than add to one.
bool retryable(std::string_view answer) {
  WireReader r(answer);
  Status s = take_status(r);
  return !s.ok() && (s.error().moved || s.error().status == 503);
}

template <class Result, class Put>
std::function<void(Result)> encoder(std::function<void(std::string)> answer, Put put) {
  return [answer = std::move(answer), put](Result r) {
    std::string out;
    WireWriter w(out);
    put(w, r);
    answer(std::move(out));
  };
}

std::function<void(Status)> status_encoder(std::function<void(std::string)> answer) {
  return [answer = std::move(answer)](const Status& s) {
    std::string out;
    WireWriter w(out);
    put_status(w, s);
    answer(std::move(out));
  };
}

}  // namespace

ClusterRouter::ClusterRouter(NatsLink& link, PartitionLogs& logs, Membership& membership,
                             const Slots& slots, Writer self,
                             std::chrono::milliseconds write_timeout)
    : link_(link),
      logs_(logs),
      membership_(membership),
      slots_(slots),
      self_(self),
      write_timeout_(write_timeout) {}

Status ClusterRouter::start() {
  auto sub = link_.subscribe("jd.call." + std::to_string(self_.node),
                             [this](const NatsMessage& m) { on_call(m); });
  if (!sub.ok()) return sub.error();
  return Status{};
}

void ClusterRouter::stop() {
  stopping_ = true;
  std::multimap<std::chrono::steady_clock::time_point, std::shared_ptr<Call>> waiting;
  {
    std::lock_guard lock(mu_);
    waiting.swap(later_);
  }
  for (auto& [when, call] : waiting) {
    call->answer(error_answer(Error::unavailable("the server is shutting down")));
  }
}

bool ClusterRouter::decides_here(const ChannelKey&) {
  // Every write comes through dispatch(), which runs it here when this node owns it.
  return false;
}

std::string ClusterRouter::error_answer(const Error& e) {
  std::string out;
  WireWriter w(out);
  put_status(w, Status(e));
  return out;
}

void ClusterRouter::dispatch(const std::shared_ptr<Call>& call) {
  const auto now = std::chrono::steady_clock::now();
  if (logs_.ready(call->partition)) {
    run_here(call->body, [this, call](std::string answer) {
      if (retryable(answer)) {
        retry_later(call, "the owner changed or did not answer");
      } else {
        call->answer(std::move(answer));
      }
    });
    return;
  }
  const uint16_t owner = logs_.owner(call->partition);
  if (owner == 0 || owner == self_.node || !membership_.live(owner, 0, now)) {
    retry_later(call, owner == 0 ? "no node owns it yet" : "its owner is not reachable");
    return;
  }
  ++forwarded_;
  std::string request;
  WireWriter(request).u64(call->partition);
  request += call->body;
  link_.request("jd.call." + std::to_string(owner), request, {}, kCallTimeout,
                [this, call, owner](Result<NatsMessage> r) {
                  if (!r.ok()) {
                    retry_later(call, "node " + std::to_string(owner) + ": " + r.error().message);
                  } else if (retryable(r->data)) {
                    retry_later(call, "node " + std::to_string(owner) + " no longer owns it");
                  } else {
                    call->answer(std::move(r->data));
                  }
                });
}

void ClusterRouter::retry_later(std::shared_ptr<Call> call, const std::string& why) {
  const auto now = std::chrono::steady_clock::now();
  if (stopping_) {
    call->answer(error_answer(Error::unavailable("the server is shutting down")));
    return;
  }
  if (now >= call->deadline) {
    call->answer(error_answer(Error::unavailable(
        "the cluster could not take this write in time (partition " +
        std::to_string(call->partition) + ": " + why + "); retry")));
    return;
  }
  ++retried_;
  const int attempt = std::min(call->attempts++, 4);
  const auto delay = std::chrono::milliseconds(25 << attempt);
  std::lock_guard lock(mu_);
  later_.emplace(now + delay, std::move(call));
}

void ClusterRouter::tick(std::chrono::steady_clock::time_point now) {
  std::vector<std::shared_ptr<Call>> due;
  {
    std::lock_guard lock(mu_);
    while (!later_.empty() && later_.begin()->first <= now) {
      due.push_back(std::move(later_.begin()->second));
      later_.erase(later_.begin());
    }
  }
  for (auto& call : due) dispatch(call);
}

void ClusterRouter::on_call(const NatsMessage& m) {
  if (m.reply.empty()) return;
  WireReader r(m.data);
  const auto partition = static_cast<uint32_t>(r.u64());
  if (!r.ok()) return;
  // The body follows the partition's varint.
  std::string prefix;
  WireWriter(prefix).u64(partition);
  std::string body = m.data.substr(prefix.size());
  auto reply = [this, to = m.reply](const std::string& answer) {
    (void)link_.publish(to, answer);
  };
  if (!logs_.ready(partition)) {
    Error e = Error::unavailable("node " + std::to_string(self_.node) + " does not own partition " +
                                 std::to_string(partition));
    e.moved = true;
    reply(error_answer(e));
    return;
  }
  run_here(body, std::move(reply));
}

void ClusterRouter::run_here(std::string_view body, std::function<void(std::string)> answer) {
  WireReader r(body);
  const auto call = static_cast<cluster::Call>(r.u8());
  engine::Engine::DecideHere here;
  auto bad = [&answer] { answer(error_answer(Error::bad_request("malformed cluster call"))); };
  switch (call) {
    case cluster::Call::kSend: {
      auto request = take_send_request(r);
      if (!r.done()) return bad();
      engine_->send(std::move(request),
                    encoder<engine::SendResult>(std::move(answer), put_send_result));
      return;
    }
    case cluster::Call::kAppendChunk: {
      auto request = take_chunk_request(r);
      if (!r.done()) return bad();
      engine_->append_chunk(std::move(request),
                            encoder<engine::StreamResult>(std::move(answer), put_stream_result));
      return;
    }
    case cluster::Call::kCloseStream: {
      std::string stream_no = r.str();
      const auto reason = static_cast<store::StreamEnd>(r.u8() % 3);
      if (!r.done()) return bad();
      engine_->close_stream(std::move(stream_no), reason,
                            encoder<engine::StreamResult>(std::move(answer), put_stream_result));
      return;
    }
    case cluster::Call::kRelayEvent: {
      std::string channel_id = r.str();
      const uint8_t type = r.u8();
      std::string from_uid = r.str();
      auto event = take_event(r);
      if (!r.done()) return bad();
      engine_->relay_event(channel_id, type, from_uid, std::move(event),
                           status_encoder(std::move(answer)));
      return;
    }
    case cluster::Call::kChangeChannel: {
      ChannelKey key = r.channel();
      auto info = take_channel_info(r);
      auto members = take_member_change(r);
      if (!r.done()) return bad();
      engine_->change_channel(key, info, std::move(members), status_encoder(std::move(answer)));
      return;
    }
    case cluster::Call::kDisbandChannel: {
      ChannelKey key = r.channel();
      if (!r.done()) return bad();
      engine_->disband_channel(key, status_encoder(std::move(answer)));
      return;
    }
    case cluster::Call::kSetUserToken: {
      std::string uid = r.str();
      const uint8_t flag = r.u8();
      store::UserToken token;
      token.token = r.str();
      token.device_level = r.u8();
      if (!r.done()) return bad();
      engine_->set_user_token(uid, flag, token, status_encoder(std::move(answer)));
      return;
    }
    case cluster::Call::kClearUserTokens: {
      std::string uid = r.str();
      std::string flags = r.str();
      if (!r.done()) return bad();
      engine_->clear_user_tokens(uid, std::vector<uint8_t>(flags.begin(), flags.end()),
                                 status_encoder(std::move(answer)));
      return;
    }
    case cluster::Call::kClearUnread:
    case cluster::Call::kSetUnread:
    case cluster::Call::kDeleteConversation: {
      std::string uid = r.str();
      std::string channel_id = r.str();
      const uint8_t type = r.u8();
      const uint64_t value = r.u64();
      if (!r.done()) return bad();
      if (call == cluster::Call::kClearUnread) {
        engine_->clear_unread(uid, channel_id, type, value, status_encoder(std::move(answer)));
      } else if (call == cluster::Call::kSetUnread) {
        engine_->set_unread(uid, channel_id, type, value, status_encoder(std::move(answer)));
      } else {
        engine_->delete_conversation(uid, channel_id, type, status_encoder(std::move(answer)));
      }
      return;
    }
    case cluster::Call::kAckSyncOnce: {
      std::string uid = r.str();
      const uint64_t seq = r.u64();
      if (!r.done()) return bad();
      engine_->ack_sync_once(uid, seq, status_encoder(std::move(answer)));
      return;
    }
  }
  bad();
}

// --- The engine's writes ---------------------------------------------------------------------

void ClusterRouter::send(engine::SendRequest request, SendDone done) {
  if (request.client_msg_no.empty()) {
    // Retries must find the first attempt: a send always has a key.
    request.client_msg_no = "jd" + std::to_string(self_.node) + "x" +
                            std::to_string(self_.boot) + "x" + std::to_string(++next_client_no_);
  }
  const std::string_view self =
      request.from_uid.empty() ? kSystemUid : std::string_view(request.from_uid);
  const ChannelKey key = stored_channel(request.channel_id, request.channel_type, self);
  auto call = std::make_shared<Call>();
  call->partition = slots_.partition(key);
  WireWriter w(call->body);
  w.u8(static_cast<uint8_t>(cluster::Call::kSend));
  put_send_request(w, request);
  call->answer = [done = std::move(done)](const std::string& answer) {
    WireReader r(answer);
    done(take_send_result(r));
  };
  call->deadline = std::chrono::steady_clock::now() + write_timeout_;
  dispatch(call);
}

namespace {

std::function<void(std::string)> stream_answer(engine::WriteRouter::StreamDone done) {
  return [done = std::move(done)](const std::string& answer) {
    WireReader r(answer);
    done(take_stream_result(r));
  };
}

std::function<void(std::string)> status_answer(engine::WriteRouter::StatusDone done) {
  return [done = std::move(done)](const std::string& answer) {
    WireReader r(answer);
    done(take_status(r));
  };
}

}  // namespace

#define JINDOU_CALL(key_expr, kind, answer_expr, ...)                                \
  do {                                                                               \
    auto call = std::make_shared<Call>();                                            \
    call->partition = slots_.partition(key_expr);                                    \
    WireWriter w(call->body);                                                        \
    w.u8(static_cast<uint8_t>(cluster::Call::kind));                                 \
    __VA_ARGS__;                                                                     \
    call->answer = answer_expr;                                                      \
    call->deadline = std::chrono::steady_clock::now() + write_timeout_;              \
    dispatch(call);                                                                  \
  } while (false)

void ClusterRouter::append_chunk(const ChannelKey& key, engine::ChunkRequest request,
                                 StreamDone done) {
  if (request.client_msg_no.empty()) {
    request.client_msg_no = "jd" + std::to_string(self_.node) + "x" +
                            std::to_string(self_.boot) + "x" + std::to_string(++next_client_no_);
  }
  JINDOU_CALL(key, kAppendChunk, stream_answer(std::move(done)), put_chunk_request(w, request));
}

void ClusterRouter::close_stream(const ChannelKey& key, std::string stream_no,
                                 store::StreamEnd reason, StreamDone done) {
  JINDOU_CALL(key, kCloseStream, stream_answer(std::move(done)),
              w.str(stream_no).u8(static_cast<uint8_t>(reason)));
}

void ClusterRouter::relay_event(const std::string& channel_id, uint8_t channel_type,
                                const std::string& from_uid, engine::ClientEvent event,
                                StatusDone done) {
  const std::string_view self = from_uid.empty() ? kSystemUid : std::string_view(from_uid);
  const ChannelKey key = stored_channel(channel_id, channel_type, self);
  JINDOU_CALL(key, kRelayEvent, status_answer(std::move(done)),
              w.str(channel_id).u8(channel_type).str(from_uid);
              put_event(w, event));
}

void ClusterRouter::change_channel(const ChannelKey& key, std::optional<ChannelInfo> info,
                                   std::optional<engine::MemberChange> members, StatusDone done) {
  JINDOU_CALL(key, kChangeChannel, status_answer(std::move(done)), w.channel(key);
              put_channel_info(w, info); put_member_change(w, members));
}

void ClusterRouter::disband_channel(const ChannelKey& key, StatusDone done) {
  JINDOU_CALL(key, kDisbandChannel, status_answer(std::move(done)), w.channel(key));
}

void ClusterRouter::set_user_token(const std::string& uid, uint8_t device_flag,
                                   const store::UserToken& token, StatusDone done) {
  JINDOU_CALL((ChannelKey{uid, kChannelPerson}), kSetUserToken, status_answer(std::move(done)),
              w.str(uid).u8(device_flag).str(token.token).u8(token.device_level));
}

void ClusterRouter::clear_user_tokens(const std::string& uid,
                                      const std::vector<uint8_t>& device_flags, StatusDone done) {
  JINDOU_CALL((ChannelKey{uid, kChannelPerson}), kClearUserTokens, status_answer(std::move(done)),
              w.str(uid).str(std::string(device_flags.begin(), device_flags.end())));
}

void ClusterRouter::clear_unread(const std::string& uid, const std::string& channel_id,
                                 uint8_t channel_type, uint64_t message_seq, StatusDone done) {
  JINDOU_CALL(stored_channel(channel_id, channel_type, uid), kClearUnread,
              status_answer(std::move(done)),
              w.str(uid).str(channel_id).u8(channel_type).u64(message_seq));
}

void ClusterRouter::set_unread(const std::string& uid, const std::string& channel_id,
                               uint8_t channel_type, uint64_t unread, StatusDone done) {
  JINDOU_CALL(stored_channel(channel_id, channel_type, uid), kSetUnread,
              status_answer(std::move(done)),
              w.str(uid).str(channel_id).u8(channel_type).u64(unread));
}

void ClusterRouter::delete_conversation(const std::string& uid, const std::string& channel_id,
                                        uint8_t channel_type, StatusDone done) {
  JINDOU_CALL(stored_channel(channel_id, channel_type, uid), kDeleteConversation,
              status_answer(std::move(done)), w.str(uid).str(channel_id).u8(channel_type).u64(0));
}

void ClusterRouter::ack_sync_once(const std::string& uid, uint64_t last_message_seq,
                                  StatusDone done) {
  JINDOU_CALL((ChannelKey{uid, kChannelPerson}), kAckSyncOnce, status_answer(std::move(done)),
              w.str(uid).u64(last_message_seq));
}

#undef JINDOU_CALL

}  // namespace jindou::cluster
