// InboundStream: what the server sends on one connection, turned into checked packets.
//
// Internal to src/client. Decodes the byte stream with proto::FrameDecoder and checks it against
// wkproto.md as it goes: every packet must re-encode to exactly the bytes received, a WebSocket
// message must hold exactly one packet, the first packet must be CONNACK, a success CONNACK must
// carry usable keys when the client encrypts, and every RECV's msg_key must verify (its payload
// is then replaced by the plaintext). A failed check becomes a violation entry in the output,
// at the place in the stream where it happened. Thread: that of its WkClient. Lifecycle: one per
// connection.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "client/client_transport.h"
#include "proto/codec.h"
#include "proto/crypto.h"

namespace jindou::client {

// A packet from the server, or the place in the stream where it broke the protocol.
struct Inbound {
  proto::Packet packet;
  std::string violation;  // non-empty: this entry is a violation, `packet` is meaningless

  bool is_violation() const { return !violation.empty(); }
};

class InboundStream {
 public:
  // `version` is the c of the CONNECT; `keys` the client's key pair when it encrypts.
  InboundStream(uint8_t version, bool check_encoding, std::optional<proto::ClientCrypto> keys);

  // Decodes `chunk`, appending packets and violations to `out` in stream order. False when the
  // bytes no longer decode: the stream is then dead and the connection must be closed.
  bool feed(const Chunk& chunk, std::deque<Inbound>& out);

  // The key pair behind CONNECT's client_key; null when not encrypting.
  const proto::ClientCrypto* keys() const { return keys_ ? &*keys_ : nullptr; }
  // Session keys, once a success CONNACK has set them up.
  proto::SessionCrypto* session() { return session_ ? &*session_ : nullptr; }
  bool connack_ok() const { return connack_ok_; }
  // Negotiated version v = min(c, 5).
  uint8_t version() const { return decoder_.version(); }

 private:
  void on_packet(proto::Packet& packet, std::string_view frame, std::deque<Inbound>& out);
  void on_connack(const proto::Connack& connack, std::deque<Inbound>& out);
  bool open_recv(proto::Recv& recv, std::deque<Inbound>& out);

  bool check_encoding_;
  std::optional<proto::ClientCrypto> keys_;
  std::optional<proto::SessionCrypto> session_;
  proto::FrameDecoder decoder_;
  proto::Packet scratch_;  // decode target
  std::string raw_;        // the bytes the decoder holds, for the re-encoding check
  size_t raw_pos_ = 0;     // start of the bytes not yet decoded
  bool awaiting_connack_ = true;
  bool connack_ok_ = false;
};

}  // namespace jindou::client
