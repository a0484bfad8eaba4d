#include "gateway/tcp_connection.h"
#include "gateway/socket_address.h"

#include <boost/asio/write.hpp>

#include <array>

namespace jindou::gateway {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

TcpConnection::TcpConnection(const SessionContext& session, asio::io_context& context,
                             size_t executor, uint64_t id, tcp::socket socket, bool accept_proxy)
    : ClientConnection(session, context, executor, id, "tcp", peer_address(socket), accept_proxy,
                       OutboxFraming::kStream),
      socket_(std::move(socket)) {}

void TcpConnection::start_reading() {
  boost::system::error_code ec;
  socket_.non_blocking(true, ec);
  read_some();
}

void TcpConnection::read_some() {
  socket_.async_read_some(
      asio::buffer(head_), [self = self()](const boost::system::error_code& ec, size_t n) {
        if (ec) {
          return self->on_peer_closed(ec == asio::error::eof ? "closed by the peer"
                                                             : "socket: " + ec.message());
        }
        self->on_bytes(self->head_.data(), n);
        if (self->closed() || self->pause_reading_if_busy()) return;
        if (n == self->head_.size()) return self->drain();
        self->read_some();
      });
}

void TcpConnection::drain() {
  // One large buffer per io thread serves every connection on it.
  thread_local std::array<char, 64 * 1024> buffer;
  for (int round = 0; round < 16; ++round) {
    boost::system::error_code ec;
    const size_t n = socket_.read_some(asio::buffer(buffer), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) break;
    if (ec) {
      return on_peer_closed(ec == asio::error::eof ? "closed by the peer" : ec.message());
    }
    on_bytes(buffer.data(), n);
    if (closed() || pause_reading_if_busy()) return;
    if (n < buffer.size()) break;
  }
  read_some();
}

void TcpConnection::write_packets(std::vector<std::string>& packets) {
  buffers_.clear();
  buffers_.reserve(packets.size());
  for (const auto& p : packets) buffers_.emplace_back(p.data(), p.size());
  asio::async_write(
      socket_, buffers_,
      [self = self()](const boost::system::error_code& ec, size_t) { self->on_written(!ec); });
}

void TcpConnection::shutdown_transport(bool /*we_close*/) {
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace jindou::gateway
