// Session rules of wkproto.md as the real server applies them, observed through WkClient: header
// flags and setting bits (§2.2, §4.4), SEND checks (§7.4), deduplication (§7.5), self-chat (§7.7),
// DISCONNECT and repeated CONNECT (§4.9, §7.1), token auth and kicks (§7.2, §7.3).
#include <gtest/gtest.h>

#include <string>

#include "model/channel.h"
#include "proto/codec.h"
#include "wkproto_test.h"

namespace jindou::client {
namespace {

namespace json = boost::json;

class RulesTest : public EncryptedTest {
 protected:
  // Sends from `sender` and returns the SENDACK (a failed wait fails the test).
  proto::Sendack SendAndAck(WkClient& sender, const std::string& channel, uint8_t type,
                            std::string_view payload, const SendOptions& options = {}) {
    const uint32_t seq = sender.send(channel, type, payload, options);
    auto ack = sender.wait_sendack(seq, kWait);
    EXPECT_TRUE(ack) << "no SENDACK for client_seq " << seq << ": " << sender.close_reason();
    return ack.value_or(proto::Sendack{});
  }
};

TEST_F(RulesTest, NoPersistAndSyncOnceTravelInTheHeaders) {
  const std::string b = Id("b");
  WkClient receiver = Connected(Options(b));
  WkClient sender = Connected(Options(Id("a")));
  SendOptions so;
  so.no_persist = true;
  so.sync_once = true;
  const proto::Sendack ack = SendAndAck(sender, b, kChannelPerson, kText, so);
  EXPECT_EQ(ack.reason_code, ReasonCode::kSuccess);
  EXPECT_EQ(ack.flags, proto::kFlagNoPersist | proto::kFlagRedDot | proto::kFlagSyncOnce);
  EXPECT_GT(ack.message_id, 0);
  EXPECT_EQ(ack.message_seq, 0u) << "NoPersist messages have no message_seq";
  const auto recv = receiver.wait_recv(kWait);
  ASSERT_TRUE(recv);
  EXPECT_EQ(recv->flags, proto::kFlagNoPersist | proto::kFlagRedDot | proto::kFlagSyncOnce);
  EXPECT_EQ(recv->message_seq, 0u);
  EXPECT_EQ(recv->payload, kText);
}

TEST_F(RulesTest, TopicAndReceiptBitsAreCopiedToRecv) {
  const std::string b = Id("b");
  WkClient receiver = Connected(Options(b, Transport::kWebSocket, 4));
  WkClient sender = Connected(Options(Id("a")));
  SendOptions so;
  so.setting = kSettingReceipt;
  so.topic = "news";
  EXPECT_EQ(SendAndAck(sender, b, kChannelPerson, kText, so).reason_code, ReasonCode::kSuccess);
  const auto recv = receiver.wait_recv(kWait);
  ASSERT_TRUE(recv);
  EXPECT_EQ(recv->setting, kSettingReceipt | kSettingTopic);
  EXPECT_EQ(recv->topic, "news");
  EXPECT_EQ(recv->payload, kText);
}

TEST_F(RulesTest, LegacyStreamBitIsRefusedWith20AndNothingIsStored) {
  const std::string b = Id("b");
  WkClient sender = Connected(Options(Id("a"), Transport::kWebSocket, 2));
  SendOptions so;
  so.setting = kSettingLegacyStream;
  so.stream_no = "s1";
  const proto::Sendack refused = SendAndAck(sender, b, kChannelPerson, kText, so);
  EXPECT_EQ(refused.reason_code, ReasonCode::kNotSupportHeader);
  EXPECT_EQ(refused.message_id, 0);
  // The channel is still empty: the next message gets seq 1.
  EXPECT_EQ(SendAndAck(sender, b, kChannelPerson, kText).message_seq, 1u);
}

TEST_F(RulesTest, StreamBitBelowVersion5IsReadAndDropped) {
  const std::string b = Id("b");
  WkClient receiver = Connected(Options(b));
  WkClient sender = Connected(Options(Id("a"), Transport::kTcp, 4));
  SendOptions so;
  so.setting = kSettingStream;
  so.stream_no = "stream-1";
  const proto::Sendack ack = SendAndAck(sender, b, kChannelPerson, kText, so);
  EXPECT_EQ(ack.reason_code, ReasonCode::kSuccess);
  const auto recv = receiver.wait_recv(kWait);
  ASSERT_TRUE(recv);
  EXPECT_EQ(recv->setting, 0);
  EXPECT_EQ(recv->payload, kText);
}

TEST_F(RulesTest, InvalidChannelsAreRefused) {
  WkClient sender = Connected(Options(Id("a")));
  EXPECT_EQ(SendAndAck(sender, "x@y", kChannelPerson, kText).reason_code,
            ReasonCode::kChannelIdError);
  EXPECT_EQ(SendAndAck(sender, "", kChannelGroup, kText).reason_code, ReasonCode::kChannelIdError);
  EXPECT_EQ(SendAndAck(sender, Id("b"), 0, kText).reason_code, ReasonCode::kNotSupportChannelType);
  EXPECT_EQ(SendAndAck(sender, Id("b"), 13, kText).reason_code, ReasonCode::kNotSupportChannelType);
  EXPECT_TRUE(sender.ping(kWait)) << "refusals keep the connection";
}

TEST_F(RulesTest, ResentClientMsgNoIsAnsweredWithTheOriginalIds) {
  const std::string b = Id("b");
  WkClient receiver = Connected(Options(b));
  WkClient sender = Connected(Options(Id("a")));
  SendOptions so;
  so.client_msg_no = Id("cmn");
  const proto::Sendack first = SendAndAck(sender, b, kChannelPerson, "once", so);
  // The JS SDKs resend with the same client_seq after a reconnect.
  so.client_seq = first.client_seq;
  const proto::Sendack again = SendAndAck(sender, b, kChannelPerson, "once", so);
  EXPECT_EQ(again.reason_code, ReasonCode::kSuccess);
  EXPECT_EQ(again.message_id, first.message_id);
  EXPECT_EQ(again.message_seq, first.message_seq);
  const proto::Sendack next = SendAndAck(sender, b, kChannelPerson, "next");
  EXPECT_EQ(next.message_seq, first.message_seq + 1);
  // The receiver sees the message once, then the next one.
  const auto r1 = receiver.wait_recv(kWait);
  const auto r2 = receiver.wait_recv(kWait);
  ASSERT_TRUE(r1 && r2);
  EXPECT_EQ(r1->payload, "once");
  EXPECT_EQ(r2->payload, "next");
}

TEST_F(RulesTest, SelfChatArrivesOnTheOtherDeviceWithOwnUid) {
  const std::string a = Id("a");
  ClientOptions pc = Options(a, Transport::kWebSocket);
  pc.device_flag = 2;
  WkClient other = Connected(pc);
  WkClient sender = Connected(Options(a));
  EXPECT_EQ(SendAndAck(sender, a, kChannelPerson, kText).reason_code, ReasonCode::kSuccess);
  const auto recv = other.wait_recv(kWait);
  ASSERT_TRUE(recv);
  EXPECT_EQ(recv->channel_id, a);
  EXPECT_EQ(recv->from_uid, a);
}

TEST_F(RulesTest, ClientDisconnectClosesTheConnection) {
  WkClient client = Connected(Options(Id("u")));
  client.send_raw(proto::encoded(proto::Disconnect{ReasonCode::kSuccess, ""}, 5));
  EXPECT_TRUE(client.wait_closed(kWait));
}

TEST_F(RulesTest, SecondConnectIsIgnored) {
  const std::string uid = Id("u");
  WkClient client = Connected(Options(uid));
  proto::Connect again;
  again.version = 5;
  again.uid = uid;
  again.client_key = "x";
  client.send_raw(proto::encoded(again, 5));
  ASSERT_TRUE(client.ping(kWait));
  EXPECT_EQ(client.queued(), 0u) << "no second CONNACK before the PONG";
  EXPECT_TRUE(client.connected());
}

TEST_F(RulesTest, SlaveDevicesOfOneTypeCoexist) {
  const std::string uid = Id("u");
  WkClient first = Connected(Options(uid));
  WkClient second = Connected(Options(uid));  // another random device_id
  EXPECT_TRUE(first.ping(kWait));
  EXPECT_TRUE(second.ping(kWait));
}

TEST_F(RulesTest, SameDeviceReconnectClosesTheOldConnectionQuietly) {
  const std::string uid = Id("u");
  ClientOptions o = Options(uid);
  o.device_id = Id("device");
  WkClient old_connection = Connected(o);
  WkClient new_connection = Connected(o);
  EXPECT_TRUE(old_connection.wait_closed(kWait));
  EXPECT_EQ(old_connection.queued(), 0u) << "no DISCONNECT for the same device";
  EXPECT_TRUE(new_connection.ping(kWait));
}

TEST_F(RulesTest, ChannelStateAndListsAreChecked) {
  const std::string banned = Id("banned");
  const std::string mute = Id("mute");
  const std::string b = Id("b");
  const std::string a = Id("a");
  const auto info = [this](const std::string& id, const char* flag) {
    ASSERT_TRUE(IsOk(http().post(
        "/channel/info",
        json::object{{"channel_id", id}, {"channel_type", kChannelPerson}, {flag, 1}})));
  };
  info(banned, "ban");
  info(mute, "send_ban");
  ASSERT_TRUE(IsOk(
      http().post("/channel/blacklist_add", json::object{{"channel_id", b},
                                                         {"channel_type", kChannelPerson},
                                                         {"uids", json::array{json::string(a)}}})));

  WkClient refused(Options(banned));
  EXPECT_EQ(refused.connect().reason_code, ReasonCode::kBan);
  EXPECT_TRUE(refused.wait_closed(kWait));
  WkClient muted = Connected(Options(mute));
  EXPECT_EQ(SendAndAck(muted, b, kChannelPerson, kText).reason_code, ReasonCode::kSendBan);
  WkClient denied = Connected(Options(a));
  EXPECT_EQ(SendAndAck(denied, b, kChannelPerson, kText).reason_code, ReasonCode::kInBlacklist);
}

TEST_F(RulesTest, PacketsOfServerTypesAndSubAreIgnored) {
  WkClient client = Connected(Options(Id("u"), Transport::kWebSocket));
  proto::Sub sub;
  sub.sub_no = "1";
  sub.channel_id = Id("g");
  sub.channel_type = kChannelGroup;
  client.send_raw(proto::encoded(sub, 5));
  client.send_raw(proto::encoded(proto::Sendack{}, 5));
  client.send_raw(proto::encoded(proto::Pong{}, 5));
  ASSERT_TRUE(client.ping(kWait));
  EXPECT_EQ(client.queued(), 0u) << "nothing but the PONG answers them";
}

TEST_F(RulesTest, WebSocketUpgradeIsAcceptedOnAnyPath) {
  ClientOptions o = Options(Id("u"), Transport::kWebSocket);
  o.ws_path = "/ws/im?token=abc";
  WkClient client = Connected(o);
  EXPECT_TRUE(client.ping(kWait));
}

TEST_F(RulesTest, UntrustedProxyHeaderIsAProtocolError) {
  WkClient client(Options(Id("u")));
  client.open();
  client.send_raw("PROXY TCP4 10.0.0.1 10.0.0.2 40000 5100\r\n");
  EXPECT_TRUE(client.wait_closed(kWait));
  EXPECT_EQ(client.queued(), 0u);
}

TEST_F(RulesTest, SystemSenderArrivesWithEmptyUidAndChannel) {
  const std::string b = Id("b");
  WkClient receiver = Connected(Options(b));
  Send("", b, kChannelPerson, std::string(kText));
  const auto recv = receiver.wait_recv(kWait);
  ASSERT_TRUE(recv);
  EXPECT_EQ(recv->from_uid, "");
  EXPECT_EQ(recv->channel_id, "");
  EXPECT_EQ(recv->payload, kText);
}

// wkproto.md §2.4: the server never emits a packet above 1 MiB, even when a message near the
// limit grows by encryption on its way to another client (this client, like WuKongIM's decoder,
// refuses such a packet as a protocol error).
TEST_F(RulesTest, NoRecvExceedsOneMiB) {
  const std::string b = Id("b");
  WkClient receiver = Connected(Options(b));
  WkClient sender = Connected(Options(Id("a")));
  const auto body_size = [](const std::string& packet) {
    size_t i = 1;
    while ((static_cast<unsigned char>(packet[i]) & 0x80) != 0) ++i;
    return packet.size() - i - 1;
  };
  // Plaintext length whose encrypted SEND body is as close to 1 MiB as the cipher allows.
  SendOptions so;
  so.client_msg_no = Id("cmn");
  std::string payload(proto::kMaxRemainingLength / 4 * 3 - 1024, 'x');
  while (
      body_size(sender.prepare_send(b, kChannelPerson, payload + std::string(16, 'x'), so).bytes) <=
      proto::kMaxRemainingLength) {
    payload.append(16, 'x');
  }
  const uint32_t seq = sender.send(b, kChannelPerson, payload, so);
  const auto ack = sender.wait_sendack(seq, kWait);
  ASSERT_TRUE(ack) << sender.close_reason();
  EXPECT_NO_THROW((void)receiver.next_packet(std::chrono::seconds(2)));
  EXPECT_TRUE(receiver.ping(kWait)) << receiver.close_reason();
}

class PlaintextRulesTest : public PlaintextTest {};

class ProxyProtocolTest : public WkClientTest {
 protected:
  static void SetUpTestSuite() { StartServerWith({"proxyProtocol=true"}); }
};

TEST_F(ProxyProtocolTest, TrustedHeaderNamesTheClientAddress) {
  const std::string uid = Id("proxied");
  WkClient client(Options(uid));
  client.open();
  client.send_raw("PROXY TCP4 10.1.2.3 10.0.0.2 40000 5100\r\n");
  ASSERT_EQ(client.connect().reason_code, ReasonCode::kSuccess) << client.close_reason();
  const auto connz = http().get("/connz?uid=" + uid);
  ASSERT_EQ(connz.status, 200);
  EXPECT_NE(connz.body.find("\"remote\":\"10.1.2.3:40000\""), std::string::npos) << connz.body;
  EXPECT_TRUE(client.ping(kWait));
}

TEST_F(PlaintextRulesTest, PacketsBehindConnectInTheSameWriteAreProcessed) {
  const std::string uid = Id("a");
  WkClient client(Options(uid));
  client.open();
  proto::Connect connect;
  connect.version = 5;
  connect.uid = uid;
  connect.device_id = Id("device");
  connect.client_timestamp = NowMs();
  proto::Send send;
  send.flags = proto::kFlagRedDot;
  send.client_seq = 1;
  send.client_msg_no = Id("cmn");
  send.channel_id = Id("b");
  send.channel_type = kChannelPerson;
  send.payload = kText;
  client.send_raw(proto::encoded(connect, 5) + proto::encoded(send, 5) +
                  proto::encoded(proto::Ping{}, 5));
  const auto first = client.next_packet(kWait);
  ASSERT_TRUE(first) << client.close_reason();
  ASSERT_TRUE(std::holds_alternative<proto::Connack>(*first));
  EXPECT_EQ(std::get<proto::Connack>(*first).reason_code, ReasonCode::kSuccess);
  const auto ack = client.wait_sendack(1, kWait);
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->reason_code, ReasonCode::kSuccess);
  EXPECT_TRUE(client.wait_packet(
      [](const proto::Packet& p) { return std::holds_alternative<proto::Pong>(p); }, kWait));
}

class TokenAuthTest : public WkClientTest {
 protected:
  static void SetUpTestSuite() { StartServerWith({"tokenAuthOn=true"}); }

