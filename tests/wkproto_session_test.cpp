// WkClient against the real server (JINDOU_BINARY): CONNACK layouts per version, person and group
// messages over every transport/version mix, encrypted and plaintext, pipelined sends, WebSocket
// batching, refusals and hostile bytes.
#include "client/wk_client.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "model/channel.h"
#include "proto/codec.h"
#include "wkproto_test.h"

namespace jindou::client {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;
namespace json = boost::json;

// --- CONNACK -------------------------------------------------------------------------------

TEST_F(EncryptedTest, ConnackFieldsFollowTheVersion) {
  for (const Transport transport : {Transport::kTcp, Transport::kWebSocket}) {
    for (const uint8_t c : {0, 1, 2, 3, 4, 5, 6}) {
      SCOPED_TRACE("version " + std::to_string(c) +
                   (transport == Transport::kTcp ? " over TCP" : " over WebSocket"));
      ClientOptions o = Options(Id("u"), transport, c);
      o.client_timestamp = NowMs() - 3'600'000;  // an hour behind the server
      WkClient client(o);
      const proto::Connack ack = client.connect();
      EXPECT_EQ(ack.reason_code, ReasonCode::kSuccess);
      EXPECT_EQ(ack.server_version, c > 3 ? std::min<uint8_t>(c, 5) : 0);
      if (c >= 4) {
        EXPECT_NE(ack.node_id, 0u);
      } else {
        EXPECT_EQ(ack.node_id, 0u);
      }
      EXPECT_EQ(ack.server_key.size(), 44u);
      EXPECT_EQ(ack.salt.size(), 16u);
      EXPECT_TRUE(std::all_of(ack.salt.begin(), ack.salt.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch));
      })) << ack.salt;
      // Generous bounds: only the sign and the order of magnitude are behaviour.
      EXPECT_GT(ack.time_diff, 3'000'000);
      EXPECT_LT(ack.time_diff, 4'200'000);
      EXPECT_TRUE(client.connected());
      EXPECT_TRUE(client.ping(kWait));
    }
  }
}

TEST_F(PlaintextTest, ConnackHasEmptyKeyAndSalt) {
  WkClient client(Options(Id("u")));
  const proto::Connack ack = client.connect();
  EXPECT_EQ(ack.reason_code, ReasonCode::kSuccess);
  EXPECT_EQ(ack.server_key, "");
  EXPECT_EQ(ack.salt, "");
}

TEST_F(EncryptedTest, RefusedConnectGetsReasonThenClose) {
  WkClient client(Options("bad@uid"));
  const proto::Connack ack = client.connect();
  EXPECT_EQ(ack.reason_code, ReasonCode::kAuthFail);
  EXPECT_EQ(ack.server_key, "");
  EXPECT_EQ(ack.salt, "");
  EXPECT_TRUE(client.wait_closed(kWait));
  EXPECT_FALSE(client.connected());
}

TEST_F(EncryptedTest, EmptyClientKeyIsRefusedWith21) {
  ClientOptions o = Options(Id("u"));
  o.encryption = false;
  WkClient client(o);
  EXPECT_EQ(client.connect().reason_code, ReasonCode::kClientKeyIsEmpty);
  EXPECT_TRUE(client.wait_closed(kWait));
}

// --- person messages over every transport and version mix --------------------------------------

struct Route {
  Transport from;
  uint8_t from_version;
  Transport to;
  uint8_t to_version;
};

std::string RouteName(const ::testing::TestParamInfo<Route>& info) {
  const auto side = [](Transport t, uint8_t v) {
    return std::string(t == Transport::kTcp ? "Tcp" : "Ws") + std::to_string(v);
  };
  return side(info.param.from, info.param.from_version) + "To" +
         side(info.param.to, info.param.to_version);
}

