// WkClient's own checks, against a scripted peer that plays the server: a RECV whose msg_key does
// not verify, surplus bytes, a wrong first packet, keys missing from CONNACK, and a server close
// told apart from a timeout. The real server never does these things, so they are staged here.
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <functional>
#include <future>
#include <string>
#include <thread>

#include "client/scripted_peer.h"
#include "client/wk_client.h"
#include "proto/codec.h"
#include "proto/crypto.h"

namespace jindou::client {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr auto kWait = 10s;

// Accepts one TCP connection and runs `script` on it (see ScriptedPeer).
class ScriptedServer {
 public:
  using Script = std::function<void(tcp::socket&)>;

  explicit ScriptedServer(Script script)
      : peer_([script = std::move(script)](tcp::acceptor& acceptor) {
          tcp::socket socket = acceptor.accept();
          socket.set_option(tcp::no_delay(true));
          script(socket);
        }) {}

  ClientOptions Options() const { return peer_.options(Transport::kTcp); }

 private:
  ScriptedPeer peer_;
};

// The next packet the client sends; throws on EOF.
proto::Packet ReadPacket(tcp::socket& socket, proto::FrameDecoder& decoder) {
  proto::Packet packet;
  std::array<char, 4096> buffer;
  while (!decoder.next(packet).got()) {
    decoder.append(buffer.data(), socket.read_some(asio::buffer(buffer)));
  }
  return packet;
}

void Write(tcp::socket& socket, const std::string& bytes) {
  asio::write(socket, asio::buffer(bytes));
}

void WaitForEof(tcp::socket& socket) {
  std::array<char, 4096> buffer;
  boost::system::error_code ec;
  while (!ec) socket.read_some(asio::buffer(buffer), ec);
}

// Reads CONNECT and answers a success CONNACK with the keys of a fresh session.
proto::SessionCrypto Handshake(tcp::socket& socket, proto::FrameDecoder& decoder) {
  const auto connect = std::get<proto::Connect>(ReadPacket(socket, decoder));
  auto session = proto::SessionCrypto::accept(connect.client_key);
  if (!session.ok()) throw std::runtime_error(session.error().message);
  proto::Connack ack;
  ack.server_version = decoder.version();
  ack.server_key = session->server_key();
  ack.salt = session->salt();
  ack.node_id = 1;
  Write(socket, proto::encoded(ack, decoder.version()));
  return std::move(session.value());
}

// A RECV sealed for `session`; `tamper` changes its msg_key.
std::string SealedRecv(proto::SessionCrypto& session, std::string_view plaintext, bool tamper) {
  proto::RecvView recv = SampleRecv(proto::kFlagRedDot | proto::kFlagSyncOnce);
  std::string payload;
  std::string msg_key;
  session.seal_recv(recv, plaintext, payload, msg_key);
  if (tamper) msg_key[0] = msg_key[0] == '0' ? '1' : '0';
  recv.payload = payload;
  recv.msg_key = msg_key;
  std::string out;
  proto::encode(recv, proto::kLatestVersion, out);
  return out;
}

TEST(WkClientChecksTest, VerifiedRecvIsDecryptedAndAcknowledged) {
  std::promise<proto::Recvack> acked;
  ScriptedServer server([&acked](tcp::socket& socket) {
    proto::FrameDecoder decoder;
    proto::SessionCrypto session = Handshake(socket, decoder);
    Write(socket, SealedRecv(session, "héllo", false));
    acked.set_value(std::get<proto::Recvack>(ReadPacket(socket, decoder)));
    WaitForEof(socket);
  });
  WkClient client(server.Options());
  ASSERT_EQ(client.connect().reason_code, ReasonCode::kSuccess);
  const auto recv = client.wait_recv(kWait);
  ASSERT_TRUE(recv) << client.close_reason();
  EXPECT_EQ(recv->payload, "héllo");
  auto ack = acked.get_future();
  ASSERT_EQ(ack.wait_for(kWait), std::future_status::ready);
  const proto::Recvack got = ack.get();
  EXPECT_EQ(got.message_id, 42);
  EXPECT_EQ(got.message_seq, 7u);
  EXPECT_EQ(got.flags, proto::kFlagRedDot | proto::kFlagSyncOnce);
}

TEST(WkClientChecksTest, RecvWithWrongMsgKeyIsAProtocolError) {
  ScriptedServer server([](tcp::socket& socket) {
    proto::FrameDecoder decoder;
    proto::SessionCrypto session = Handshake(socket, decoder);
    Write(socket, SealedRecv(session, "x", true));
    WaitForEof(socket);
  });
  WkClient client(server.Options());
  ASSERT_EQ(client.connect().reason_code, ReasonCode::kSuccess);
  EXPECT_THROW(client.next_packet(kWait), ProtocolError);
}

TEST(WkClientChecksTest, SurplusBytesAreAProtocolError) {
  ScriptedServer server([](tcp::socket& socket) {
    proto::FrameDecoder decoder;
    Handshake(socket, decoder);
    std::string ack = proto::encoded(proto::Sendack{0, 1, 1, 1, ReasonCode::kSuccess}, 5);
    ack[1] = static_cast<char>(ack[1] + 1);  // remaining length 18: one byte too many
    ack.push_back('\0');
    Write(socket, ack);
    WaitForEof(socket);
  });
  WkClient client(server.Options());
  ASSERT_EQ(client.connect().reason_code, ReasonCode::kSuccess);
  EXPECT_THROW(client.next_packet(kWait), ProtocolError);
}

TEST(WkClientChecksTest, FirstPacketMustBeConnack) {
  ScriptedServer server([](tcp::socket& socket) {
    proto::FrameDecoder decoder;
    ReadPacket(socket, decoder);
    Write(socket, proto::encoded(proto::Pong{}, 5));
    WaitForEof(socket);
  });
  WkClient client(server.Options());
  EXPECT_THROW(client.connect(), ProtocolError);
}

TEST(WkClientChecksTest, SuccessConnackWithoutKeysIsAProtocolErrorWhenEncrypting) {
  ScriptedServer server([](tcp::socket& socket) {
    proto::FrameDecoder decoder;
    ReadPacket(socket, decoder);
    proto::Connack ack;
    ack.server_version = 5;
    ack.node_id = 1;
    Write(socket, proto::encoded(ack, 5));
    WaitForEof(socket);
  });
  WkClient client(server.Options());
  EXPECT_THROW(client.connect(), ProtocolError);
}

TEST(WkClientChecksTest, ServerCloseIsToldApartFromTimeout) {
  ScriptedServer server([](tcp::socket& socket) {
    proto::FrameDecoder decoder;
    Handshake(socket, decoder);
    ReadPacket(socket, decoder);  // the PING, answered by closing
    socket.shutdown(tcp::socket::shutdown_both);
    socket.close();
  });
  WkClient client(server.Options());
  ASSERT_EQ(client.connect().reason_code, ReasonCode::kSuccess);
  EXPECT_FALSE(client.next_packet(100ms)) << "the peer sends nothing before the PING";
  EXPECT_FALSE(client.closed());
  EXPECT_FALSE(client.ping(kWait));
  EXPECT_TRUE(client.closed());
  EXPECT_NE(client.close_reason().find("EOF"), std::string::npos) << client.close_reason();
  EXPECT_FALSE(client.connected());
}

}  // namespace
}  // namespace jindou::client
