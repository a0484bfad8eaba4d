// The client listeners' guards on the real server (wkproto.md §1.5, §2.4, §2.6, §7.1): a
// connection that does not CONNECT is closed by the pre-auth timeout (10 s from the accept), one
// that starts with `{` (JSON-RPC) at once, and a connection closed for bad bytes takes nobody
// else with it.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "model/channel.h"
#include "proto/codec.h"
#include "wkproto_test.h"

namespace jindou::client {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;
using Clock = std::chrono::steady_clock;

// The pre-auth timeout of wkproto.md §7.1 and protocol.md "Connecting", plus a margin for a busy
// machine. Only an upper bound: nothing here measures how early a close comes.
constexpr auto kPreAuthDeadline = 10s + 30s;
// "Closed at once": well below the pre-auth timeout, so that timeout cannot be what closed it.
constexpr auto kAtOnce = 5s;

std::string TransportName(Transport t) {
  return t == Transport::kTcp ? "TCP" : "WebSocket";
}

class GatewayTest : public EncryptedTest {
 protected:
  // a → b and b → a with SENDACK 1 and the RECV's bytes intact.
  void BothWays(WkClient& a, WkClient& b) {
    for (auto [from, to] : {std::pair{&a, &b}, std::pair{&b, &a}}) {
      const uint32_t seq = from->send(to->options().uid, kChannelPerson, kText);
      const auto ack = from->wait_sendack(seq, kWait);
      ASSERT_TRUE(ack) << from->options().uid << ": " << from->close_reason();
      EXPECT_EQ(ack->reason_code, ReasonCode::kSuccess);
      const auto recv = to->wait_recv(kWait);
      ASSERT_TRUE(recv) << to->options().uid << ": " << to->close_reason();
      EXPECT_EQ(recv->message_id, ack->message_id);
      EXPECT_EQ(recv->payload, kText);
    }
  }

  uint64_t ProtocolErrors() {
    return http().get("/varz").json().at("protocol_errors").to_number<uint64_t>();
  }
};

TEST_F(GatewayTest, ConnectionsWithoutConnectAreClosedByThePreAuthTimeout) {
  const auto start = Clock::now();
  // Opened together, so the one deadline covers all of them.
  WkClient silent_tcp(Options(Id("u"), Transport::kTcp));
  silent_tcp.open();
  WkClient silent_ws(Options(Id("u"), Transport::kWebSocket));
  silent_ws.open();  // upgraded, then silent
  WkClient partial(Options(Id("u"), Transport::kTcp));
  partial.open();
  proto::Connect connect;
  connect.version = 5;
  connect.uid = Id("u");
  connect.device_id = Id("device");
  partial.send_raw(proto::encoded(connect, 5).substr(0, 6));  // the start of a CONNECT
  for (WkClient* c : {&silent_tcp, &silent_ws, &partial}) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        start + kPreAuthDeadline - Clock::now());
    EXPECT_TRUE(c->wait_closed(left))
        << TransportName(c->options().transport) << ": still open long after the pre-auth timeout";
    EXPECT_EQ(c->queued(), 0u) << "closed without a reply";
  }
}

TEST_F(GatewayTest, FirstByteBraceIsClosedAtOnce) {
  for (const Transport transport : {Transport::kTcp, Transport::kWebSocket}) {
    SCOPED_TRACE(TransportName(transport));
    WkClient client(Options(Id("u"), transport));
    client.open();
    client.send_raw("{");
    EXPECT_TRUE(client.wait_closed(kAtOnce)) << "JSON-RPC is not supported: close the connection";
    EXPECT_EQ(client.queued(), 0u);
  }
}