const Route kRoutes[] = {
    {Transport::kTcp, 5, Transport::kTcp, 5},
    {Transport::kWebSocket, 5, Transport::kWebSocket, 5},
    {Transport::kTcp, 5, Transport::kWebSocket, 2},
    {Transport::kWebSocket, 2, Transport::kTcp, 5},
    {Transport::kWebSocket, 4, Transport::kTcp, 3},
    {Transport::kTcp, 3, Transport::kWebSocket, 4},
};

template <class Base>
class RouteTest : public Base, public ::testing::WithParamInterface<Route> {
 protected:
  // A sends kText to B; B receives it with channel_id = A.
  void PersonMessageArrives() {
    const Route r = GetParam();
    const std::string a = this->Id("a");
    const std::string b = this->Id("b");
    WkClient receiver = this->Connected(this->Options(b, r.to, r.to_version));
    WkClient sender = this->Connected(this->Options(a, r.from, r.from_version));

    SendOptions so;
    so.expire = 3600;
    const PreparedSend sent = sender.prepare_send(b, kChannelPerson, kText, so);
    sender.send_raw(sent.bytes);
    const auto ack = sender.wait_sendack(sent.client_seq, kWait);
    ASSERT_TRUE(ack) << sender.close_reason();
    EXPECT_EQ(ack->reason_code, ReasonCode::kSuccess);
    EXPECT_GT(ack->message_id, 0);
    EXPECT_EQ(ack->message_seq, 1u);
    EXPECT_EQ(ack->flags, proto::kFlagRedDot);

    const auto recv = receiver.wait_recv(kWait);
    ASSERT_TRUE(recv) << receiver.close_reason();
    EXPECT_EQ(recv->from_uid, a);
    EXPECT_EQ(recv->channel_id, a);
    EXPECT_EQ(recv->channel_type, kChannelPerson);
    EXPECT_EQ(recv->payload, kText);
    EXPECT_EQ(recv->client_msg_no, sent.client_msg_no);
    EXPECT_EQ(recv->message_id, ack->message_id);
    EXPECT_EQ(recv->message_seq, 1u);
    EXPECT_EQ(recv->flags, proto::kFlagRedDot);
    EXPECT_GT(recv->timestamp, 0);
    // expire travels only where both sides' layouts have it (v >= 3).
    EXPECT_EQ(recv->expire, r.from_version >= 3 && r.to_version >= 3 ? 3600u : 0u);
    if (this->Encrypted()) {
      EXPECT_EQ(recv->msg_key.size(), 32u);
    } else {
      EXPECT_EQ(recv->msg_key, "");
    }
  }
};

using EncryptedRouteTest = RouteTest<EncryptedTest>;
using PlaintextRouteTest = RouteTest<PlaintextTest>;

TEST_P(EncryptedRouteTest, PersonMessageArrives) {
  PersonMessageArrives();
}
TEST_P(PlaintextRouteTest, PersonMessageArrives) {
  PersonMessageArrives();
}
INSTANTIATE_TEST_SUITE_P(Routes, EncryptedRouteTest, ::testing::ValuesIn(kRoutes), RouteName);
INSTANTIATE_TEST_SUITE_P(Routes, PlaintextRouteTest, ::testing::ValuesIn(kRoutes), RouteName);

TEST_F(EncryptedTest, SendersOtherDeviceSeesThePeerAsChannel) {
  const std::string a = Id("a");
  const std::string b = Id("b");
  ClientOptions web = Options(a, Transport::kWebSocket);
  web.device_flag = 1;
  WkClient other_device = Connected(web);
  WkClient sender = Connected(Options(a));
  const uint32_t seq = sender.send(b, kChannelPerson, kText);
  ASSERT_TRUE(sender.wait_sendack(seq, kWait));
  const auto recv = other_device.wait_recv(kWait);
  ASSERT_TRUE(recv) << other_device.close_reason();
  EXPECT_EQ(recv->from_uid, a);
  EXPECT_EQ(recv->channel_id, b);
  EXPECT_EQ(recv->flags, 0) << "RedDot is cleared for the sender's own devices";
  EXPECT_EQ(recv->payload, kText);
}

