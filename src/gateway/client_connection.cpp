#include "gateway/client_connection.h"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "engine/engine.h"
#include "model/clock.h"

namespace jindou::gateway {

namespace asio = boost::asio;

ClientConnection::ClientConnection(const SessionContext& session, asio::io_context& context,
                                   size_t executor, uint64_t id, std::string transport,
                                   std::string remote, bool accept_proxy, OutboxFraming framing)
    : context_(context),
      ctx_(session),
      session_(SessionTimeouts{session.options.preauth_timeout, session.options.idle_timeout},
               Clock::now()),
      decoder_(proto::DecoderOptions{proto::Side::kServer, proto::kLatestVersion, accept_proxy}),
      sendacks_(session.options.max_inflight_sends),
      resends_(RecvResendOptions{
          session.options.max_unacked_recvs, session.options.max_unacked_recv_bytes,
          session.options.recv_retry_interval, session.options.recv_retry_max}),
      outbox_(session.options.max_outbound_bytes, framing) {
  info_.id = id;
  info_.executor = executor;
  info_.transport = std::move(transport);
  info_.remote = std::move(remote);
}

ClientConnection::~ClientConnection() = default;

void ClientConnection::start() {
  ctx_.counters.connections_accepted.add();
  start_reading();
}

// --- input -----------------------------------------------------------------------------------

void ClientConnection::on_bytes(const char* data, size_t n) {
  if (session_.closed()) return;
  session_.heard_from_client(Clock::now());
  ctx_.counters.in_bytes.add(n);
  if (!session_.buffers_input()) return;  // nothing is processed after a refusal or kick
  decoder_.append(data, n);
  handle_input();
}

void ClientConnection::handle_input() {
  while (session_.reads_packets() && !sendacks_.full()) {
    auto r = decoder_.next(packet_);
    if (r.need_more()) break;
    if (r.failed()) {
      ctx_.counters.protocol_errors.add();
      close("protocol error: " + r.error);
      return;
    }
    if (session_.state() == SessionState::kPreAuth && decoder_.proxy_header()) {
      // A trusted load balancer's PROXY header names the real client (before CONNECT).
      const auto& p = *decoder_.proxy_header();
      if (p.has_address) info_.remote = p.source_ip + ":" + std::to_string(p.source_port);
    }
    ctx_.counters.in_packets.add();
    handle(packet_);
  }
}

bool ClientConnection::pause_reading_if_busy() {
  if (session_.state() == SessionState::kAuthenticating) {
    read_paused_ = true;  // the CONNECT's verdict decides what becomes of the rest
    return true;
  }
  if (!sendacks_.full()) return false;
  read_paused_ = true;  // the client keeps its bytes (TCP flow control) until acks drain
  ctx_.counters.read_pauses.add();
  return true;
}

void ClientConnection::resume_input() {
  read_paused_ = false;
  // Packets decoded but held back go first.
  handle_input();
  if (session_.closed() || pause_reading_if_busy()) return;
  resume_reading();
}

void ClientConnection::handle(proto::Packet& packet) {
  if (session_.state() == SessionState::kPreAuth) {
    if (auto* connect = std::get_if<proto::Connect>(&packet)) return handle_connect(*connect);
    ctx_.counters.protocol_errors.add();
    return close(std::string("the first packet must be CONNECT, got ") +
                 std::string(proto::packet_name(proto::type_of(packet))));
  }
  switch (proto::type_of(packet)) {
    case proto::PacketType::kSend:
      return handle_send(std::get<proto::Send>(packet));
    case proto::PacketType::kRecvack:
      resends_.acknowledge(std::get<proto::Recvack>(packet).message_id);
      return;
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

// --- sending ---------------------------------------------------------------------------------

void ClientConnection::answer_send(uint8_t flags, uint32_t client_seq, ReasonCode reason) {
  sendacks_.take_answered(flags, client_seq, reason);
  release_sendacks();
}

void ClientConnection::handle_send(proto::Send& send) {
  ctx_.counters.client_sends.add();
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
  if (payload.size() > ctx_.options.max_payload_bytes) {
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

  const uint64_t slot = sendacks_.take(flags, send.client_seq);
  std::weak_ptr<ClientConnection> weak = shared_from_this();
  engine::Engine& engine = ctx_.engine;
  const size_t executor = info_.executor;
  engine.send(std::move(request), [weak, slot, &engine, executor](engine::SendResult result) {
    engine.post(executor, [weak, slot, result = std::move(result)] {
      if (auto self = weak.lock()) self->complete_send(slot, result);
    });
  });
}

void ClientConnection::complete_send(uint64_t slot, const engine::SendResult& result) {
  if (session_.closed()) return;
  sendacks_.complete(slot, result);
  release_sendacks();
}

void ClientConnection::release_sendacks() {
  while (auto ack = sendacks_.release()) {
    std::string out;
    proto::encode(*ack, info_.version, out);
    if (!queue_packet(std::move(out))) return;  // closed
  }
  if (sendacks_.empty() && session_.sends_answered()) schedule_flush();
  if (read_paused_ && sendacks_.drained_enough() && session_.authenticated()) resume_input();
}

// --- delivery --------------------------------------------------------------------------------

void ClientConnection::deliver(const std::shared_ptr<const Message>& message) {
  if (!session_.authenticated()) return;
  if (!append_recv(*message)) return;
  ctx_.counters.recvs_sent.add();
  // Kept for resending: re-encoding gives the same bytes (same key and IV on this connection).
  if (!message->header.no_persist) resends_.keep(message, Clock::now());
}

void ClientConnection::deliver_event(const std::shared_ptr<const engine::ClientEvent>& event) {
  if (!session_.authenticated() || info_.version < 5) return;
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
  if (queue_packet(std::move(out))) ctx_.counters.events_sent.add();
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
  std::string& out = outbox_.buffer_for(size);
  const size_t before = out.size();
  proto::encode(recv, info_.version, out);
  resends_.count_written();
  if (scratch_payload_.capacity() > 64 * 1024) std::string().swap(scratch_payload_);
  return queued(outbox_.appended(out.size() - before));
}

bool ClientConnection::too_large_for_recv(const Message& m) {
  spdlog::info("conn {}: message {} ({} payload bytes) is too large for a RECV; not pushed",
               info_.id, m.message_id, m.payload.size());
  return false;
}

void ClientConnection::resend_due(Clock::time_point now) {
  for (auto& due : resends_.take_due(now)) {
    ctx_.counters.recv_retries.add();
    if (!append_recv(*due.message)) {
      if (session_.closed()) return;
      continue;  // cannot be pushed any more: no longer resent
    }
    resends_.requeue(std::move(due));
  }
}

// --- output ----------------------------------------------------------------------------------

bool ClientConnection::queued(bool within_budget) {
  if (!within_budget) {
    ctx_.counters.slow_consumers.add();
    close("slow consumer: more than " + std::to_string(outbox_.max_bytes()) +
          " bytes waiting to be written");
    return false;
  }
  schedule_flush();
  return true;
}

bool ClientConnection::queue_packet(std::string packet) {
  if (session_.closed()) return false;
  return queued(outbox_.push(std::move(packet)));
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
  if (session_.closed() || outbox_.write_in_flight()) return;
  if (!outbox_.has_queued()) {
    if (session_.ends_when_written()) finish_close(session_.ending_reason());
    return;
  }
  ctx_.counters.out_packets.add(outbox_.start_write());
  write_packets(outbox_.writing());
}

void ClientConnection::on_written(bool ok) {
  ctx_.counters.out_bytes.add(outbox_.finish_write());
  if (!ok) return finish_close("write failed", CloseCause::kWriteFailed);
  flush();
}

// --- CONNECT ---------------------------------------------------------------------------------

void ClientConnection::handle_connect(const proto::Connect& connect) {
  info_.version = decoder_.version();
  session_.connect_received();
  std::weak_ptr<ClientConnection> weak = shared_from_this();
  engine::Engine& engine = ctx_.engine;
  const size_t executor = info_.executor;
  authenticate(
      connect, ctx_.options, ctx_.users, ctx_.blocking_reads,
      [&engine, executor](std::function<void()> task) { engine.post(executor, std::move(task)); },
      [weak, connect](const AuthVerdict& verdict) {
        if (auto self = weak.lock()) self->on_verdict(connect, verdict);
      });
}

void ClientConnection::on_verdict(const proto::Connect& connect, const AuthVerdict& verdict) {
  if (!session_.verdict_wanted()) return;  // closed, kicked or shut down meanwhile
  if (!verdict.accepted()) {
    refuse(connect, *verdict.refusal, verdict.why());
  } else {
    login(connect, verdict);
  }
  // Reading paused while the CONNECT was checked (an inline check never paused it).
  if (read_paused_ && !session_.closed()) resume_input();
}

void ClientConnection::login(const proto::Connect& connect, const AuthVerdict& verdict) {
  proto::Connack ack = make_connack(connect, info_.version, ReasonCode::kSuccess,
                                    ctx_.options.node_id, unix_millis());
  if (!ctx_.options.disable_encryption) {
    auto crypto = proto::SessionCrypto::accept(connect.client_key);
    if (!crypto.ok()) return refuse(connect, crypto.error().reason, crypto.error().message);
    ack.server_key = crypto->server_key();
    ack.salt = crypto->salt();
    crypto_.emplace(std::move(crypto.value()));
  }
  info_.uid = connect.uid;
  info_.device_flag = connect.device_flag;
  info_.device_id = connect.device_id;
  info_.device_level = verdict.device_level;
  info_.connected_at_ms = unix_millis();
  info_.connected_at = info_.connected_at_ms / 1000;

  std::string out;
  proto::encode(ack, info_.version, out);
  if (!queue_packet(std::move(out))) return;
  session_.accepted(Clock::now());
  // Online first, then the kick rules: two logins racing on different io threads then each see
  // the other, and only the older connection is kicked (connection ids grow with accept order).
  ctx_.presence.add(info_, shared_from_this());
  session_.went_online();
  // A ban committed since the check kicked whoever was online then, which may not have included
  // this connection: look again now that it is online (one side sees the other).
  auto banned = ctx_.users.banned(info_.uid);
  if (banned.ok() && *banned) {
    return kick(ReasonCode::kConnectKick, "banned", false, std::chrono::seconds(2));
  }
  for (auto& k : login_kicks(info_, ctx_.presence.links_of(info_.uid))) {
    ctx_.engine.post(k.link.info.executor, [link = std::move(k.link.link), quietly = k.quietly] {
      link->kick(ReasonCode::kConnectKick, "login in other device", quietly,
                 std::chrono::seconds(2));
    });
  }
  // The other nodes of a cluster apply the same rule to their connections (asynchronously).
  if (ctx_.announce_login) ctx_.announce_login(info_);
  spdlog::debug("conn {} ({} {}): uid '{}' device {} connected with protocol {}", info_.id,
                info_.transport, info_.remote, info_.uid, info_.device_flag, info_.version);
}

void ClientConnection::refuse(const proto::Connect& connect, ReasonCode reason,
                              const std::string& why) {
  spdlog::info("conn {} ({} {}): CONNECT of uid '{}' refused with reason {}: {}", info_.id,
               info_.transport, info_.remote, connect.uid, static_cast<int>(reason), why);
  std::string out;
  proto::encode(make_connack(connect, info_.version, reason, ctx_.options.node_id, unix_millis()),
                info_.version, out);
  if (!queue_packet(std::move(out))) return;
  session_.refused(Clock::now());  // closes once the CONNACK is written, or soon anyway
}

// --- lifecycle -------------------------------------------------------------------------------

void ClientConnection::kick(ReasonCode reason, const std::string& text, bool quietly,
                            std::chrono::milliseconds close_after) {
  if (session_.closed()) return;
  if (!quietly && session_.authenticated()) {
    std::string out;
    proto::encode(proto::Disconnect{reason, text}, info_.version, out);
    if (!queue_packet(std::move(out))) return;  // that overflowed the output: already closed
  }
  session_.kicked(Clock::now(), close_after);
  // No longer online: nothing is delivered to it any more, so nobody should count on it.
  leave_presence();
}

void ClientConnection::tick(Clock::time_point now) {
  if (session_.closed()) return;
  if (auto why = session_.expired(now)) return close(*why);
  if (!session_.authenticated()) return;  // a kicked connection gets nothing more
  resend_due(now);
}

void ClientConnection::on_peer_closed(const std::string& why) {
  finish_close(why, CloseCause::kPeer);
}

void ClientConnection::close(const std::string& reason) {
  finish_close(reason);
}

void ClientConnection::close_when_answered() {
  if (session_.closed()) return;
  session_.shutting_down(!sendacks_.empty());  // nothing more is read or delivered
  if (sendacks_.empty()) flush();
}

void ClientConnection::leave_presence() {
  if (session_.went_offline()) ctx_.presence.remove(info_.uid, info_.id);
}

void ClientConnection::finish_close(const std::string& reason, CloseCause cause) {
  if (!session_.close()) return;
  leave_presence();
  resends_.clear();
  sendacks_.clear();
  outbox_.clear();
  ctx_.counters.connections_closed.add();
  // A peer's own choice to leave is not worth more than a debug line.
  spdlog::log(cause == CloseCause::kPeer ? spdlog::level::debug : spdlog::level::info,
              "conn {} ({} {} uid={}): closed: {}", info_.id, info_.transport, info_.remote,
              info_.uid, reason);
  shutdown_transport(cause == CloseCause::kServer);
  ctx_.forget(info_.executor, info_.id);
}

}  // namespace jindou::gateway
