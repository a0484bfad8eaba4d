// ClientConnection: one client's wkproto session — CONNECT and the crypto handshake, SEND to the
// engine with SENDACKs in order, RECV delivery with per-connection encryption and resends,
// PING/PONG, kicks and timeouts. Transport subclasses (TCP, WebSocket) move the bytes.
//
// Thread: lives on one io thread for its whole life; every method runs there (engine callbacks
// are posted back). Lifecycle: created by a listener, registered with the Gateway, start();
// closed on protocol error, timeout, kick or peer close, then unregistered.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/presence.h"
#include "engine/send_types.h"
#include "proto/codec.h"
#include "proto/crypto.h"

namespace jindou::gateway {

class Gateway;
using Clock = std::chrono::steady_clock;

class ClientConnection : public engine::ClientLink,
                         public std::enable_shared_from_this<ClientConnection> {
 public:
  ClientConnection(Gateway& gateway, boost::asio::io_context& context, size_t executor, uint64_t id,
                   std::string transport, std::string remote, bool accept_proxy);
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
  bool closed() const { return state_ == State::kClosed; }

 protected:
  // Transport hooks, implemented by subclasses.
  virtual void start_reading() = 0;
  // Writes `packets` (one wkproto packet each); calls on_written() when done.
  virtual void write_packets(std::vector<std::string>& packets) = 0;
  // Ends the transport. `we_close`: the server decided to close (not the peer, not an error),
  // so a transport with a closing handshake may perform it.
  virtual void shutdown_transport(bool we_close) = 0;
  // True when every packet must be its own buffer in write_packets (WebSocket messages).
  virtual bool one_packet_per_write_buffer() const { return false; }

  // Re-arms reading after a pause (see pause_reading_if_busy).
  virtual void resume_reading() = 0;

  // For subclasses.
  void on_bytes(const char* data, size_t n);
  // Flow control: true (and reading paused) while too many SENDs of this connection await
  // their SENDACK; the transport then does not re-arm its read until resume_reading().
  bool pause_reading_if_busy();
  void on_written(bool ok);
  void on_peer_closed(const std::string& why);
  void set_remote(std::string remote) { info_.remote = std::move(remote); }
  bool write_in_flight() const { return write_in_flight_; }
  // Inbound activity that carries no wkproto bytes (WebSocket control frames) still counts.
  void touch() { last_inbound_ = Clock::now(); }

  boost::asio::io_context& context_;

 private:
  enum class State { kPreAuth, kAuthenticated, kClosing, kClosed };
  struct AckSlot {
    uint8_t flags = 0;
    uint32_t client_seq = 0;
    bool ready = false;
    int64_t message_id = 0;
    uint32_t message_seq = 0;
    ReasonCode reason = ReasonCode::kSuccess;
  };
  struct Unacked {
    std::shared_ptr<const Message> message;  // null once acknowledged (or moved to the back)
    int64_t message_id = 0;
    int attempts = 0;
    Clock::time_point next_at;
  };

  void handle(proto::Packet& packet);
  void handle_connect(const proto::Connect& connect);
  std::optional<ReasonCode> authenticate(const proto::Connect& connect, uint8_t& device_level);
  void refuse(const proto::Connect& connect, ReasonCode reason, const std::string& why);
  void apply_kick_rules(uint8_t device_level);
  void handle_send(proto::Send& send);
  void answer_send(uint8_t flags, uint32_t client_seq, ReasonCode reason);
  void complete_ack(uint64_t slot, const engine::SendResult& result);
  void handle_recvack(const proto::Recvack& ack);
  // Queues one encoded packet; false when that closed the connection (output over budget).
  bool queue_packet(std::string packet);
  // Decodes and handles the buffered input until it runs out, the connection closes, or too
  // many SENDs await their SENDACK (the rest stays buffered until some are answered).
  void handle_input();
  // What a queued packet costs against max_outbound_bytes: its bytes, plus the buffer it
  // occupies when each packet has its own (WebSocket).
  size_t output_cost(size_t bytes) const {
    return bytes + (one_packet_per_write_buffer() ? kPacketBufferOverhead : 0);
  }
  // A string object and its heap block, roughly.
  static constexpr size_t kPacketBufferOverhead = 64;
  void forget_unacked(const Unacked& u) {
    --unacked_live_;
    unacked_bytes_ -= u.message->payload.size();
  }
  // Encodes (and encrypts) a RECV of `m` for this connection into the output; false when the
  // connection closed or the message cannot be pushed.
  bool append_recv(const Message& m);
  bool too_large_for_recv(const Message& m);
  // The buffer the next packet of about `expected` bytes goes into.
  std::string& output_buffer(size_t expected);
  // Accounts `bytes` just appended to the output; false when that closed the connection.
  bool queued(size_t bytes);
  void schedule_flush();
  void flush();
  void finish_close(const std::string& reason);

  Gateway& gateway_;
  engine::LinkInfo info_;
  State state_ = State::kPreAuth;
  proto::FrameDecoder decoder_;
  proto::Packet packet_;  // reused decode target
  std::optional<proto::SessionCrypto> crypto_;
  Clock::time_point accepted_at_ = Clock::now();
  Clock::time_point last_inbound_ = Clock::now();
  std::optional<Clock::time_point> close_at_;
  bool registered_ = false;  // in the presence table
  bool quiet_close_ = false;
  bool proxy_applied_ = false;
  bool read_paused_ = false;

  std::vector<std::string> outbound_;  // queued, not yet handed to the transport
  std::vector<std::string> writing_;   // handed to the transport
  size_t outbound_bytes_ = 0;
  size_t outbound_packets_ = 0;
  bool write_in_flight_ = false;
  bool flush_scheduled_ = false;
  bool close_after_flush_ = false;
  bool close_when_acked_ = false;
  std::string flush_close_reason_ = "refused";

  std::deque<AckSlot> acks_;
  uint64_t ack_base_ = 0;  // slot number of acks_.front()

  // RECVs awaiting their RECVACK, in the order they were written, which is also the order of
  // their next_at (the retry interval is fixed and a resent one moves to the back). Clients
  // acknowledge in order, so acknowledging and resending both work at the front.
  std::deque<Unacked> unacked_;
  size_t unacked_live_ = 0;   // entries with a message
  size_t unacked_bytes_ = 0;  // their payload bytes
  // RECVACKs worth looking up: one per RECV written, at most twice the resend window, so a
  // client cannot make the server search its pending RECVs for acks of nothing, over and over.
  size_t recvack_allowance_ = 0;
  std::string scratch_payload_;
  std::string scratch_msg_key_;
};

}  // namespace jindou::gateway
