// Splits an inbound byte stream into packets (wkproto.md §1.2, §2.1–§2.4).
#include <string>
#include <variant>

#include "proto/codec.h"

namespace jindou::proto {
namespace {

// Consumed bytes are dropped lazily: only when they are at least this many and at least half
// the buffer, so each byte is moved O(1) times on average.
constexpr size_t kCompactBytes = 4096;
// An emptied buffer larger than this is released, so one big packet does not pin memory.
constexpr size_t kKeepCapacity = 64 * 1024;

}  // namespace

FrameDecoder::FrameDecoder(DecoderOptions options)
    : options_(options), version_(negotiate_version(options.version)) {}

DecodeResult FrameDecoder::fail(std::string error) {
  error_ = std::move(error);
  std::string().swap(buf_);
  pos_ = 0;
  return {DecodeResult::kError, error_};
}

void FrameDecoder::append(const char* data, size_t n) {
  if (!error_.empty() || n == 0) return;
  // After next() returned kNeedMore at most one unfinished packet is left, which is shorter
  // than kMaxFrameSize; anything more means the stream is not being drained.
  if (buffered() >= kMaxFrameSize) {
    fail("inbound buffer holds more than " + std::to_string(kMaxFrameSize) + " undecoded bytes");
    return;
  }
  if (pos_ == buf_.size()) {
    if (buf_.capacity() > kKeepCapacity && n <= kKeepCapacity) std::string().swap(buf_);
    buf_.clear();
    pos_ = 0;
  } else if (pos_ >= kCompactBytes && pos_ * 2 >= buf_.size()) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  buf_.append(data, n);
}

// PROXY header (when trusted) and the JSON-RPC sniff look at the very start of the stream only.
DecodeResult FrameDecoder::check_stream_start() {
  const std::string_view data(buf_.data() + pos_, buffered());
  if (!proxy_ && options_.accept_proxy_header) {
    ProxyHeader header;
    const ProxyParseResult r = parse_proxy_header(data, header);
    switch (r.kind) {
      case ProxyParseResult::kNeedMore:
        return {};
      case ProxyParseResult::kError:
        return fail(r.error);
      case ProxyParseResult::kGot:
        proxy_ = std::move(header);
        pos_ += r.consumed;
        return check_stream_start();
      case ProxyParseResult::kNotProxy:
        break;
    }
  } else if (!proxy_) {
    switch (match_proxy_signature(data)) {
      case ProxyParseResult::kNeedMore:
        return {};
      case ProxyParseResult::kGot:
        return fail("PROXY protocol header is not accepted here");
      default:
        break;
    }
  }
  if (data.empty()) return {};
  if (buf_[pos_] == '{') return fail("stream starts with '{': JSON-RPC is not supported");
  started_ = true;
  return {DecodeResult::kGot, {}};
}

DecodeResult FrameDecoder::next(Packet& out) {
  if (!error_.empty()) return {DecodeResult::kError, error_};
  if (!started_) {
    DecodeResult start = check_stream_start();
    if (!start.got()) return start;
  }
  const auto* p = reinterpret_cast<const unsigned char*>(buf_.data() + pos_);
  const size_t n = buffered();
  if (n == 0) return {};

  const uint8_t header = p[0];
  const unsigned type = header >> 4;
  if (type == 0 || type > static_cast<unsigned>(PacketType::kEvent)) {
    return fail("packet type " + std::to_string(type) + " is not defined");
  }
  // PING and PONG are complete in their header byte.
  if (type == static_cast<unsigned>(PacketType::kPing) ||
      type == static_cast<unsigned>(PacketType::kPong)) {
    std::string unused;
    (void)decode_body(header, {}, version_, out, unused);
    ++pos_;
    return {DecodeResult::kGot, {}};
  }

  uint32_t remaining = 0;
  size_t i = 1;
  for (;;) {
    if (i >= n) return {};
    const uint8_t digit = p[i];
    remaining |= static_cast<uint32_t>(digit & 0x7F) << (7 * (i - 1));
    ++i;
    if ((digit & 0x80) == 0) break;
    if (i == 5) return fail("remaining length uses more than 4 bytes");
  }
  if (remaining > kMaxRemainingLength) {
    return fail("remaining length " + std::to_string(remaining) + " exceeds " +
                std::to_string(kMaxRemainingLength));
  }
  if (n - i < remaining) return {};

  std::string error;
  const std::string_view body(buf_.data() + pos_ + i, remaining);
  if (!decode_body(header, body, version_, out, error)) return fail(std::move(error));
  pos_ += i + remaining;
  // Everything behind the first CONNECT uses the version it negotiates (§3); a later CONNECT
  // is ignored by the session and must not change the layout either.
  if (options_.side == Side::kServer && !connect_seen_ && std::holds_alternative<Connect>(out)) {
    connect_seen_ = true;
    set_version(std::get<Connect>(out).version);
  }
  return {DecodeResult::kGot, {}};
}

}  // namespace jindou::proto
