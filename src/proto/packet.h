// wkproto packets as plain values (wkproto.md §4). One struct per packet type; the codec turns
// them into bytes and back. Field widths are the wire widths.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "model/error.h"
#include "model/message.h"  // kSetting* bits

namespace jindou::proto {

// Highest protocol version we speak; a CONNECT with a larger version is answered with this one.
inline constexpr uint8_t kLatestVersion = 5;

// Negotiated version v = min(c, 5) for the version byte c of a CONNECT.
constexpr uint8_t negotiate_version(uint8_t client_version) {
  return client_version < kLatestVersion ? client_version : kLatestVersion;
}

// Size policy (§2.4): a larger remaining length is a protocol error.
inline constexpr uint32_t kMaxRemainingLength = 1u << 20;
// Header byte + longest remaining-length form + body: no packet on the wire is larger.
inline constexpr size_t kMaxFrameSize = 1 + 4 + kMaxRemainingLength;
// Strings carry a u16 length that the reference codec reads as int16.
inline constexpr size_t kMaxStringBytes = 32767;

enum class PacketType : uint8_t {
  kConnect = 1,
  kConnack = 2,
  kSend = 3,
  kSendack = 4,
  kRecv = 5,
  kRecvack = 6,
  kPing = 7,
  kPong = 8,
  kDisconnect = 9,
  kSub = 10,
  kSuback = 11,
  kEvent = 12,
};

// Header flags (low nibble of the header byte, §2.2).
inline constexpr uint8_t kFlagNoPersist = 0x01;
inline constexpr uint8_t kFlagRedDot = 0x02;
inline constexpr uint8_t kFlagSyncOnce = 0x04;
inline constexpr uint8_t kFlagDup = 0x08;
inline constexpr uint8_t kFlagMask = 0x0F;
// CONNACK reuses bit 0: the body starts with server_version.
inline constexpr uint8_t kFlagHasServerVersion = 0x01;

struct Connect {
  uint8_t version = 0;  // c, as sent by the client
  uint8_t device_flag = 0;
  std::string device_id;
  std::string uid;
  std::string token;
  int64_t client_timestamp = 0;  // ms since the Unix epoch, client clock
  std::string client_key;        // base64 X25519 public key; empty when not encrypting

  friend bool operator==(const Connect&, const Connect&) = default;
};

struct Connack {
  // Written when the CONNECT version c > 3 (equivalently v >= 4); decoded when the header has
  // kFlagHasServerVersion, otherwise 0.
  uint8_t server_version = 0;
  int64_t time_diff = 0;  // server_now_ms - client_timestamp
  ReasonCode reason_code = ReasonCode::kSuccess;
  std::string server_key;  // base64 X25519 public key, or "" on failure / no encryption
  std::string salt;        // 16-char AES IV, or ""
  uint64_t node_id = 0;    // present when v >= 4

  friend bool operator==(const Connack&, const Connack&) = default;
};

struct Send {
  uint8_t flags = 0;  // header bits: kFlagNoPersist | kFlagRedDot | kFlagSyncOnce | kFlagDup
  uint8_t setting = 0;
  uint32_t client_seq = 0;
  std::string client_msg_no;
  // Encoded after client_msg_no when setting has the legacy stream bit 0x04, or the stream bit
  // 0x02 and 2 <= v < 5. The decoder drops it for 0x02 (and clears that bit) but keeps it for
  // 0x04.
  std::string stream_no;
  std::string channel_id;
  uint8_t channel_type = 0;
  uint32_t expire = 0;  // present when v >= 3
  std::string msg_key;
  std::string topic;    // present when setting has the topic bit 0x08
  std::string payload;  // rest of the body; base64 text when encrypted

  // Decoded only: setting had the legacy stream bit 0x04. The server answers SENDACK 20 without
  // looking at the other fields, so the decoder guarantees only client_seq and flags for such a
  // packet; the rest is filled as far as it parses.
  bool legacy_stream = false;

