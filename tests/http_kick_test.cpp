// Kicks through the HTTP API with real clients connected (api.md "Users and connections",
// wkproto.md §7.3): POST /conn/kick (DISCONNECT 12, then the close; device_flag filter; other
// users untouched) and POST /user/device_quit for every device type (with tokenAuthOn the old
// tokens are refused afterwards).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "model/channel.h"
#include "proto/codec.h"
#include "wkproto_test.h"

namespace jindou::client {
namespace {

namespace json = boost::json;

// The next packet of `client` is DISCONNECT with reason 12, and the server closes the connection
// afterwards.
::testing::AssertionResult KickedWithDisconnect(WkClient& client) {
  const auto p = client.next_packet(kWait);
  if (!p) {
    return ::testing::AssertionFailure()
           << client.options().uid << ": no DISCONNECT; " << client.close_reason();
  }
  const auto* d = std::get_if<proto::Disconnect>(&*p);
  if (d == nullptr) {
    return ::testing::AssertionFailure() << client.options().uid << ": expected DISCONNECT, got "
                                         << proto::packet_name(proto::type_of(*p));
  }
  if (d->reason_code != ReasonCode::kConnectKick) {
    return ::testing::AssertionFailure()
           << "DISCONNECT reason " << static_cast<int>(d->reason_code) << ", expected 12";
  }
  if (!client.wait_closed(kWait)) {
    return ::testing::AssertionFailure() << client.options().uid << ": not closed after DISCONNECT";
  }
  return ::testing::AssertionSuccess();
}

class KickTest : public EncryptedTest {
 protected:
  ClientOptions Device(const std::string& uid, uint8_t flag, Transport transport) {
    ClientOptions o = Options(uid, transport);
    o.device_flag = flag;
    return o;
  }

  // `client` is connected and working: PONG, and an HTTP message reaches it.
  ::testing::AssertionResult Works(WkClient& client) {
    if (!client.ping(kWait)) {
      return ::testing::AssertionFailure()
             << client.options().uid << ": no PONG; " << client.close_reason();
    }
    const std::string text = Id("still here");
    Send(Id("svc"), client.options().uid, kChannelPerson, text);
    const auto recv =
        client.wait_recv([&](const proto::Recv& r) { return r.payload == text; }, kWait);
    if (!recv) {
      return ::testing::AssertionFailure()
             << client.options().uid << ": no RECV; " << client.close_reason();
    }
    return ::testing::AssertionSuccess();
  }

  size_t ConnectionsOf(const std::string& uid) {
    const auto r = http().get("/connz?uid=" + uid);
    return r.status == 200 ? r.json().at("connections").as_array().size() : 999;
  }
};

TEST_F(KickTest, ConnKickDisconnectsEveryDeviceOfTheUser) {
  const std::string uid = Id("u");
  WkClient app = Connected(Device(uid, 0, Transport::kTcp));
  WkClient web = Connected(Device(uid, 1, Transport::kWebSocket));
  WkClient other = Connected(Options(Id("other")));
  ASSERT_TRUE(IsOk(http().post("/conn/kick", json::object{{"uid", uid}})));
  EXPECT_TRUE(KickedWithDisconnect(app));
  EXPECT_TRUE(KickedWithDisconnect(web));
  // The WebSocket ends with a close frame (code 1000), not with a bare socket close.
  EXPECT_NE(web.close_reason().find("close frame, code 1000"), std::string::npos)
      << web.close_reason();
  EXPECT_TRUE(Eventually([&] { return ConnectionsOf(uid) == 0; }));
  EXPECT_TRUE(Works(other));
  // A kick ends connections, not the account: the user can connect again.
  WkClient again = Connected(Device(uid, 0, Transport::kTcp));
  EXPECT_TRUE(Works(again));
}

// A kicked connection is offline from the moment it is kicked: once its DISCONNECT arrives the
// server no longer lists it, though it may still wait a moment for the client to go.
TEST_F(KickTest, KickedConnectionIsOfflineOnceItsDisconnectArrives) {
  const std::string uid = Id("u");
  WkClient app = Connected(Device(uid, 0, Transport::kTcp));
  ASSERT_EQ(ConnectionsOf(uid), 1u);
  ASSERT_TRUE(IsOk(http().post("/conn/kick", json::object{{"uid", uid}})));
  const auto p = app.next_packet(kWait);
  ASSERT_TRUE(p && std::holds_alternative<proto::Disconnect>(*p)) << app.close_reason();
  EXPECT_EQ(ConnectionsOf(uid), 0u);
  const auto online = http().post("/user/onlinestatus", json::array{json::value(uid)});
  ASSERT_EQ(online.status, 200) << online.body;
  EXPECT_EQ(online.json(), json::array()) << online.body;
}

TEST_F(KickTest, ConnKickHonoursTheDeviceFlag) {
  const std::string uid = Id("u");
  WkClient app = Connected(Device(uid, 0, Transport::kTcp));
  WkClient web = Connected(Device(uid, 1, Transport::kWebSocket));
  ASSERT_TRUE(IsOk(http().post("/conn/kick", json::object{{"uid", uid}, {"device_flag", 1}})));
  EXPECT_TRUE(KickedWithDisconnect(web));
  // The web connection is closed, so a kick of the APP connection would have shown by now.
  EXPECT_TRUE(Works(app));
  EXPECT_EQ(app.queued(), 0u) << "no DISCONNECT for the APP device";
  EXPECT_EQ(ConnectionsOf(uid), 1u);

  ASSERT_TRUE(IsOk(http().post("/conn/kick", json::object{{"uid", uid}, {"device_flag", -1}})));
  EXPECT_TRUE(KickedWithDisconnect(app)) << "-1 means every device type";
}

TEST_F(KickTest, ConnKickOfAnOfflineUserAndInvalidRequests) {
  EXPECT_TRUE(IsOk(http().post("/conn/kick", json::object{{"uid", Id("nobody")}})));
  EXPECT_TRUE(IsError(http().post("/conn/kick", json::object{{"uid", "a@b"}}), 400, "uid"));
  EXPECT_TRUE(IsError(http().post("/conn/kick", json::object{}), 400, "uid"));
}

class DeviceQuitTest : public KickTest {
 protected:
  static void SetUpTestSuite() { StartServerWith({"tokenAuthOn=true"}); }