TEST_F(GatewayTest, BadBytesOnOneConnectionLeaveTheOthersAlone) {
  WkClient a = Connected(Options(Id("a"), Transport::kTcp));
  WkClient b = Connected(Options(Id("b"), Transport::kWebSocket));
  const uint64_t errors_before = ProtocolErrors();
  const std::vector<std::pair<std::string, std::string>> protocol_errors = {
      {"undefined packet type", "\x00garbage"s},
      {"random garbage", "\xd7\x13\x8a\xff\x00\x42\x99\xee"s},
      {"remaining length above 1 MiB", "\x32\x81\x80\x40"s},
      {"five length bytes", "\x32\xff\xff\xff\xff\x01"s},
      {"body ends inside client_msg_no", "\x32\x05\x00\x00\x00\x00\x01"s},
  };
  int errors = 0;
  for (const auto& [name, bytes] : protocol_errors) {
    for (const Transport transport : {Transport::kTcp, Transport::kWebSocket}) {
      SCOPED_TRACE(name + " over " + TransportName(transport));
      WkClient bad = Connected(Options(Id("bad"), transport));
      bad.send_raw(bytes);
      EXPECT_TRUE(bad.wait_closed(kWait));
      ++errors;
      BothWays(a, b);
    }
  }
  {
    SCOPED_TRACE("garbage instead of CONNECT");
    WkClient bad(Options(Id("bad")));
    bad.open();
    bad.send_raw("\xff\xff\xff\xff garbage"s);
    EXPECT_TRUE(bad.wait_closed(kWait));
    BothWays(a, b);
  }
  {
    SCOPED_TRACE("half a SEND, then the client goes away");
    WkClient half = Connected(Options(Id("half")));
    const PreparedSend p = half.prepare_send(Id("peer"), kChannelPerson, kText);
    half.send_raw(p.bytes.substr(0, p.bytes.size() / 2));
    half.disconnect();
    BothWays(a, b);
  }
  {
    SCOPED_TRACE("a packet split across writes still works after all that");
    WkClient split = Connected(Options(Id("split")));
    const PreparedSend p = split.prepare_send(b.options().uid, kChannelPerson, kText);
    split.send_raw(p.bytes.substr(0, 3));
    split.send_raw(p.bytes.substr(3));
    const auto ack = split.wait_sendack(p.client_seq, kWait);
    ASSERT_TRUE(ack) << split.close_reason();
    EXPECT_EQ(ack->reason_code, ReasonCode::kSuccess);
    ASSERT_TRUE(b.wait_recv(kWait));
  }
  EXPECT_TRUE(jindou::testing::Eventually([&] {
    return ProtocolErrors() >= errors_before + static_cast<uint64_t>(errors);
  })) << "/varz protocol_errors counts each connection closed for bad bytes";
  EXPECT_TRUE(a.ping(kWait));
  EXPECT_TRUE(b.ping(kWait));
}

// Shutdown waits (up to 10 s) only for connections that are really open: clients that came and
// went before SIGTERM must not be counted, and the ones still connected are closed.
TEST(GatewayShutdownTest, SigtermCountsOnlyTheClientsStillConnected) {
  ServerProcess server;
  server.start();
  auto options = [&](const std::string& uid, Transport transport) {
    ClientOptions o;
    o.host = server.host();
    o.port = transport == Transport::kTcp ? server.tcp_port() : server.ws_port();
    o.transport = transport;
    o.uid = uid;
    return o;
  };
  jindou::testing::HttpClient http(server.host(), server.http_port());
  auto connections = [&] { return Int(http.get("/varz").json(), "connections"); };
  {
    WkClient gone_tcp(options("gone-tcp", Transport::kTcp));
    ASSERT_EQ(gone_tcp.connect().reason_code, ReasonCode::kSuccess);
    WkClient gone_ws(options("gone-ws", Transport::kWebSocket));
    ASSERT_EQ(gone_ws.connect().reason_code, ReasonCode::kSuccess);
    WkClient never_connected(options("silent", Transport::kTcp));
    never_connected.open();
    gone_tcp.disconnect();
    gone_ws.disconnect();
    never_connected.disconnect();
  }
  WkClient stays(options("stays", Transport::kTcp));
  ASSERT_EQ(stays.connect().reason_code, ReasonCode::kSuccess);
  ASSERT_TRUE(Eventually([&] { return connections() == 1; })) << server.log();
  EXPECT_EQ(server.stop(), 0) << server.log();
  EXPECT_TRUE(stays.wait_closed(kWait)) << "the connected client is closed";
  const std::string log = server.log();
  EXPECT_EQ(log.find("still open after"), std::string::npos)
      << "shutdown waited for connections that had already closed\n"
      << log;
}

}  // namespace
}  // namespace jindou::client
