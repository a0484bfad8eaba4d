// The client gateway's settings and the configuration keys behind them (GatewayOptions::from).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "config/config_source.h"

namespace jindou::gateway {

struct ListenAddress {
  std::string host;
  uint16_t port = 0;
};

struct GatewayOptions {
  ListenAddress tcp{"0.0.0.0", 5100};
  ListenAddress ws{"0.0.0.0", 5200};
  std::optional<ListenAddress> wss;
  std::string wss_cert_file;
  std::string wss_key_file;
  bool token_auth_on = false;
  bool disable_encryption = false;
  std::string manager_token;
  uint64_t node_id = 1;
  bool trust_proxy_protocol = false;  // TCP: accept a PROXY v1/v2 header before CONNECT
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(3)};
  std::chrono::milliseconds preauth_timeout{std::chrono::seconds(10)};
  size_t max_outbound_bytes = 8u << 20;       // per connection; beyond it the client is too slow
  size_t max_unacked_recvs = 4096;            // RECVs kept for resending per connection
  size_t max_unacked_recv_bytes = 32u << 20;  // and their payload bytes at most
  size_t max_inflight_sends = 4096;           // SENDs awaiting their SENDACK before reading pauses
  size_t max_payload_bytes = 1u << 20;        // message.maxPayloadBytes (decrypted payload)
  std::chrono::milliseconds recv_retry_interval{std::chrono::seconds(60)};
  int recv_retry_max = 5;

  // addr, wsAddr, wssAddr + wssConfig.*, tokenAuthOn, disableEncryption, proxyProtocol,
  // connIdleTime, delivery.*, connection.maxInflightSends, and the shared message.maxPayloadBytes,
  // managerToken and cluster.nodeId. A TLS address needs a readable certificate and key.
  static GatewayOptions from(config::ConfigSource& source);
};

}  // namespace jindou::gateway
