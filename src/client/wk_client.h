// WkClient: a blocking wkproto client (wkproto.md) over raw TCP, WebSocket or WebSocket over TLS,
// for black-box tests and the load generator.
//
// It speaks the protocol strictly and checks the server as it goes: every packet the server sends
// must decode, re-encode to exactly the bytes received, arrive one per WebSocket message, and
// every RECV's msg_key must verify. A violation is a server bug and is thrown as ProtocolError
// from the call that reaches it. Timeouts are upper bounds for waiting: a wait returns as soon as
// its packet is there, and returns nullopt (not an error) when the time runs out or the server
// has closed the connection — closed() tells the two apart.
//
// Thread: no background threads; all IO runs inside the calls, so a client belongs to one thread
// at a time. Any number of clients may live in one process. Lifecycle: construct with options,
// connect(), then send / wait; disconnect() or destruction closes the socket. connect() may be
// called again to reconnect with a fresh key pair (packets not yet taken are dropped).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "proto/packet.h"

namespace jindou::client {

enum class Transport : uint8_t {
  kTcp,           // raw TCP byte stream
  kWebSocket,     // RFC 6455, binary messages
  kWebSocketTls,  // the same over TLS (wss); the server certificate is NOT verified
};

struct ClientOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  Transport transport = Transport::kTcp;
  std::string ws_path = "/";  // request target of the WebSocket upgrade

  uint8_t version = proto::kLatestVersion;  // c, the version byte of CONNECT
  std::string uid;
  std::string token;
  uint8_t device_flag = 0;  // 0 APP, 1 WEB, 2 PC
  std::string device_id;    // empty: 32 random hex chars + "C", fixed for the client's life
  // On: X25519 handshake, encrypted payloads and msg_keys. Off: empty client_key and plaintext
  // payloads, for a server running with disableEncryption.
  bool encryption = true;
  std::optional<int64_t> client_timestamp;  // ms; empty: the local clock at connect()

  bool auto_recvack = true;    // acknowledge every RECV as it arrives (off: use recvack())
  bool check_encoding = true;  // require each server packet to re-encode to its exact bytes
  // Bound for connect() (TCP, upgrade, CONNACK) and for each write to complete.
  std::chrono::milliseconds io_timeout = std::chrono::seconds(10);
};

// Per-SEND choices. The defaults are what the JS SDKs send: header 0x32, setting 0, expire 0.
struct SendOptions {
  std::string client_msg_no;  // empty: 32 random hex chars
  bool no_persist = false;
  bool red_dot = true;
  bool sync_once = false;
  bool dup = false;
  uint8_t setting = 0;  // §4.4; the topic bit is added when `topic` is not empty
  uint32_t expire = 0;  // written when v >= 3
  std::string topic;
  std::string stream_no;               // written when `setting` has a stream bit (§4.4)
  std::optional<uint32_t> client_seq;  // empty: the client's counter 1, 2, 3 ...
  std::optional<std::string> msg_key;  // replaces the computed msg_key (to provoke reason 9)
};

// A SEND encoded but not written: for batching several packets into one WebSocket message or
// splitting one across several (send_raw).
struct PreparedSend {
  uint32_t client_seq = 0;
  std::string client_msg_no;
  std::string bytes;
};

// The server broke the protocol: undecodable bytes, a packet that does not re-encode to what was
// received, a RECV whose msg_key does not verify or whose payload does not decrypt, several
// packets in one WebSocket message, a first packet other than CONNACK.
class ProtocolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class WkClient {
 public:
  using Duration = std::chrono::milliseconds;
  using PacketMatch = std::function<bool(const proto::Packet&)>;
  using RecvMatch = std::function<bool(const proto::Recv&)>;

  explicit WkClient(ClientOptions options);
  ~WkClient();
  WkClient(WkClient&&) noexcept;
  WkClient& operator=(WkClient&&) noexcept;

  // Opens a connection (unless open() just did), sends CONNECT and returns the CONNACK, whatever
  // its reason code (after a refusal the server closes the connection). On success with
  // encryption the session keys are set up from server_key and salt. Throws std::runtime_error
  // when the connection cannot be opened or no CONNACK arrives within io_timeout, ProtocolError
  // when the server answers wrongly.
  proto::Connack connect();
  // Opens a connection and sends nothing: for bytes before CONNECT (send_raw), e.g. a PROXY
  // header or a first packet that is not CONNECT. A later connect() uses this connection.
  void open();

  // Sends one SEND: encrypts `payload` and computes msg_key when encryption is on. Returns the
  // client_seq used; its SENDACK is taken with wait_sendack(). Several sends may be in flight.
  uint32_t send(std::string_view channel_id, uint8_t channel_type, std::string_view payload,
                const SendOptions& options = {});
  // The same SEND, encoded but not written; it consumes a client_seq like send().
  PreparedSend prepare_send(std::string_view channel_id, uint8_t channel_type,
                            std::string_view payload, const SendOptions& options = {});
  // Writes `bytes` as they are (over WebSocket: as one binary message) — prepared packets,
  // garbage, truncated packets, oversized lengths. Writes on a closed connection are dropped.
  void send_raw(std::string_view bytes);
  // RECVACK for `recv`, copying its header flags (for auto_recvack = false).
  void recvack(const proto::Recv& recv);
  // Sends PING and waits for a PONG; other packets stay queued. False on timeout or close.
  bool ping(Duration timeout);
  // Closes the socket (no DISCONNECT packet, like the JS SDKs).
  void disconnect();
  // Reads nothing more from the server (one read already under way still completes) while
  // sends go on: a client whose app has stopped reading.
  void stop_reading();

  // The next packet from the server, in arrival order; nullopt when none arrives within
  // `timeout` or the connection is closed. A RECV comes with its payload decrypted.
  std::optional<proto::Packet> next_packet(Duration timeout);
  // The first packet (queued or arriving within `timeout`) that `match` accepts; packets it
  // skips stay queued, in order, for later calls.
  std::optional<proto::Packet> wait_packet(const PacketMatch& match, Duration timeout);
  // The SENDACK for `client_seq`.
  std::optional<proto::Sendack> wait_sendack(uint32_t client_seq, Duration timeout);
  // The first RECV `match` accepts / the first RECV.
  std::optional<proto::Recv> wait_recv(const RecvMatch& match, Duration timeout);
  std::optional<proto::Recv> wait_recv(Duration timeout);
  // True once the connection has ended within `timeout` (packets received meanwhile are queued).
  bool wait_closed(Duration timeout);

  // CONNACK success received and the connection still open.
  bool connected() const;
  // The connection has ended: closed by the server (EOF, reset), after a protocol error, or by
  // disconnect(). Set only by the calls above; it does not poll the socket.
  bool closed() const;
  // Why it ended, e.g. "closed by the server (EOF)"; empty while open.
  std::string close_reason() const;
  // Negotiated version v = min(c, 5).
  uint8_t version() const;
  // Packets received and not yet taken.
  size_t queued() const;
  const ClientOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace jindou::client
