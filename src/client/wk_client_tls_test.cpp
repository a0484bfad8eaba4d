// WkClient over WebSocket over TLS (Transport::kWebSocketTls), against a scripted peer: a TLS
// WebSocket server with a self-signed certificate made at run time, which the client accepts
// without verification; and a plain listener, on which the TLS handshake fails with an error
// instead of a hang.
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <array>
#include <functional>
#include <future>
#include <string>
#include <thread>

#include "client/scripted_peer.h"
#include "client/wk_client.h"
#include "proto/codec.h"
#include "testing/test_certificate.h"

namespace jindou::client {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace websocket = boost::beast::websocket;
using tcp = asio::ip::tcp;
using TlsWebSocket = websocket::stream<ssl::stream<tcp::socket>>;

constexpr auto kWait = 10s;

// Accepts one connection on a free loopback port, does the TLS and WebSocket handshakes with a
// fresh self-signed certificate and runs `script` on its own thread. Declare it before the
// client, so the client closes first and a script waiting for the close ends.
class TlsWsServer {
 public:
  using Script = std::function<void(TlsWebSocket&)>;

  explicit TlsWsServer(Script script)
      : peer_([this, script = std::move(script)](tcp::acceptor& acceptor) {
          TlsWebSocket ws(acceptor.accept(), tls_);
          ws.next_layer().handshake(ssl::stream_base::server);
          ws.accept();
          ws.binary(true);
          script(ws);
        }) {}

  ClientOptions Options() const {
    ClientOptions o = peer_.options(Transport::kWebSocketTls);
    o.encryption = false;  // wkproto payload encryption; TLS is independent of it
    return o;
  }

 private:
  static ssl::context ServerContext() {
    ssl::context tls(ssl::context::tls_server);
    const testing::TestCertificate cert = testing::make_test_certificate();
    tls.use_certificate_chain(asio::buffer(cert.cert_pem));
    tls.use_private_key(asio::buffer(cert.key_pem), ssl::context::pem);
    return tls;
  }

  ssl::context tls_ = ServerContext();  // before peer_: its thread uses it
  ScriptedPeer peer_;
};

// The next packet the client sends, one WebSocket message at a time.
proto::Packet ReadPacket(TlsWebSocket& ws, proto::FrameDecoder& decoder) {
  proto::Packet packet;
  while (!decoder.next(packet).got()) {
    boost::beast::flat_buffer buffer;
    ws.read(buffer);
    const auto data = buffer.cdata();
    decoder.append(static_cast<const char*>(data.data()), data.size());
  }
  return packet;
}

void Write(TlsWebSocket& ws, const std::string& packet) {
  ws.write(asio::buffer(packet));
}

TEST(WkClientTlsTest, ExchangesPacketsWithASelfSignedServer) {
  std::promise<proto::Connect> connected;
  std::promise<proto::Recvack> acked;
  TlsWsServer server([&](TlsWebSocket& ws) {
    proto::FrameDecoder decoder;
    const auto connect = std::get<proto::Connect>(ReadPacket(ws, decoder));
    connected.set_value(connect);
    proto::Connack ack;
    ack.server_version = decoder.version();
    ack.node_id = 1;
    Write(ws, proto::encoded(ack, decoder.version()));
    (void)std::get<proto::Ping>(ReadPacket(ws, decoder));  // throws on anything else
    Write(ws, proto::encoded(proto::Pong{}, decoder.version()));
    proto::RecvView recv = SampleRecv(proto::kFlagRedDot);
    recv.payload = "héllo over TLS";
    std::string out;
    proto::encode(recv, decoder.version(), out);
    Write(ws, out);
    acked.set_value(std::get<proto::Recvack>(ReadPacket(ws, decoder)));
    ws.close(websocket::close_code::normal);
  });

  WkClient client(server.Options());
  ASSERT_EQ(client.connect().reason_code, ReasonCode::kSuccess);
  auto connect = connected.get_future();
  ASSERT_EQ(connect.wait_for(kWait), std::future_status::ready);
  EXPECT_EQ(connect.get().uid, "u1");
  EXPECT_TRUE(client.ping(kWait)) << client.close_reason();
  const auto recv = client.wait_recv(kWait);
  ASSERT_TRUE(recv) << client.close_reason();
  EXPECT_EQ(recv->payload, "héllo over TLS");
  EXPECT_EQ(recv->message_id, 42);
  auto ack = acked.get_future();
  ASSERT_EQ(ack.wait_for(kWait), std::future_status::ready);
  EXPECT_EQ(ack.get().message_id, 42);
  EXPECT_TRUE(client.wait_closed(kWait));
  EXPECT_NE(client.close_reason().find("server"), std::string::npos) << client.close_reason();
}

TEST(WkClientTlsTest, HandshakeWithAPlainListenerFails) {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  std::thread peer([&acceptor] {
    try {
      tcp::socket socket = acceptor.accept();
      std::array<char, 1024> buffer;
      socket.read_some(asio::buffer(buffer));  // the ClientHello
      asio::write(socket, asio::buffer(std::string("HTTP/1.1 400 Bad Request\r\n\r\n")));
      socket.shutdown(tcp::socket::shutdown_both);
    } catch (const std::exception&) {
    }
  });
  ClientOptions o;
  o.port = acceptor.local_endpoint().port();
  o.transport = Transport::kWebSocketTls;
  o.uid = "u1";
  o.io_timeout = kWait;
  WkClient client(o);
  EXPECT_THROW(client.connect(), std::runtime_error);
  EXPECT_TRUE(client.closed());
  peer.join();
}

}  // namespace
}  // namespace jindou::client
