#include "server/node_addresses.h"

namespace jindou::server {
namespace {

// An address other machines can use: a wildcard listen host becomes the loopback address.
std::string reachable(const std::string& host, uint16_t port) {
  const bool wildcard = host.empty() || host == "0.0.0.0" || host == "::";
  return config::Address{wildcard ? "127.0.0.1" : host, port}.to_string();
}

// "host:port" -> "<scheme>://host:port"; a URL stays as it is.
std::string with_scheme(const std::string& address, const char* scheme) {
  if (address.empty() || address.find("://") != std::string::npos) return address;
  return std::string(scheme) + "://" + address;
}

// Clients dial the TCP address as host:port.
std::string without_tcp_scheme(const std::string& address) {
  return address.starts_with("tcp://") ? address.substr(6) : address;
}

}  // namespace

cluster::Addresses node_addresses(const Config& config) {
  const cluster::ClusterOptions& c = config.cluster;
  const gateway::GatewayOptions& gw = config.gateway;
  const api::ApiOptions& api = config.api;
  cluster::Addresses a;
  a.api_url = !c.external_api_url.empty() ? c.external_api_url
                                          : "http://" + reachable(api.http.host, api.http.port);
  a.tcp_addr = !c.external_tcp_addr.empty() ? without_tcp_scheme(c.external_tcp_addr)
                                            : reachable(gw.tcp.host, gw.tcp.port);
  a.ws_addr = !c.external_ws_addr.empty() ? with_scheme(c.external_ws_addr, "ws")
                                          : "ws://" + reachable(gw.ws.host, gw.ws.port);
  if (!c.external_wss_addr.empty()) {
    a.wss_addr = with_scheme(c.external_wss_addr, "wss");
  } else if (gw.wss) {
    a.wss_addr = "wss://" + reachable(gw.wss->host, gw.wss->port);
  }
  return a;
}

}  // namespace jindou::server
