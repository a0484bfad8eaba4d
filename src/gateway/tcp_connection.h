// TcpConnection: wkproto over a raw TCP stream. Each connection reads into a small buffer of its
// own (asio then needs no epoll_ctl per read); when that fills, the rest of what is waiting is
// read into a per-thread buffer, so idle connections stay small.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <array>

#include "gateway/client_connection.h"

namespace jindou::gateway {

class TcpConnection final : public ClientConnection {
 public:
  TcpConnection(const SessionContext& session, boost::asio::io_context& context, size_t executor,
                uint64_t id, boost::asio::ip::tcp::socket socket, bool accept_proxy);

 protected:
  void start_reading() override;
  void write_packets(std::vector<std::string>& packets) override;
  void shutdown_transport(bool we_close) override;
  void resume_reading() override { read_some(); }

 private:
  void read_some();
  void drain();
  std::shared_ptr<TcpConnection> self() {
    return std::static_pointer_cast<TcpConnection>(shared_from_this());
  }

  boost::asio::ip::tcp::socket socket_;
  std::vector<boost::asio::const_buffer> buffers_;
  std::array<char, 512> head_{};
};

}  // namespace jindou::gateway