  ClientOptions WithToken(const std::string& uid, uint8_t flag, Transport transport) {
    ClientOptions o = Device(uid, flag, transport);
    o.token = "token-" + uid + "-" + std::to_string(flag);
    EXPECT_TRUE(IsOk(http().post(
        "/user/token",
        json::object{
            {"uid", uid}, {"token", o.token}, {"device_flag", flag}, {"device_level", 0}})));
    return o;
  }

  // POST /user/device_quit with `body` for a user with a connection of every device type: each
  // is kicked, each old token is refused afterwards, other users are untouched.
  void QuitsEveryDeviceType(const std::string& uid, json::object body) {
    std::vector<ClientOptions> devices = {WithToken(uid, 0, Transport::kTcp),
                                          WithToken(uid, 1, Transport::kWebSocket),
                                          WithToken(uid, 2, Transport::kWebSocket)};
    std::vector<WkClient> clients;
    for (const auto& o : devices) clients.push_back(Connected(o));
    WkClient other = Connected(WithToken(Id("other"), 0, Transport::kTcp));

    body["uid"] = uid;
    ASSERT_TRUE(IsOk(http().post("/user/device_quit", body)));
    for (auto& c : clients) {
      SCOPED_TRACE("device_flag " + std::to_string(c.options().device_flag));
      EXPECT_TRUE(KickedWithDisconnect(c));
    }
    for (const auto& o : devices) {
      SCOPED_TRACE("device_flag " + std::to_string(o.device_flag));
      WkClient refused(o);
      EXPECT_EQ(refused.connect().reason_code, ReasonCode::kAuthFail) << "the token was cleared";
      EXPECT_TRUE(refused.wait_closed(kWait));
    }
    EXPECT_TRUE(Works(other));
    // A newly registered token works again.
    WkClient back = Connected(WithToken(uid, 0, Transport::kTcp));
    EXPECT_TRUE(back.ping(kWait));
  }
};

TEST_F(DeviceQuitTest, MinusOneQuitsEveryDeviceTypeAndClearsItsTokens) {
  QuitsEveryDeviceType(Id("u"), json::object{{"device_flag", -1}});
}

TEST_F(DeviceQuitTest, AbsentDeviceFlagMeansEveryDeviceType) {
  QuitsEveryDeviceType(Id("u"), json::object{});
}

TEST_F(DeviceQuitTest, OneDeviceTypeLeavesTheOthers) {
  const std::string uid = Id("u");
  const ClientOptions app_options = WithToken(uid, 0, Transport::kTcp);
  const ClientOptions web_options = WithToken(uid, 1, Transport::kWebSocket);
  WkClient app = Connected(app_options);
  WkClient web = Connected(web_options);
  ASSERT_TRUE(
      IsOk(http().post("/user/device_quit", json::object{{"uid", uid}, {"device_flag", 1}})));
  EXPECT_TRUE(KickedWithDisconnect(web));
  EXPECT_TRUE(Works(app));
  EXPECT_EQ(app.queued(), 0u) << "no DISCONNECT for the APP device";
  WkClient app_again = Connected(app_options);  // the APP token is still registered
  EXPECT_TRUE(app_again.ping(kWait));
  WkClient web_again(web_options);
  EXPECT_EQ(web_again.connect().reason_code, ReasonCode::kAuthFail);
}

}  // namespace
}  // namespace jindou::client
