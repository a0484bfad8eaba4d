// The peer address of a socket as "ip:port", for logs and /connz.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <string>

namespace jindou::gateway {

inline std::string peer_address(const boost::asio::ip::tcp::socket& socket) {
  boost::system::error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  if (ec) return "?";
  return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

}  // namespace jindou::gateway