TEST_F(EncryptedTest, GroupMessageCarriesTheGroupId) {
  const std::string a = Id("a");
  const std::string b = Id("b");
  const std::string g = Id("g");
  ASSERT_TRUE(jindou::testing::IsOk(http().post(
      "/channel", json::object{{"channel_id", g},
                               {"channel_type", kChannelGroup},
                               {"subscribers", json::array{json::string(a), json::string(b)}}})));
  WkClient member = Connected(Options(b, Transport::kWebSocket));
  WkClient sender = Connected(Options(a));
  const uint32_t seq = sender.send(g, kChannelGroup, kText);
  const auto ack = sender.wait_sendack(seq, kWait);
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->reason_code, ReasonCode::kSuccess);
  const auto recv = member.wait_recv(kWait);
  ASSERT_TRUE(recv) << member.close_reason();
  EXPECT_EQ(recv->channel_id, g);
  EXPECT_EQ(recv->channel_type, kChannelGroup);
  EXPECT_EQ(recv->from_uid, a);
  EXPECT_EQ(recv->payload, kText);

  WkClient outsider = Connected(Options(Id("x")));
  const uint32_t refused = outsider.send(g, kChannelGroup, kText);
  const auto no = outsider.wait_sendack(refused, kWait);
  ASSERT_TRUE(no);
  EXPECT_EQ(no->reason_code, ReasonCode::kSubscriberNotExist);
}

TEST_F(EncryptedTest, HttpSendReachesTheConnectedUser) {
  const std::string b = Id("b");
  const std::string from = Id("http");
  WkClient receiver = Connected(Options(b));
  Send(from, b, kChannelPerson, std::string(kText));
  const auto recv = receiver.wait_recv(kWait);
  ASSERT_TRUE(recv) << receiver.close_reason();
  EXPECT_EQ(recv->from_uid, from);
  EXPECT_EQ(recv->channel_id, from);
  EXPECT_EQ(recv->payload, kText);
}

// --- several sends in flight -----------------------------------------------------------------

template <class Base>
class PipelineTest : public Base {
 protected:
  // N sends without waiting: SENDACKs in order with message_seq 1..N, RECVs in the same order.
  void PipelinedSendsAreAckedInOrder(Transport transport) {
    constexpr uint32_t kCount = 50;
    const std::string a = this->Id("a");
    const std::string b = this->Id("b");
    WkClient receiver = this->Connected(this->Options(b, transport));
    WkClient sender = this->Connected(this->Options(a, transport));
    std::vector<uint32_t> seqs;
    for (uint32_t i = 1; i <= kCount; ++i) {
      seqs.push_back(sender.send(b, kChannelPerson, "m" + std::to_string(i)));
    }
    for (uint32_t i = 1; i <= kCount; ++i) {
      auto p = sender.next_packet(kWait);
      ASSERT_TRUE(p) << "SENDACK " << i << ": " << sender.close_reason();
      ASSERT_TRUE(std::holds_alternative<proto::Sendack>(*p));
      const auto& ack = std::get<proto::Sendack>(*p);
      EXPECT_EQ(ack.client_seq, seqs[i - 1]);
      EXPECT_EQ(ack.reason_code, ReasonCode::kSuccess);
      EXPECT_EQ(ack.message_seq, i);
    }
    for (uint32_t i = 1; i <= kCount; ++i) {
      const auto recv = receiver.wait_recv(kWait);
      ASSERT_TRUE(recv) << "RECV " << i << ": " << receiver.close_reason();
      EXPECT_EQ(recv->message_seq, i);
      EXPECT_EQ(recv->payload, "m" + std::to_string(i));
    }
  }
};

using EncryptedPipelineTest = PipelineTest<EncryptedTest>;
using PlaintextPipelineTest = PipelineTest<PlaintextTest>;

