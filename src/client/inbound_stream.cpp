#include "client/inbound_stream.h"

#include <utility>
#include <variant>

namespace jindou::client {
namespace {

// Lowercase hex of at most the first 256 bytes, for messages about wrong packets.
std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes.size() && i < 256; ++i) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0x0F]);
  }
  if (bytes.size() > 256) out += "...";
  return out;
}

std::string name_of(const proto::Packet& p) {
  return std::string(proto::packet_name(proto::type_of(p)));
}

void violation(std::deque<Inbound>& out, std::string what) {
  out.push_back(Inbound{proto::Pong{}, std::move(what)});
}

}  // namespace

InboundStream::InboundStream(uint8_t version, bool check_encoding,
                             std::optional<proto::ClientCrypto> keys)
    : check_encoding_(check_encoding),
      keys_(std::move(keys)),
      decoder_(proto::DecoderOptions{proto::Side::kClient, version}) {}

bool InboundStream::feed(const Chunk& chunk, std::deque<Inbound>& out) {
  if (chunk.ws_text) {
    violation(out, "the server sent a WebSocket text message; wkproto.md §1.3 allows only binary");
    return true;
  }
  decoder_.append(chunk.bytes);
  if (check_encoding_) raw_.append(chunk.bytes);
  size_t packets = 0;
  for (;;) {
    const size_t before = decoder_.buffered();
    const proto::DecodeResult r = decoder_.next(scratch_);
    if (r.need_more()) break;
    if (r.failed()) {
      violation(out, "the server sent bytes that do not decode: " + r.error);
      return false;
    }
    const size_t size = before - decoder_.buffered();
    std::string_view frame;
    if (check_encoding_) {
      frame = std::string_view(raw_).substr(raw_pos_, size);
      raw_pos_ += size;
    }
    ++packets;
    on_packet(scratch_, frame, out);
  }
  if (raw_pos_ == raw_.size()) {
    raw_.clear();
    raw_pos_ = 0;
  } else if (raw_pos_ >= 64 * 1024) {
    raw_.erase(0, raw_pos_);
    raw_pos_ = 0;
  }
  if (chunk.ws_message && (packets != 1 || decoder_.buffered() != 0)) {
    violation(out, "a WebSocket message from the server holds " + std::to_string(packets) +
                       " complete packet(s) and " + std::to_string(decoder_.buffered()) +
                       " more byte(s); wkproto.md §1.3 requires exactly one packet per message");
  }
  return true;
}

void InboundStream::on_packet(proto::Packet& packet, std::string_view frame,
                              std::deque<Inbound>& out) {
  if (check_encoding_) {
    const std::string again = proto::encoded(packet, decoder_.version());
    if (again != frame) {
      violation(out, name_of(packet) + " from the server is not encoded as wkproto.md §4 " +
                         "requires: got " + hex(frame) + ", expected " + hex(again));
    }
  }
  if (awaiting_connack_) {
    awaiting_connack_ = false;
    if (const auto* connack = std::get_if<proto::Connack>(&packet)) {
      on_connack(*connack, out);
    } else {
      violation(out, "the first packet from the server is " + name_of(packet) + ", not CONNACK");
    }
  }
  if (auto* recv = std::get_if<proto::Recv>(&packet)) {
    if (!open_recv(*recv, out)) return;  // dropped, so never acknowledged (as the JS SDKs do)
  }
  out.push_back(Inbound{std::move(packet), {}});
}

void InboundStream::on_connack(const proto::Connack& connack, std::deque<Inbound>& out) {
  if (connack.reason_code != ReasonCode::kSuccess) return;
  connack_ok_ = true;
  if (!keys_) return;
  if (connack.server_key.empty()) {
    return violation(out,
                     "a success CONNACK without server_key, although CONNECT carried a "
                     "client_key (is the server running with disableEncryption?)");
  }
  auto established = keys_->establish(connack.server_key, connack.salt);
  if (!established.ok()) {
    return violation(out, "CONNACK keys are unusable: " + established.error().message);
  }
  if (connack.salt.size() != proto::kSaltChars) {
    violation(out, "CONNACK salt has " + std::to_string(connack.salt.size()) +
                       " chars; wkproto.md §6.2 requires exactly 16");
  }
  session_.emplace(std::move(established.value()));
}

// Verifies msg_key (§6.5) and replaces the payload by its plaintext.
bool InboundStream::open_recv(proto::Recv& recv, std::deque<Inbound>& out) {
  const std::string where = "RECV message_id " + std::to_string(recv.message_id);
  if (!session_) {
    if (recv.msg_key.empty()) return true;
    violation(out, where + " carries msg_key '" + recv.msg_key +
                       "' although the connection is not encrypted (wkproto.md §6.6)");
    return false;
  }
  const std::string expected =
      session_->recv_msg_key(recv.message_id, recv.message_seq, recv.client_msg_no, recv.timestamp,
                             recv.from_uid, recv.channel_id, recv.channel_type, recv.payload);
  if (recv.msg_key != expected) {
    violation(out, where + ": msg_key '" + recv.msg_key + "' does not match '" + expected +
                       "' computed per wkproto.md §6.5");
    return false;
  }
  auto plain = session_->decrypt(recv.payload);
  if (!plain) {
    violation(out, where + ": the payload does not decrypt (wkproto.md §6.3)");
    return false;
  }
  recv.payload = std::move(*plain);
  return true;
}

}  // namespace jindou::client
