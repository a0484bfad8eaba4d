#include "gateway/client_connection.h"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include <algorithm>

#include "gateway/gateway.h"

namespace jindou::gateway {

namespace asio = boost::asio;

ClientConnection::ClientConnection(Gateway& gateway, asio::io_context& context, size_t executor,
                                   uint64_t id, std::string transport, std::string remote,
                                   bool accept_proxy)
    : context_(context),
      gateway_(gateway),
      decoder_(proto::DecoderOptions{proto::Side::kServer, proto::kLatestVersion, accept_proxy}) {
  info_.id = id;
  info_.executor = executor;
  info_.transport = std::move(transport);
  info_.remote = std::move(remote);
}

ClientConnection::~ClientConnection() = default;

void ClientConnection::start() {
  gateway_.counters().connections_accepted.add();
  start_reading();
}

void ClientConnection::on_bytes(const char* data, size_t n) {
  if (state_ == State::kClosed) return;
  last_inbound_ = Clock::now();
  gateway_.counters().in_bytes.add(n);
  if (state_ == State::kClosing) return;  // nothing is processed after a refusal or kick
  decoder_.append(data, n);
  handle_input();
}

void ClientConnection::handle_input() {
  const size_t max_inflight = gateway_.options().max_inflight_sends;
  while (acks_.size() < max_inflight) {
    auto r = decoder_.next(packet_);
    if (r.need_more()) break;
    if (r.failed()) {
      gateway_.counters().protocol_errors.add();
      close("protocol error: " + r.error);
      return;
    }
    if (!proxy_applied_ && decoder_.proxy_header()) {
      // A trusted load balancer's PROXY header names the real client (before CONNECT).
      proxy_applied_ = true;
      const auto& p = *decoder_.proxy_header();
      if (p.has_address) info_.remote = p.source_ip + ":" + std::to_string(p.source_port);
    }
    gateway_.counters().in_packets.add();
    handle(packet_);
    if (state_ == State::kClosed || state_ == State::kClosing) break;
  }
}

void ClientConnection::handle(proto::Packet& packet) {
  if (state_ == State::kPreAuth) {
    if (auto* connect = std::get_if<proto::Connect>(&packet)) return handle_connect(*connect);
    gateway_.counters().protocol_errors.add();
    return close(std::string("the first packet must be CONNECT, got ") +
                 std::string(proto::packet_name(proto::type_of(packet))));
  }
  switch (proto::type_of(packet)) {
    case proto::PacketType::kSend:
      return handle_send(std::get<proto::Send>(packet));
    case proto::PacketType::kRecvack:
      return handle_recvack(std::get<proto::Recvack>(packet));
    case proto::PacketType::kPing: {
      std::string pong;
      proto::encode(proto::Pong{}, info_.version, pong);
      queue_packet(std::move(pong));
      return;
    }
    case proto::PacketType::kDisconnect:
      return close("the client sent DISCONNECT");
    default:
      // A second CONNECT, SUB, and server-to-client types are ignored.
      return;
  }
}

void ClientConnection::handle_recvack(const proto::Recvack& ack) {
  if (unacked_live_ == 0 || recvack_allowance_ == 0) return;  // e.g. acks of no_persist RECVs
  --recvack_allowance_;
  for (auto& u : unacked_) {  // usually the first live entry
    if (u.message && u.message_id == ack.message_id) {
      forget_unacked(u);
      u.message.reset();
      break;
    }
  }
  while (!unacked_.empty() && !unacked_.front().message) unacked_.pop_front();
}

// --- sending ---------------------------------------------------------------------------------

void ClientConnection::answer_send(uint8_t flags, uint32_t client_seq, ReasonCode reason) {
  proto::Sendack ack;
  ack.flags = flags;
  ack.client_seq = client_seq;
  ack.reason_code = reason;
  acks_.push_back(AckSlot{flags, client_seq, true, 0, 0, reason});
  complete_ack(ack_base_ + acks_.size() - 1, engine::SendResult{});
}

void ClientConnection::handle_send(proto::Send& send) {
  gateway_.counters().client_sends.add();
  const uint8_t flags = send.flags & proto::kFlagMask;
  if (send.legacy_stream) return answer_send(flags, send.client_seq, ReasonCode::kNotSupportHeader);
  std::string payload;
  if (crypto_) {
    auto plain = crypto_->open_send(send);
    if (!plain) return answer_send(flags, send.client_seq, ReasonCode::kPayloadDecodeError);
    payload = std::move(*plain);
  } else {
    payload = std::move(send.payload);
  }
  if (payload.size() > gateway_.options().max_payload_bytes) {
    return answer_send(flags, send.client_seq, ReasonCode::kNotAllowSend);
  }
  if (send.channel_type == 0 || send.channel_type > kChannelAgentGroup) {
    return answer_send(flags, send.client_seq, ReasonCode::kNotSupportChannelType);
  }
  // A person channel is addressed by the peer's uid; a derived `a@b` id would reach into
  // someone else's conversation.
  if (send.channel_id.empty() || (send.channel_type == kChannelPerson &&
                                  send.channel_id.find_first_of("@#&") != std::string::npos)) {
    return answer_send(flags, send.client_seq, ReasonCode::kChannelIdError);
  }
  engine::SendRequest request;
  request.origin = {engine::SendOrigin::Kind::kClient, info_.id};
  request.from_uid = info_.uid;
  request.channel_id = std::move(send.channel_id);
  request.channel_type = send.channel_type;
  request.header = MessageHeader::from_flags(flags);
  request.setting = static_cast<uint8_t>(send.setting & ~(kSettingStream | kSettingLegacyStream));
  request.client_msg_no = std::move(send.client_msg_no);
  request.expire = send.expire;
  request.topic = std::move(send.topic);
  request.payload = std::move(payload);

  acks_.push_back(AckSlot{flags, send.client_seq, false, 0, 0, ReasonCode::kSuccess});
  const uint64_t slot = ack_base_ + acks_.size() - 1;
  std::weak_ptr<ClientConnection> weak = shared_from_this();
  engine::Engine& engine = gateway_.engine();
  const size_t executor = info_.executor;
  engine.send(std::move(request), [weak, slot, &engine, executor](engine::SendResult result) {
    engine.post(executor, [weak, slot, result = std::move(result)] {
      if (auto self = weak.lock()) self->complete_ack(slot, result);
    });
  });
}

void ClientConnection::complete_ack(uint64_t slot, const engine::SendResult& result) {
  if (state_ == State::kClosed || slot < ack_base_ || slot - ack_base_ >= acks_.size()) return;
  AckSlot& s = acks_[slot - ack_base_];
  if (!s.ready) {
    s.ready = true;
    if (result.status.ok()) {
      s.message_id = result.message_id;
      s.message_seq = static_cast<uint32_t>(result.message_seq);
      s.reason = ReasonCode::kSuccess;
    } else {
      s.reason = result.status.error().reason == ReasonCode::kUnknown
                     ? ReasonCode::kSystemError
                     : result.status.error().reason;
    }
  }
  // SENDACKs leave in the order of their SENDs.
  while (!acks_.empty() && acks_.front().ready) {
    const AckSlot& a = acks_.front();
    std::string out;
    proto::encode(proto::Sendack{a.flags, a.message_id, a.client_seq, a.message_seq, a.reason},
                  info_.version, out);
    acks_.pop_front();
    ++ack_base_;
    if (!queue_packet(std::move(out))) return;  // closed: acks_ is gone
  }
  if (close_when_acked_ && acks_.empty()) {
    close_when_acked_ = false;
    close_after_flush_ = true;
    schedule_flush();
  }
  if (read_paused_ && acks_.size() < gateway_.options().max_inflight_sends / 2 &&
      state_ == State::kAuthenticated) {
    read_paused_ = false;
    // SENDs decoded but held back when the limit was reached go first.
    handle_input();
    if (state_ == State::kClosed || pause_reading_if_busy()) return;
    resume_reading();
  }
}

bool ClientConnection::pause_reading_if_busy() {
  if (acks_.size() < gateway_.options().max_inflight_sends) return false;
  read_paused_ = true;  // the client keeps its bytes (TCP flow control) until acks drain
  gateway_.counters().read_pauses.add();
  return true;
}

// --- delivery --------------------------------------------------------------------------------

void ClientConnection::deliver(const std::shared_ptr<const Message>& message) {
  if (state_ != State::kAuthenticated) return;
  if (!append_recv(*message)) return;
  gateway_.counters().recvs_sent.add();
  if (!message->header.no_persist) {
    // Kept for resending: re-encoding gives the same bytes (same key and IV on this connection).
    const auto& opt = gateway_.options();
    if (unacked_.size() >= 2 * opt.max_unacked_recvs) {
      // Acknowledged entries behind an unacknowledged one: drop them (amortised, keeps order).
      std::erase_if(unacked_, [](const Unacked& u) { return !u.message; });
    }
    // Over the count or byte budget the oldest are no longer resent (the client can still
    // sync them).
    while (!unacked_.empty() &&
           (unacked_live_ >= opt.max_unacked_recvs ||
            unacked_bytes_ + message->payload.size() > opt.max_unacked_recv_bytes)) {
      if (unacked_.front().message) forget_unacked(unacked_.front());
      unacked_.pop_front();
    }
    unacked_.push_back(
        Unacked{message, message->message_id, 0, Clock::now() + opt.recv_retry_interval});
    ++unacked_live_;
    unacked_bytes_ += message->payload.size();
  }
}

void ClientConnection::deliver_event(const std::shared_ptr<const engine::ClientEvent>& event) {
  if (state_ != State::kAuthenticated || info_.version < 5) return;
  proto::Event packet;
  packet.id = event->id;
  packet.type = event->type;
  packet.timestamp = event->timestamp_ms;
  packet.data = event->data;
  const size_t body = 2 + packet.id.size() + 2 + packet.type.size() + 8 + packet.data.size();
  if (body > proto::kMaxRemainingLength) {
    // Unreachable through the HTTP API, which bounds event data; never send a packet a client
    // must refuse.
    spdlog::warn("connection {}: an EVENT of {} bytes of data is too large for wkproto: not sent",
                 info_.id, packet.data.size());
    return;
  }
  std::string out;
  proto::encode(packet, info_.version, out);
  if (queue_packet(std::move(out))) gateway_.counters().events_sent.add();
}

bool ClientConnection::append_recv(const Message& m) {
  const bool from_self = m.from_uid == info_.uid;
  const bool from_system = m.from_uid == kSystemUid;
  std::string_view channel_id = m.channel.id;
  if (m.channel.is_person()) {
    // The peer as this recipient sees it: the sender, or for the sender's own other devices the
    // other party.
    auto [a, b] = person_parties(m.channel.id);
    if (from_self) {
      channel_id = a == info_.uid ? b : a;
    } else {
      channel_id = from_system ? std::string_view() : std::string_view(m.from_uid);
    }
  }
  proto::RecvView recv;
  recv.flags = static_cast<uint8_t>(m.header.flags() & ~(from_self ? proto::kFlagRedDot : 0));
  recv.setting = proto::recv_setting_for(m.setting, info_.version);
  recv.from_uid = from_system ? std::string_view() : std::string_view(m.from_uid);
  recv.channel_id = channel_id;
  recv.channel_type = m.channel.type;
  recv.expire = m.expire;
  recv.client_msg_no = m.client_msg_no;
  recv.message_id = m.message_id;
  recv.message_seq = static_cast<uint32_t>(m.message_seq);
  recv.timestamp = static_cast<int32_t>(m.timestamp);
  recv.topic = m.topic;
  // The server never writes a packet whose remaining length exceeds 1 MiB (clients close the
  // connection on one). A payload near the limit grows by encryption; such a message is not
  // pushed to this connection, which can still fetch it with /channel/messagesync. A first
  // check on the payload's size on the wire avoids encrypting in vain; the exact one follows.
  const size_t payload_on_wire =
      crypto_ ? ((m.payload.size() / 16 + 1) * 16 + 2) / 3 * 4 : m.payload.size();
  if (payload_on_wire > proto::kMaxRemainingLength) return too_large_for_recv(m);
  if (crypto_) {
    if (!crypto_->seal_recv(recv, m.payload, scratch_payload_, scratch_msg_key_)) {
      spdlog::error("conn {}: cannot encrypt a RECV; closing", info_.id);
      close("encryption failure");
      return false;
    }
    recv.payload = scratch_payload_;
    recv.msg_key = scratch_msg_key_;
  } else {
    recv.payload = m.payload;
  }
  const size_t size = proto::encoded_size(recv, info_.version);
  if (size > 1 + 3 + proto::kMaxRemainingLength) return too_large_for_recv(m);
  std::string& out = output_buffer(size);
  const size_t before = out.size();
  proto::encode(recv, info_.version, out);
  recvack_allowance_ = std::min(recvack_allowance_ + 1, 2 * gateway_.options().max_unacked_recvs);
  if (scratch_payload_.capacity() > 64 * 1024) std::string().swap(scratch_payload_);
  return queued(out.size() - before);
}

bool ClientConnection::too_large_for_recv(const Message& m) {
  spdlog::info("conn {}: message {} ({} payload bytes) is too large for a RECV; not pushed",
               info_.id, m.message_id, m.payload.size());
  return false;
}

// --- output ----------------------------------------------------------------------------------

std::string& ClientConnection::output_buffer(size_t expected) {
  // TCP: packets share buffers (one gathered write, few allocations). WebSocket: one packet per
  // buffer, because each becomes its own message.
  constexpr size_t kChunk = 64 * 1024;
  if (!one_packet_per_write_buffer() && !outbound_.empty() &&
      outbound_.back().size() + expected <= kChunk) {
    return outbound_.back();
  }
  outbound_.emplace_back();
  outbound_.back().reserve(one_packet_per_write_buffer() ? expected : std::max(expected, kChunk));
  return outbound_.back();
}

bool ClientConnection::queued(size_t bytes) {
  outbound_bytes_ += output_cost(bytes);
  ++outbound_packets_;
  if (outbound_bytes_ > gateway_.options().max_outbound_bytes) {
    gateway_.counters().slow_consumers.add();
    close("slow consumer: more than " + std::to_string(gateway_.options().max_outbound_bytes) +
          " bytes waiting to be written");
    return false;
  }
  schedule_flush();
  return true;
}

bool ClientConnection::queue_packet(std::string packet) {
  if (state_ == State::kClosed) return false;
  const size_t n = packet.size();
  std::string& out = output_buffer(n);
  if (out.empty()) {
    out = std::move(packet);
  } else {
    out.append(packet);
  }
  return queued(n);
}

void ClientConnection::schedule_flush() {
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  // Everything queued during this turn of the io loop goes out in one write.
  asio::post(context_, [self = shared_from_this()] {
    self->flush_scheduled_ = false;
    self->flush();
  });
}

void ClientConnection::flush() {
  if (state_ == State::kClosed || write_in_flight_) return;
  if (outbound_.empty()) {
    if (close_after_flush_) finish_close(flush_close_reason_);
    return;
  }
  write_in_flight_ = true;
  writing_.swap(outbound_);
  gateway_.counters().out_packets.add(outbound_packets_);
  outbound_packets_ = 0;
  write_packets(writing_);
}

void ClientConnection::on_written(bool ok) {
  write_in_flight_ = false;
  size_t written = 0;
  size_t cost = 0;
  for (const auto& p : writing_) {
    written += p.size();
    cost += output_cost(p.size());
  }
  gateway_.counters().out_bytes.add(written);
  outbound_bytes_ -= cost;
  writing_.clear();
  if (!ok) return finish_close("write failed");
  flush();
}

// --- lifecycle -------------------------------------------------------------------------------

void ClientConnection::kick(ReasonCode reason, const std::string& text, bool quietly,
                            std::chrono::milliseconds close_after) {
  if (state_ == State::kClosed) return;
  if (!quietly && state_ == State::kAuthenticated) {
    std::string out;
    proto::encode(proto::Disconnect{reason, text}, info_.version, out);
    queue_packet(std::move(out));
    if (state_ == State::kClosed) return;  // that overflowed the output: already closed
  }
  state_ = State::kClosing;
  // No longer online: nothing is delivered to it any more, so nobody should count on it.
  if (registered_) {
    gateway_.engine().presence().remove(info_.uid, info_.id);
    registered_ = false;
  }
  const auto at = Clock::now() + close_after;
  if (!close_at_ || at < *close_at_) close_at_ = at;
}

void ClientConnection::tick(Clock::time_point now) {
  if (state_ == State::kClosed) return;
  const auto& opt = gateway_.options();
  if (close_at_ && now >= *close_at_) return close("kicked");
  if (state_ == State::kPreAuth && now - accepted_at_ >= opt.preauth_timeout) {
    return close("no CONNECT within the pre-auth timeout");
  }
  if (state_ == State::kAuthenticated && now - last_inbound_ >= opt.idle_timeout) {
    return close("idle for longer than connIdleTime");
  }
  if (state_ != State::kAuthenticated) return;  // a kicked connection gets nothing more
  // Due entries are at the front; a resent one goes to the back with its next deadline.
  // At most one pass over what is queued now (a resent entry goes to the back).
  for (size_t n = unacked_.size(); n > 0 && !unacked_.empty() && unacked_.front().next_at <= now;
       --n) {
    Unacked due = std::move(unacked_.front());
    unacked_.pop_front();
    if (!due.message) continue;
    forget_unacked(due);
    if (due.attempts >= opt.recv_retry_max) continue;
    ++due.attempts;
    due.next_at = now + opt.recv_retry_interval;
    gateway_.counters().recv_retries.add();
    if (!append_recv(*due.message)) {
      if (state_ == State::kClosed) return;
      continue;
    }
    ++unacked_live_;
    unacked_bytes_ += due.message->payload.size();
    unacked_.push_back(std::move(due));
  }
  while (!unacked_.empty() && !unacked_.front().message) unacked_.pop_front();
}

void ClientConnection::on_peer_closed(const std::string& why) {
  quiet_close_ = true;  // the peer's own choice: not worth more than a debug line
  finish_close(why);
}

void ClientConnection::close(const std::string& reason) {
  finish_close(reason);
}

void ClientConnection::close_when_answered() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosing;  // nothing more is read or delivered
  flush_close_reason_ = "server shutting down";
  if (acks_.empty()) {
    close_after_flush_ = true;
    flush();
  } else {
    close_when_acked_ = true;
  }
}

void ClientConnection::finish_close(const std::string& reason) {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  if (registered_) {
    gateway_.engine().presence().remove(info_.uid, info_.id);
    registered_ = false;
  }
  unacked_.clear();
  unacked_live_ = 0;
  unacked_bytes_ = 0;
  acks_.clear();
  outbound_.clear();
  gateway_.counters().connections_closed.add();
  spdlog::log(quiet_close_ ? spdlog::level::debug : spdlog::level::info,
              "conn {} ({} {} uid={}): closed: {}", info_.id, info_.transport, info_.remote,
              info_.uid, reason);
  shutdown_transport(!quiet_close_ && reason != "write failed");
  gateway_.forget(info_.executor, info_.id);
}

}  // namespace jindou::gateway
