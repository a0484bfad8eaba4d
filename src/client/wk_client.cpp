#include "client/wk_client.h"

#include <algorithm>
#include <deque>
#include <random>
#include <utility>
#include <variant>

#include "client/client_transport.h"
#include "client/inbound_stream.h"
#include "proto/codec.h"
#include "proto/crypto.h"

namespace jindou::client {
namespace {

using Clock = std::chrono::steady_clock;

constexpr uint8_t kRecvackFlags = proto::kFlagNoPersist | proto::kFlagRedDot | proto::kFlagSyncOnce;

Clock::time_point deadline_after(std::chrono::milliseconds timeout) {
  // Bounded so that "wait forever" values cannot overflow the clock.
  return Clock::now() + std::clamp(timeout, std::chrono::milliseconds(0),
                                   std::chrono::milliseconds(std::chrono::hours(24)));
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

struct WkClient::Impl {
  explicit Impl(ClientOptions o) : options(std::move(o)), rng(std::random_device{}()) {
    if (options.device_id.empty()) options.device_id = random_hex(32) + "C";
  }

  // A fresh connection: new transport, stream checks and key pair; nothing of the old one
  // survives.
  void reset() {
    transport = ClientTransport::create(options.transport, options.ws_path);
    transport->set_chunk_handler([this](const Chunk& chunk) { on_chunk(chunk); });
    std::optional<proto::ClientCrypto> keys;
    if (options.encryption) keys.emplace();
    stream.emplace(options.version, options.check_encoding, std::move(keys));
    inbox.clear();
    opened_only = false;
  }

  ClientTransport& link() {
    if (!transport) throw std::logic_error("WkClient: connect() has not been called");
    return *transport;
  }

  uint8_t version() const { return proto::negotiate_version(options.version); }

  std::string random_hex(size_t n) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out(n, '0');
    for (char& c : out) c = kDigits[rng() & 0x0F];
    return out;
  }

  void on_chunk(const Chunk& chunk) {
    const size_t before = inbox.size();
    if (!stream->feed(chunk, inbox)) transport->close("protocol error: undecodable bytes");
    if (!options.auto_recvack) return;
    for (size_t i = before; i < inbox.size(); ++i) {
      if (const auto* recv = std::get_if<proto::Recv>(&inbox[i].packet);
          recv != nullptr && !inbox[i].is_violation()) {
        ack(*recv);
      }
    }
  }

  void ack(const proto::Recv& recv) {
    proto::Recvack ack{static_cast<uint8_t>(recv.flags & kRecvackFlags), recv.message_id,
                       recv.message_seq};
    transport->write(proto::encoded(ack, version()));
  }

  ClientOptions options;
  std::unique_ptr<ClientTransport> transport;
  std::optional<InboundStream> stream;
  std::deque<Inbound> inbox;  // received, not yet taken
  bool opened_only = false;   // open() made the connection and no CONNECT went out on it yet
  std::mt19937_64 rng;
  uint32_t next_seq = 1;
};

WkClient::WkClient(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
WkClient::~WkClient() = default;
WkClient::WkClient(WkClient&&) noexcept = default;
WkClient& WkClient::operator=(WkClient&&) noexcept = default;

void WkClient::open() {
  Impl& s = *impl_;
  s.reset();
  s.transport->connect(s.options.host, s.options.port, deadline_after(s.options.io_timeout));
  s.opened_only = true;
}

proto::Connack WkClient::connect() {
  Impl& s = *impl_;
  if (!s.opened_only || s.transport->closed()) open();
  s.opened_only = false;
  const auto deadline = deadline_after(s.options.io_timeout);

  proto::Connect connect;
  connect.version = s.options.version;
  connect.device_flag = s.options.device_flag;
  connect.device_id = s.options.device_id;
  connect.uid = s.options.uid;
  connect.token = s.options.token;
  connect.client_timestamp = s.options.client_timestamp.value_or(now_ms());
  if (const auto* keys = s.stream->keys()) connect.client_key = keys->client_key();
  s.transport->write(proto::encoded(connect, s.options.version));
  s.transport->flush(deadline);

  auto first = next_packet(std::chrono::duration_cast<Duration>(deadline - Clock::now()));
  if (!first) {
    if (s.transport->closed()) {
      throw std::runtime_error("the connection ended before CONNACK: " +
                               s.transport->close_reason());
    }
    throw std::runtime_error("no CONNACK within " + std::to_string(s.options.io_timeout.count()) +
                             " ms");
  }
  // Anything but a CONNACK first was queued behind a violation and thrown by next_packet().
  return std::get<proto::Connack>(std::move(*first));
}

PreparedSend WkClient::prepare_send(std::string_view channel_id, uint8_t channel_type,
                                    std::string_view payload, const SendOptions& options) {
  Impl& s = *impl_;
  proto::Send p;
  p.flags = static_cast<uint8_t>((options.no_persist ? proto::kFlagNoPersist : 0) |
                                 (options.red_dot ? proto::kFlagRedDot : 0) |
                                 (options.sync_once ? proto::kFlagSyncOnce : 0) |
                                 (options.dup ? proto::kFlagDup : 0));
  p.setting = static_cast<uint8_t>(options.setting | (options.topic.empty() ? 0 : kSettingTopic));
  p.client_seq = options.client_seq ? *options.client_seq : s.next_seq++;
  p.client_msg_no = options.client_msg_no.empty() ? s.random_hex(32) : options.client_msg_no;
  p.stream_no = options.stream_no;
  p.channel_id = channel_id;
  p.channel_type = channel_type;
  p.expire = options.expire;
  p.topic = options.topic;
  if (s.options.encryption) {
    proto::SessionCrypto* session = s.stream ? s.stream->session() : nullptr;
    if (session == nullptr) {
      throw std::logic_error("WkClient: encrypted send before a successful CONNACK");
    }
    if (!session->seal_send(p, payload)) throw std::runtime_error("payload encryption failed");
  } else {
    p.payload = payload;
  }
  if (options.msg_key) p.msg_key = *options.msg_key;
  return PreparedSend{p.client_seq, p.client_msg_no, proto::encoded(p, s.version())};
}

uint32_t WkClient::send(std::string_view channel_id, uint8_t channel_type, std::string_view payload,
                        const SendOptions& options) {
  PreparedSend p = prepare_send(channel_id, channel_type, payload, options);
  send_raw(p.bytes);
  return p.client_seq;
}

void WkClient::send_raw(std::string_view bytes) {
  ClientTransport& link = impl_->link();
  link.write(std::string(bytes));
  link.flush(deadline_after(impl_->options.io_timeout));
}

void WkClient::recvack(const proto::Recv& recv) {
  impl_->link();
  impl_->ack(recv);
  impl_->transport->flush(deadline_after(impl_->options.io_timeout));
}

bool WkClient::ping(Duration timeout) {
  send_raw(proto::encoded(proto::Ping{}, impl_->version()));
  return wait_packet([](const proto::Packet& p) { return std::holds_alternative<proto::Pong>(p); },
                     timeout)
      .has_value();
}

void WkClient::stop_reading() {
  impl_->link().stop_reading();
}

void WkClient::disconnect() {
  if (impl_->transport) impl_->transport->close("closed by the client");
}

std::optional<proto::Packet> WkClient::next_packet(Duration timeout) {
  return wait_packet(nullptr, timeout);
}

std::optional<proto::Packet> WkClient::wait_packet(const PacketMatch& match, Duration timeout) {
  Impl& s = *impl_;
  ClientTransport& link = s.link();
  const auto deadline = deadline_after(timeout);
  size_t scanned = 0;
  for (;;) {
    while (scanned < s.inbox.size()) {
      Inbound& item = s.inbox[scanned];
      if (item.is_violation()) {
        std::string what = std::move(item.violation);
        s.inbox.erase(s.inbox.begin() + static_cast<std::ptrdiff_t>(scanned));
        throw ProtocolError(what);
      }
      if (!match || match(item.packet)) {
        proto::Packet packet = std::move(item.packet);
        s.inbox.erase(s.inbox.begin() + static_cast<std::ptrdiff_t>(scanned));
        link.flush(deadline_after(s.options.io_timeout));  // RECVACKs written meanwhile
        return packet;
      }
      ++scanned;
    }
    if (!link.run_until(deadline, [&] { return s.inbox.size() > scanned; })) {
      link.flush(deadline_after(s.options.io_timeout));
      return std::nullopt;
    }
  }
}

std::optional<proto::Sendack> WkClient::wait_sendack(uint32_t client_seq, Duration timeout) {
  auto p = wait_packet(
      [client_seq](const proto::Packet& packet) {
        const auto* ack = std::get_if<proto::Sendack>(&packet);
        return ack != nullptr && ack->client_seq == client_seq;
      },
      timeout);
  if (!p) return std::nullopt;
  return std::get<proto::Sendack>(std::move(*p));
}

std::optional<proto::Recv> WkClient::wait_recv(const RecvMatch& match, Duration timeout) {
  auto p = wait_packet(
      [&match](const proto::Packet& packet) {
        const auto* recv = std::get_if<proto::Recv>(&packet);
        return recv != nullptr && (!match || match(*recv));
      },
      timeout);
  if (!p) return std::nullopt;
  return std::get<proto::Recv>(std::move(*p));
}

std::optional<proto::Recv> WkClient::wait_recv(Duration timeout) {
  return wait_recv(nullptr, timeout);
}

bool WkClient::wait_closed(Duration timeout) {
  ClientTransport& link = impl_->link();
  return link.run_until(deadline_after(timeout), [&link] { return link.closed(); });
}

bool WkClient::connected() const {
  return impl_->transport && impl_->stream->connack_ok() && !impl_->transport->closed();
}

bool WkClient::closed() const {
  return impl_->transport && impl_->transport->closed();
}

std::string WkClient::close_reason() const {
  return impl_->transport ? impl_->transport->close_reason() : std::string();
}

uint8_t WkClient::version() const {
  return impl_->version();
}

size_t WkClient::queued() const {
  return impl_->inbox.size();
}

const ClientOptions& WkClient::options() const {
  return impl_->options;
}

}  // namespace jindou::client
