// What a node tells clients to dial: derived from the listen addresses, or external.*.
#include "server/node_addresses.h"

#include <gtest/gtest.h>

namespace jindou::server {
namespace {

Config load(std::map<std::string, std::string> overrides) {
  auto loaded = load_config({{}, {}, std::move(overrides)});
  EXPECT_TRUE(loaded.ok()) << (loaded.ok() ? "" : loaded.error().message);
  return loaded.ok() ? loaded->config : Config{};
}

TEST(NodeAddresses, DerivedFromTheListenAddresses) {
  const auto a = node_addresses(load({{"httpAddr", "10.0.0.5:5001"},
                                      {"addr", "tcp://0.0.0.0:5100"},
                                      {"wsAddr", "ws://[::]:5200"}}));
  EXPECT_EQ(a.api_url, "http://10.0.0.5:5001");
  EXPECT_EQ(a.tcp_addr, "127.0.0.1:5100");  // a wildcard host becomes the loopback address
  EXPECT_EQ(a.ws_addr, "ws://127.0.0.1:5200");
  EXPECT_EQ(a.wss_addr, "");  // no wssAddr
}

TEST(NodeAddresses, ExternalAddressesWin) {
  const auto a = node_addresses(load({{"external.tcpAddr", "tcp://im.example.com:15100"},
                                      {"external.wsAddr", "im.example.com:15200"},
                                      {"external.wssAddr", "wss://im.example.com"},
                                      {"external.apiUrl", "https://api.example.com"}}));
  EXPECT_EQ(a.api_url, "https://api.example.com");
  EXPECT_EQ(a.tcp_addr, "im.example.com:15100");
  EXPECT_EQ(a.ws_addr, "ws://im.example.com:15200");
  EXPECT_EQ(a.wss_addr, "wss://im.example.com");
}

TEST(NodeAddresses, ExternalWssWithoutSchemeGetsOne) {
  const auto a = node_addresses(load({{"external.wssAddr", "im.example.com:443"}}));
  EXPECT_EQ(a.wss_addr, "wss://im.example.com:443");
  EXPECT_EQ(a.tcp_addr, "127.0.0.1:5100");
}

}  // namespace
}  // namespace jindou::server