  void SetToken(const std::string& uid, const std::string& token, int device_level) {
    ASSERT_TRUE(IsOk(http().post(
        "/user/token",
        json::object{
            {"uid", uid}, {"token", token}, {"device_flag", 0}, {"device_level", device_level}})));
  }
};

TEST_F(TokenAuthTest, TokenMustMatchTheRegisteredOne) {
  const std::string uid = Id("u");
  ClientOptions o = Options(uid);
  o.token = "secret";
  WkClient unknown(o);
  EXPECT_EQ(unknown.connect().reason_code, ReasonCode::kAuthFail);
  EXPECT_TRUE(unknown.wait_closed(kWait));

  SetToken(uid, "secret", 0);
  WkClient good = Connected(o);
  EXPECT_TRUE(good.ping(kWait));
  o.token = "wrong";
  WkClient wrong(o);
  EXPECT_EQ(wrong.connect().reason_code, ReasonCode::kAuthFail);
}

TEST_F(TokenAuthTest, MasterLoginKicksTheOtherDeviceWithDisconnect) {
  const std::string uid = Id("u");
  SetToken(uid, "t", 1);
  ClientOptions o = Options(uid);
  o.token = "t";
  WkClient first = Connected(o);
  o.device_id = Id("device");
  WkClient second = Connected(o);
  const auto p = first.next_packet(kWait);
  ASSERT_TRUE(p) << first.close_reason();
  ASSERT_TRUE(std::holds_alternative<proto::Disconnect>(*p))
      << proto::packet_name(proto::type_of(*p));
  EXPECT_EQ(std::get<proto::Disconnect>(*p).reason_code, ReasonCode::kConnectKick);
  EXPECT_TRUE(first.wait_closed(kWait));
  EXPECT_TRUE(second.ping(kWait));
}

TEST_F(TokenAuthTest, DeviceQuitKicksWithEmptyReason) {
  const std::string uid = Id("u");
  SetToken(uid, "t", 0);
  ClientOptions o = Options(uid);
  o.token = "t";
  WkClient client = Connected(o);
  ASSERT_TRUE(
      IsOk(http().post("/user/device_quit", json::object{{"uid", uid}, {"device_flag", 0}})));
  const auto p = client.next_packet(kWait);
  ASSERT_TRUE(p) << client.close_reason();
  ASSERT_TRUE(std::holds_alternative<proto::Disconnect>(*p));
  EXPECT_EQ(std::get<proto::Disconnect>(*p).reason_code, ReasonCode::kConnectKick);
  EXPECT_EQ(std::get<proto::Disconnect>(*p).reason, "");
  EXPECT_TRUE(client.wait_closed(kWait));
}

// A master registration over HTTP kicks the user's connections of that device type with
// DISCONNECT 12. The text is English, the same as the CONNECT-time kick (WuKongIM sends a
// Chinese sentence here; see docs/protocol.md).
TEST_F(TokenAuthTest, MasterTokenRegistrationKicksTheUsersConnections) {
  const std::string uid = Id("u");
  SetToken(uid, "t", 0);
  ClientOptions o = Options(uid);
  o.token = "t";
  WkClient client = Connected(o);
  SetToken(uid, "t2", 1);
  const auto p = client.next_packet(kWait);
  ASSERT_TRUE(p) << client.close_reason();
  ASSERT_TRUE(std::holds_alternative<proto::Disconnect>(*p));
  EXPECT_EQ(std::get<proto::Disconnect>(*p).reason_code, ReasonCode::kConnectKick);
  EXPECT_EQ(std::get<proto::Disconnect>(*p).reason, "login in other device");
}

class IdleTest : public WkClientTest {
 protected:
  static void SetUpTestSuite() { StartServerWith({"connIdleTime=1s"}); }
};

TEST_F(IdleTest, SilentConnectionIsClosed) {
  WkClient client = Connected(Options(Id("u")));
  EXPECT_TRUE(client.wait_closed(kWait));
  EXPECT_EQ(client.queued(), 0u);
}

}  // namespace
}  // namespace jindou::client
