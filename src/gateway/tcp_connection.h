// TcpConnection: wkproto over a raw TCP stream. Idle connections hold no read buffer: the
// connection waits for readability and then reads into a per-thread buffer.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include "gateway/client_connection.h"

namespace jindou::gateway {

class TcpConnection final : public ClientConnection {
 public:
  TcpConnection(Gateway& gateway, boost::asio::io_context& context, size_t executor, uint64_t id,
                boost::asio::ip::tcp::socket socket, bool accept_proxy);

 protected:
  void start_reading() override;
  void write_packets(std::vector<std::string>& packets) override;
  void shutdown_transport() override;

 private:
  void wait_readable();
  void read_available();
  std::shared_ptr<TcpConnection> self() {
    return std::static_pointer_cast<TcpConnection>(shared_from_this());
  }

  boost::asio::ip::tcp::socket socket_;
  std::vector<boost::asio::const_buffer> buffers_;
};

}  // namespace jindou::gateway
