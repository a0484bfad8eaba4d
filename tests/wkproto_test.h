// Fixtures of the client-protocol black-box tests: one real server (JINDOU_BINARY) per suite,
// encrypted or with disableEncryption, and WkClients aimed at its TCP, WebSocket or WebSocket over
// TLS listener.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "blackbox_test.h"
#include "client/wk_client.h"
#include "proto/packet.h"

namespace jindou::client {

// The black-box helpers the client-protocol tests use.
using jindou::testing::Eventually;
using jindou::testing::Int;
using jindou::testing::IsError;
using jindou::testing::IsOk;
using jindou::testing::kPerson;
using jindou::testing::SendBody;
using jindou::testing::ServerOptions;
using jindou::testing::ServerProcess;
using jindou::testing::Str;
using jindou::testing::Text;

inline constexpr std::chrono::milliseconds kWait = std::chrono::seconds(10);
// Non-ASCII on purpose: the payload must arrive byte for byte.
inline constexpr std::string_view kText = R"({"content":"héllo 世界 🚀","type":1})";

inline int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class WkClientTest : public jindou::testing::BlackBoxTest {
 protected:
  virtual bool Encrypted() const { return true; }

  ClientOptions Options(const std::string& uid, Transport transport = Transport::kTcp,
                        uint8_t version = proto::kLatestVersion) {
    ClientOptions o;
    o.host = server().host();
    switch (transport) {
      case Transport::kTcp:
        o.port = server().tcp_port();
        break;
      case Transport::kWebSocket:
        o.port = server().ws_port();
        break;
      case Transport::kWebSocketTls:
        o.port = server().wss_port();  // 0 unless the suite's server has ServerOptions::wss
        break;
    }
    o.transport = transport;
    o.version = version;
    o.uid = uid;
    o.encryption = Encrypted();
    return o;
  }

  // A client whose CONNECT succeeded (the test fails otherwise).
  WkClient Connected(ClientOptions options) {
    WkClient c(std::move(options));
    const proto::Connack ack = c.connect();
    EXPECT_EQ(ack.reason_code, ReasonCode::kSuccess) << "uid " << c.options().uid;
    return c;
  }
};

class EncryptedTest : public WkClientTest {
 protected:
  static void SetUpTestSuite() { StartServer(); }
};

class PlaintextTest : public WkClientTest {
 protected:
  static void SetUpTestSuite() { StartServerWith({"disableEncryption=true"}); }
  bool Encrypted() const override { return false; }
};

}  // namespace jindou::client