TEST_F(EncryptedPipelineTest, OverTcp) {
  PipelinedSendsAreAckedInOrder(Transport::kTcp);
}
TEST_F(EncryptedPipelineTest, OverWebSocket) {
  PipelinedSendsAreAckedInOrder(Transport::kWebSocket);
}
TEST_F(PlaintextPipelineTest, OverTcp) {
  PipelinedSendsAreAckedInOrder(Transport::kTcp);
}
TEST_F(PlaintextPipelineTest, OverWebSocket) {
  PipelinedSendsAreAckedInOrder(Transport::kWebSocket);
}

// Many more SENDs in flight than the server reads ahead (4,096 by default): every one is still
// acknowledged, in order.
TEST_F(EncryptedTest, SendsFarBeyondTheReadAheadLimitAreAllAcknowledged) {
  constexpr uint32_t kCount = 10000;
  const std::string peer = Id("offline");
  ClientOptions o = Options(Id("a"));
  o.io_timeout = std::chrono::seconds(60);  // writes may wait while the server pauses reading
  WkClient sender = Connected(o);
  std::vector<uint32_t> seqs;
  seqs.reserve(kCount);
  for (uint32_t i = 1; i <= kCount; ++i) seqs.push_back(sender.send(peer, kChannelPerson, kText));
  for (uint32_t i = 1; i <= kCount; ++i) {
    auto ack = sender.wait_sendack(seqs[i - 1], kWait);
    ASSERT_TRUE(ack) << "SENDACK " << i << ": " << sender.close_reason();
    ASSERT_EQ(ack->message_seq, i);
  }
}

// A server that reads at most two unacknowledged SENDs ahead: SENDs written four to a segment
// reach the limit, the connection pauses reading and resumes as SENDACKs leave, and nothing is
// lost or reordered on the way.
class ReadAheadLimitTest : public WkClientTest {
 protected:
  static void SetUpTestSuite() { StartServerWith({"connection.maxInflightSends=2"}); }
};

TEST_F(ReadAheadLimitTest, ReadingPausesAndResumesWithoutLosingSends) {
  constexpr uint32_t kCount = 2000;
  const std::string peer = Id("offline");
  const std::string uid = Id("a");
  WkClient sender = Connected(Options(uid));
  std::vector<uint32_t> seqs;
  seqs.reserve(kCount);
  std::string segment;
  for (uint32_t i = 1; i <= kCount; ++i) {
    PreparedSend p = sender.prepare_send(peer, kChannelPerson, "m" + std::to_string(i));
    seqs.push_back(p.client_seq);
    segment += p.bytes;
    if (i % 4 == 0) {
      sender.send_raw(segment);
      segment.clear();
    }
  }
  for (uint32_t i = 1; i <= kCount; ++i) {
    auto ack = sender.wait_sendack(seqs[i - 1], kWait);
    ASSERT_TRUE(ack) << "SENDACK " << i << ": " << sender.close_reason();
    ASSERT_EQ(ack->reason_code, ReasonCode::kSuccess);
    ASSERT_EQ(ack->message_seq, i);
  }
  const auto varz = http().get("/varz");
  ASSERT_EQ(varz.status, 200);
  EXPECT_GT(varz.json().at("read_pauses").to_number<uint64_t>(), 0u) << varz.body;
  // What was stored is what was sent, in order.
  const json::object query{{"login_uid", uid},        {"channel_id", peer},
                           {"channel_type", kPerson}, {"start_message_seq", 1},
                           {"limit", kCount},         {"pull_mode", 0}};
  const auto synced = http().post("/channel/messagesync", query);
  ASSERT_EQ(synced.status, 200) << synced.body;
  const json::value page = synced.json();
  const json::array& messages = page.at("messages").as_array();
  ASSERT_EQ(messages.size(), kCount);
  for (size_t i = 0; i < messages.size(); ++i) {
    EXPECT_EQ(Int(messages[i], "message_seq"), static_cast<int64_t>(i + 1));
    EXPECT_EQ(Text(messages[i]), "m" + std::to_string(i + 1));
  }
}

