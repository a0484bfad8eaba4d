// wkproto codec: packets to bytes (encode) and a byte stream to packets (FrameDecoder).
// Pure: no sockets, no threads, no clocks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proto/packet.h"
#include "proto/proxy.h"

namespace jindou::proto {

// ---- Encoding ---------------------------------------------------------------------------------
//
// Each encoder appends one complete packet (header, shortest remaining length, body) to `out`.
// `version` is the negotiated version v; for CONNACK the CONNECT version c gives the same layout
// (c > 3 exactly when v >= 4). Preconditions: strings hold at most kMaxStringBytes (longer ones
// are clipped) and the body stays within kMaxRemainingLength (check with encoded_size).

void encode(const Connect& p, uint8_t version, std::string& out);
void encode(const Connack& p, uint8_t version, std::string& out);
void encode(const Send& p, uint8_t version, std::string& out);
void encode(const Sendack& p, uint8_t version, std::string& out);
void encode(const Recv& p, uint8_t version, std::string& out);
// Hot path: no allocation when `out` already has the capacity.
void encode(const RecvView& p, uint8_t version, std::string& out);
void encode(const Recvack& p, uint8_t version, std::string& out);
void encode(const Ping& p, uint8_t version, std::string& out);
void encode(const Pong& p, uint8_t version, std::string& out);
void encode(const Disconnect& p, uint8_t version, std::string& out);
void encode(const Sub& p, uint8_t version, std::string& out);
void encode(const Suback& p, uint8_t version, std::string& out);
void encode(const Event& p, uint8_t version, std::string& out);
void encode(const Packet& p, uint8_t version, std::string& out);

// The packet as a fresh string (tests, tools).
std::string encoded(const Packet& p, uint8_t version);

// Full size on the wire of the RECV `encode` would write.
size_t encoded_size(const RecvView& p, uint8_t version);

// Setting byte a RECV carries to a connection of version v: the legacy stream bit is never sent,
// the stream bit only to v >= 5, whose layout has no stream fields (§4.4 rule 3).
constexpr uint8_t recv_setting_for(uint8_t setting, uint8_t version) {
  const uint8_t drop = version < 5 ? (kSettingStream | kSettingLegacyStream) : kSettingLegacyStream;
  return static_cast<uint8_t>(setting & ~drop);
}

// ---- Decoding ---------------------------------------------------------------------------------

// Decodes the body of one packet whose header byte is `header` per the layouts of §4 for
// version v (SEND stream rules of §4.4 included). False with an English `error` on a protocol
// error. PING and PONG ignore `body`.
bool decode_body(uint8_t header, std::string_view body, uint8_t version, Packet& out,
                 std::string& error);

// Which peer's packets a FrameDecoder reads.
enum class Side : uint8_t {
  kServer,  // the server decoding what a client sends
  kClient,  // a client decoding what the server sends
};

struct DecodeResult {
  enum Kind : uint8_t { kNeedMore, kGot, kError };
  Kind kind = kNeedMore;
  std::string error;  // English reason for the log when kind == kError

  bool got() const { return kind == kGot; }
  bool need_more() const { return kind == kNeedMore; }
  bool failed() const { return kind == kError; }
};

struct DecoderOptions {
  Side side = Side::kServer;
  // Version the packets after CONNECT use. On the server side the first CONNECT decoded sets it to
  // min(c, 5); on the client side set it to the c the client sends.
  uint8_t version = kLatestVersion;
  // Server side, raw TCP behind a trusted load balancer: a PROXY protocol v1/v2 header may start
  // the stream (§1.4). Otherwise such a header is a protocol error.
  bool accept_proxy_header = false;
};

// Incremental decoder for one connection's inbound byte stream. Feed bytes with append(), then
// call next() until it stops returning kGot. Errors are final: every later call repeats them.
// Call next() until kNeedMore after each append(); more than one maximum-size packet left
// undecoded in the buffer is itself an error.
class FrameDecoder {
 public:
  explicit FrameDecoder(DecoderOptions options = {});

  void append(const char* data, size_t n);
  void append(std::string_view data) { append(data.data(), data.size()); }

  // Decodes the next complete packet into `out` (reusing its storage when it already holds the
  // same packet type).
  DecodeResult next(Packet& out);

  uint8_t version() const { return version_; }
  void set_version(uint8_t version) { version_ = negotiate_version(version); }
  Side side() const { return options_.side; }

  // The PROXY header the stream started with, once consumed.
  const std::optional<ProxyHeader>& proxy_header() const { return proxy_; }
  // Bytes received but not yet decoded.
  size_t buffered() const { return buf_.size() - pos_; }

 private:
  DecodeResult fail(std::string error);
  DecodeResult check_stream_start();

  DecoderOptions options_;
  uint8_t version_;
  std::string buf_;
  size_t pos_ = 0;             // start of the undecoded bytes in buf_
  bool started_ = false;       // stream-start checks (PROXY, JSON) are done
  bool connect_seen_ = false;  // server side: version taken from the first CONNECT
  std::optional<ProxyHeader> proxy_;
  std::string error_;  // non-empty once failed
};

}  // namespace jindou::proto
