#include "gateway/gateway_options.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace jindou::gateway {
namespace {

using namespace std::chrono_literals;

config::ConfigSource source(std::map<std::string, std::string> env,
                            std::map<std::string, std::string> overrides = {}) {
  return config::ConfigSource::load({{}, std::move(env), std::move(overrides)});
}

TEST(GatewayOptions, Defaults) {
  auto s = source({});
  const GatewayOptions o = GatewayOptions::from(s);
  EXPECT_EQ(o.tcp.host, "0.0.0.0");
  EXPECT_EQ(o.tcp.port, 5100);
  EXPECT_EQ(o.ws.port, 5200);
  EXPECT_FALSE(o.wss);
  EXPECT_EQ(o.idle_timeout, 3min);
  EXPECT_EQ(o.max_payload_bytes, 1u << 20);
  EXPECT_EQ(o.max_inflight_sends, 4096u);
  EXPECT_EQ(o.recv_retry_interval, 60s);
  EXPECT_EQ(o.recv_retry_max, 5);
  EXPECT_EQ(o.node_id, 1u);
  EXPECT_FALSE(s.problem());
}

TEST(GatewayOptions, KeysFromTheEnvironment) {
  auto s = source({{"WK_ADDR", "tcp://127.0.0.1:6100"},
                   {"WK_WSADDR", "ws://[::1]:6200"},
                   {"WK_TOKENAUTHON", "true"},
                   {"WK_DISABLEENCRYPTION", "yes"},
                   {"WK_PROXYPROTOCOL", "1"},
                   {"WK_CONNIDLETIME", "90s"},
                   {"WK_DELIVERY_RETRYINTERVAL", "10ms"},
                   {"WK_DELIVERY_RETRYMAXCOUNT", "2"},
                   {"WK_CONNECTION_MAXINFLIGHTSENDS", "64"},
                   {"WK_MESSAGE_MAXPAYLOADBYTES", "1000"},
                   {"WK_MANAGERTOKEN", "t"},
                   {"WK_CLUSTER_NODEID", "9"}});
  const GatewayOptions o = GatewayOptions::from(s);
  ASSERT_FALSE(s.problem()) << *s.problem();
  EXPECT_EQ(o.tcp.host, "127.0.0.1");
  EXPECT_EQ(o.tcp.port, 6100);
  EXPECT_EQ(o.ws.host, "::1");
  EXPECT_TRUE(o.token_auth_on);
  EXPECT_TRUE(o.disable_encryption);
  EXPECT_TRUE(o.trust_proxy_protocol);
  EXPECT_EQ(o.idle_timeout, 90s);
  EXPECT_EQ(o.recv_retry_interval, 100ms);  // never below 100ms
  EXPECT_EQ(o.recv_retry_max, 2);
  EXPECT_EQ(o.max_inflight_sends, 64u);
  EXPECT_EQ(o.max_payload_bytes, 1000u);
  EXPECT_EQ(o.manager_token, "t");
  EXPECT_EQ(o.node_id, 9u);
}

TEST(GatewayOptions, ReadingPausesNeedRoomForTwoSends) {
  auto s = source({}, {{"connection.maxInflightSends", "1"}});
  GatewayOptions::from(s);
  EXPECT_EQ(s.problem(),
            "invalid configuration --connection.maxInflightSends: expected an integer between 2 "
            "and 1000000, got '1'");
}

TEST(GatewayOptions, TlsNeedsAReadableCertificateAndKey) {
  auto missing = source({}, {{"wssAddr", "0.0.0.0:5210"}});
  GatewayOptions::from(missing);
  EXPECT_EQ(missing.problem(),
            "invalid configuration wssAddr: wssConfig.certFile and wssConfig.keyFile are "
            "required");

  const auto dir = std::filesystem::temp_directory_path();
  auto unreadable = source({}, {{"wssAddr", "0.0.0.0:5210"},
                                {"wssConfig.certFile", dir.string()},
                                {"wssConfig.keyFile", dir.string()}});
  GatewayOptions::from(unreadable);
  EXPECT_EQ(unreadable.problem(),
            "invalid configuration wssConfig.certFile: cannot read " + dir.string());

  const auto file = dir / "jindou-gateway-options-test.pem";
  std::ofstream(file) << "pem";
  auto readable = source({}, {{"wssAddr", "wss://127.0.0.1:5210"},
                              {"wssConfig.certFile", file.string()},
                              {"wssConfig.keyFile", file.string()}});
  const GatewayOptions o = GatewayOptions::from(readable);
  std::filesystem::remove(file);
  EXPECT_FALSE(readable.problem());
  ASSERT_TRUE(o.wss);
  EXPECT_EQ(o.wss->port, 5210);

  auto off = source({}, {{"wssAddr", ""}});
  EXPECT_FALSE(GatewayOptions::from(off).wss);
  EXPECT_FALSE(off.problem());

  auto bad = source({}, {{"wssAddr", "nowhere"}});
  GatewayOptions::from(bad);
  EXPECT_EQ(bad.problem(), "invalid configuration --wssAddr: expected host:port, got 'nowhere'");
}

}  // namespace
}  // namespace jindou::gateway
