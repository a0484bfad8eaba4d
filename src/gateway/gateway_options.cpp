#include "gateway/gateway_options.h"

#include <filesystem>
#include <fstream>

#include "engine/engine_options.h"

namespace jindou::gateway {
namespace {

using std::chrono::milliseconds;

ListenAddress listen_address(const config::Address& a) {
  return ListenAddress{a.host, a.port};
}

// wssAddr is off when absent or empty.
std::optional<ListenAddress> tls_address(config::ConfigSource& source) {
  std::optional<ListenAddress> wss;
  source.string("wssAddr", "", [&](const std::string& s) -> std::optional<std::string> {
    if (s.empty()) return std::nullopt;
    auto a = config::parse_address(s);
    if (!a) return "expected host:port, got '" + s + "'";
    wss = listen_address(*a);
    return std::nullopt;
  });
  return wss;
}

// The TLS listener cannot start without both files; say so before anything binds.
void check_tls_files(const GatewayOptions& o, config::ConfigSource& source) {
  if (!o.wss) return;
  if (o.wss_cert_file.empty() || o.wss_key_file.empty()) {
    source.reject("wssAddr", "wssConfig.certFile and wssConfig.keyFile are required");
    return;
  }
  for (const auto& [key, path] : {std::pair{"wssConfig.certFile", o.wss_cert_file},
                                  std::pair{"wssConfig.keyFile", o.wss_key_file}}) {
    std::ifstream file(path);
    if (!file.good() || std::filesystem::is_directory(path)) {
      source.reject(key, "cannot read " + path);
      return;
    }
  }
}

}  // namespace

GatewayOptions GatewayOptions::from(config::ConfigSource& source) {
  GatewayOptions o;
  o.tcp = listen_address(source.address("addr", {o.tcp.host, o.tcp.port}));
  o.ws = listen_address(source.address("wsAddr", {o.ws.host, o.ws.port}));
  o.wss = tls_address(source);
  o.wss_cert_file = source.string("wssConfig.certFile", "");
  o.wss_key_file = source.string("wssConfig.keyFile", "");
  o.token_auth_on = source.boolean("tokenAuthOn", o.token_auth_on);
  o.disable_encryption = source.boolean("disableEncryption", o.disable_encryption);
  o.trust_proxy_protocol = source.boolean("proxyProtocol", o.trust_proxy_protocol);
  o.idle_timeout = source.duration("connIdleTime", o.idle_timeout);
  // Resending more often than this would only add load for a client that is merely slow.
  o.recv_retry_interval =
      std::max(source.duration("delivery.retryInterval", o.recv_retry_interval), milliseconds(100));
  o.recv_retry_max =
      static_cast<int>(source.integer("delivery.retryMaxCount", o.recv_retry_max, 0, 100));
  o.max_inflight_sends =
      source.size("connection.maxInflightSends", o.max_inflight_sends, 2, 1'000'000);
  o.max_payload_bytes = engine::max_payload_bytes(source);
  o.manager_token = engine::manager_token(source);
  o.node_id = engine::node_id(source);
  check_tls_files(o, source);
  return o;
}

}  // namespace jindou::gateway