TEST_F(EncryptedTest, WebSocketMessageMayHoldSeveralPacketsOrPartOfOne) {
  const std::string b = Id("b");
  WkClient sender = Connected(Options(Id("a"), Transport::kWebSocket));
  // Five SENDs in one message, as SDK 1.3.x batches them.
  std::string batch;
  std::vector<uint32_t> seqs;
  for (int i = 0; i < 5; ++i) {
    PreparedSend p = sender.prepare_send(b, kChannelPerson, kText);
    seqs.push_back(p.client_seq);
    batch += p.bytes;
  }
  sender.send_raw(batch);
  // One SEND split across three messages.
  const PreparedSend split = sender.prepare_send(b, kChannelPerson, kText);
  sender.send_raw(split.bytes.substr(0, 1));
  sender.send_raw(split.bytes.substr(1, 10));
  sender.send_raw(split.bytes.substr(11));
  seqs.push_back(split.client_seq);
  for (const uint32_t seq : seqs) {
    const auto ack = sender.wait_sendack(seq, kWait);
    ASSERT_TRUE(ack) << "client_seq " << seq << ": " << sender.close_reason();
    EXPECT_EQ(ack->reason_code, ReasonCode::kSuccess);
  }
}

TEST_F(EncryptedTest, WrongMsgKeyGetsReason9) {
  WkClient sender = Connected(Options(Id("a")));
  SendOptions so;
  so.msg_key = std::string(32, '0');
  const uint32_t seq = sender.send(Id("b"), kChannelPerson, kText, so);
  const auto ack = sender.wait_sendack(seq, kWait);
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->reason_code, ReasonCode::kPayloadDecodeError);
  EXPECT_EQ(ack->message_id, 0);
  EXPECT_TRUE(sender.ping(kWait)) << "the connection stays open";
}

// --- hostile bytes ---------------------------------------------------------------------------

TEST_F(EncryptedTest, ServerClosesOnProtocolErrors) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"undefined packet type", "\x00garbage"s},
      {"remaining length above 1 MiB", "\x32\xff\xff\xff\x7f"s},
      {"five length bytes", "\x32\xff\xff\xff\xff\x01"s},
      {"body ends inside client_msg_no", "\x32\x05\x00\x00\x00\x00\x01"s},
  };
  for (const auto& [name, bytes] : cases) {
    for (const Transport transport : {Transport::kTcp, Transport::kWebSocket}) {
      SCOPED_TRACE(name + (transport == Transport::kTcp ? " over TCP" : " over WebSocket"));
      WkClient client = Connected(Options(Id("u"), transport));
      client.send_raw(bytes);
      EXPECT_TRUE(client.wait_closed(kWait));
      EXPECT_NE(client.close_reason().find("server"), std::string::npos) << client.close_reason();
    }
  }
}

TEST_F(EncryptedTest, FirstPacketOtherThanConnectIsClosedWithoutReply) {
  proto::Send send;
  send.flags = proto::kFlagRedDot;
  send.client_seq = 1;
  send.client_msg_no = "m1";
  send.channel_id = "peer";
  send.channel_type = kChannelPerson;
  send.payload = "hi";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"PING", "\x70"s},
      {"SEND", proto::encoded(send, proto::kLatestVersion)},
      {"JSON-RPC", R"({"jsonrpc":"2.0","method":"connect"})"s},
  };
  for (const auto& [name, bytes] : cases) {
    for (const Transport transport : {Transport::kTcp, Transport::kWebSocket}) {
      SCOPED_TRACE(name + (transport == Transport::kTcp ? " over TCP" : " over WebSocket"));
      WkClient client(Options(Id("u"), transport));
      client.open();
      client.send_raw(bytes);
      EXPECT_TRUE(client.wait_closed(kWait));
      EXPECT_EQ(client.queued(), 0u) << "no reply before the close";
    }
  }
}

TEST_F(EncryptedTest, ConnectMayFollowOpenOnTheSameConnection) {
  WkClient client(Options(Id("u")));
  client.open();
  EXPECT_EQ(client.connect().reason_code, ReasonCode::kSuccess);
  EXPECT_TRUE(client.ping(kWait));
}

}  // namespace
}  // namespace jindou::client
