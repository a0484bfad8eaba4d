// ClientConnection: one client's wkproto session wired to its transport. The socket-free parts
// do the bookkeeping — ClientSession (states and deadlines), the CONNECT checks, SendackQueue
// (SENDACKs in SEND order), RecvResendWindow (RECVs awaiting RECVACK), Outbox (output and its
// budget) — and this class decodes packets, talks to the engine, encrypts, and tells the
// transport subclass (TCP, WebSocket) when to write, pause and close.
//
// Thread: lives on one io thread for its whole life; every method runs there (engine callbacks
// and CONNECT verdicts are posted back). Lifecycle: created by a listener, registered with the
// Gateway, start(); closed on protocol error, timeout, kick or peer close, then unregistered
// through SessionContext::forget. Late callbacks hold a weak pointer and find it gone or closed.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/presence.h"
#include "engine/send_types.h"
#include "gateway/client_session.h"
#include "gateway/outbox.h"
#include "gateway/recv_resend_window.h"
#include "gateway/sendack_queue.h"
#include "gateway/session_context.h"
#include "proto/codec.h"
#include "proto/crypto.h"

namespace jindou::gateway {

class ClientConnection : public engine::ClientLink,
                         public std::enable_shared_from_this<ClientConnection> {
 public:
  ClientConnection(const SessionContext& session, boost::asio::io_context& context, size_t executor,
                   uint64_t id, std::string transport, std::string remote, bool accept_proxy,
                   OutboxFraming framing);
  ~ClientConnection() override;

  void start();
  // Periodic housekeeping from the gateway's ticker: timeouts, kick delays, RECV resends.
  void tick(Clock::time_point now);
  // Closes now (with `reason` in the log) — for protocol errors and forced shutdown.
  void close(const std::string& reason);
  // Shutdown: reads nothing more, answers the SENDs already taken (their SENDACKs), then closes.
  void close_when_answered();

  // engine::ClientLink
  void deliver(const std::shared_ptr<const Message>& message) override;
  void deliver_event(const std::shared_ptr<const engine::ClientEvent>& event) override;
  void kick(ReasonCode reason, const std::string& text, bool quietly,
            std::chrono::milliseconds close_after) override;

  uint64_t id() const { return info_.id; }
  bool closed() const { return session_.closed(); }

 protected:
  // Transport hooks, implemented by subclasses.
  virtual void start_reading() = 0;
  // Writes `packets` (whole wkproto packets; one each for OutboxFraming::kBufferPerPacket);
  // calls on_written() when done.
  virtual void write_packets(std::vector<std::string>& packets) = 0;
  // Ends the transport. `we_close`: the server decided to close (not the peer, not an error),
  // so a transport with a closing handshake may perform it.
  virtual void shutdown_transport(bool we_close) = 0;
  // Re-arms reading after a pause (see pause_reading_if_busy).
  virtual void resume_reading() = 0;

  // For subclasses.
  void on_bytes(const char* data, size_t n);
  // Flow control: true (and reading paused) while the CONNECT is being checked or too many SENDs
  // of this connection await their SENDACK; the transport then does not re-arm its read until
  // resume_reading().
  bool pause_reading_if_busy();
  void on_written(bool ok);
  void on_peer_closed(const std::string& why);
  void set_remote(std::string remote) { info_.remote = std::move(remote); }
  bool write_in_flight() const { return outbox_.write_in_flight(); }
  // Inbound activity that carries no wkproto bytes (WebSocket control frames) still counts.
  void touch() { session_.heard_from_client(Clock::now()); }

  boost::asio::io_context& context_;

 private:
  void handle(proto::Packet& packet);
  void handle_connect(const proto::Connect& connect);
  void on_verdict(const proto::Connect& connect, const AuthVerdict& verdict);
  // Accepted: encryption, CONNACK, online, the ban re-check and the kick rules.
  void login(const proto::Connect& connect, const AuthVerdict& verdict);
  void refuse(const proto::Connect& connect, ReasonCode reason, const std::string& why);
  void kick_replaced_logins();
  void handle_send(proto::Send& send);
  void answer_send(uint8_t flags, uint32_t client_seq, ReasonCode reason);
  void complete_send(uint64_t slot, const engine::SendResult& result);
  // Writes the SENDACKs that may leave, then ends a shutdown or resumes reading as that allows.
  void release_sendacks();
  // Queues one encoded packet; false when that closed the connection (output over budget).
  bool queue_packet(std::string packet);
  // Decodes and handles the buffered input until it runs out, the connection closes, stops
  // reading packets (CONNECT being checked, closing), or too many SENDs await their SENDACK
  // (the rest stays buffered until some are answered).
  void handle_input();
  // Handles what was buffered while reading was paused, then re-arms reading unless still busy.
  void resume_input();
  void resend_due(Clock::time_point now);
  // Encodes (and encrypts) a RECV of `m` for this connection into the output; false when the
  // connection closed or the message cannot be pushed.
  bool append_recv(const Message& m);
  bool too_large_for_recv(const Message& m);
  // Accounts a packet of `bytes` just put in the outbox; false when that closed the connection.
  bool queued(bool within_budget);
  void schedule_flush();
  void flush();
  void leave_presence();
  // Who ends the connection: the server may say goodbye on its transport; a peer that closed
  // or a failed write leaves nothing to say it on.
  enum class CloseCause { kServer, kPeer, kWriteFailed };
  void finish_close(const std::string& reason, CloseCause cause = CloseCause::kServer);

  const SessionContext& ctx_;
  engine::LinkInfo info_;
  ClientSession session_;
  proto::FrameDecoder decoder_;
  proto::Packet packet_;  // reused decode target
  std::optional<proto::SessionCrypto> crypto_;
  SendackQueue sendacks_;
  RecvResendWindow resends_;
  Outbox outbox_;
  bool read_paused_ = false;
  bool flush_scheduled_ = false;
  std::string scratch_payload_;
  std::string scratch_msg_key_;
};

}  // namespace jindou::gateway