  friend bool operator==(const Send&, const Send&) = default;
};

struct Sendack {
  uint8_t flags = 0;  // echoes the SEND's header flags
  int64_t message_id = 0;
  uint32_t client_seq = 0;
  uint32_t message_seq = 0;
  ReasonCode reason_code = ReasonCode::kSuccess;

  friend bool operator==(const Sendack&, const Sendack&) = default;
};

struct Recv {
  uint8_t flags = 0;  // kFlagNoPersist | kFlagRedDot | kFlagSyncOnce | kFlagDup
  uint8_t setting = 0;
  std::string msg_key;
  std::string from_uid;
  std::string channel_id;
  uint8_t channel_type = 0;
  uint32_t expire = 0;  // present when v >= 3
  std::string client_msg_no;
  // Stream fields: decoded when 2 <= v < 5 and setting has 0x02; never encoded (§4.4 rule 3).
  uint8_t stream_flag = 0;
  std::string stream_no;
  uint64_t stream_id = 0;
  int64_t message_id = 0;
  uint32_t message_seq = 0;
  int32_t timestamp = 0;  // Unix seconds
  std::string topic;      // present when setting has 0x08
  std::string payload;

  friend bool operator==(const Recv&, const Recv&) = default;
};

// RECV fields by reference, so the server can encode one RECV per recipient connection without
// copying the message into a Recv first.
struct RecvView {
  uint8_t flags = 0;
  uint8_t setting = 0;
  std::string_view msg_key;
  std::string_view from_uid;
  std::string_view channel_id;
  uint8_t channel_type = 0;
  uint32_t expire = 0;
  std::string_view client_msg_no;
  int64_t message_id = 0;
  uint32_t message_seq = 0;
  int32_t timestamp = 0;
  std::string_view topic;
  std::string_view payload;

  static RecvView of(const Recv& r) {
    return {r.flags,        r.setting, r.msg_key,       r.from_uid,   r.channel_id,
            r.channel_type, r.expire,  r.client_msg_no, r.message_id, r.message_seq,
            r.timestamp,    r.topic,   r.payload};
  }
};

struct Recvack {
  uint8_t flags = 0;  // copied from the RECV by the client
  int64_t message_id = 0;
  uint32_t message_seq = 0;

  friend bool operator==(const Recvack&, const Recvack&) = default;
};

struct Ping {
  friend bool operator==(const Ping&, const Ping&) = default;
};

struct Pong {
  friend bool operator==(const Pong&, const Pong&) = default;
};

struct Disconnect {
  ReasonCode reason_code = ReasonCode::kUnknown;
  std::string reason;

  friend bool operator==(const Disconnect&, const Disconnect&) = default;
};

struct Sub {
  uint8_t setting = 0;
  std::string sub_no;
  std::string channel_id;
  uint8_t channel_type = 0;
  uint8_t action = 0;  // 0 subscribe, 1 unsubscribe
  std::string param;

  friend bool operator==(const Sub&, const Sub&) = default;
};

struct Suback {
  std::string sub_no;
  std::string channel_id;
  uint8_t channel_type = 0;
  uint8_t action = 0;
  ReasonCode reason_code = ReasonCode::kSuccess;

  friend bool operator==(const Suback&, const Suback&) = default;
};

struct Event {
  std::string id;
  std::string type;
  int64_t timestamp = 0;  // ms
  std::string data;       // JSON text, never encrypted

  friend bool operator==(const Event&, const Event&) = default;
};

// Alternatives are in wire-type order: index + 1 is the packet type code.
using Packet = std::variant<Connect, Connack, Send, Sendack, Recv, Recvack, Ping, Pong, Disconnect,
                            Sub, Suback, Event>;

inline PacketType type_of(const Packet& p) {
  return static_cast<PacketType>(p.index() + 1);
}

// Upper-case wire name ("SEND"), for logs.
std::string_view packet_name(PacketType type);

}  // namespace jindou::proto
