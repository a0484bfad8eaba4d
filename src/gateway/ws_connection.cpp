#include "gateway/ws_connection.h"
#include "gateway/socket_address.h"

#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <optional>

#include "proto/packet.h"

namespace jindou::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

template <class Next>
class WsConnection final : public ClientConnection {
 public:
  template <class... Args>
  WsConnection(const SessionContext& session, asio::io_context& context, size_t executor,
               uint64_t id, std::string transport, std::string remote, Args&&... next)
      : ClientConnection(session, context, executor, id, std::move(transport), std::move(remote),
                         false, OutboxFraming::kBufferPerPacket),
        ws_(std::forward<Args>(next)...) {}

 protected:
  void start_reading() override {
    if constexpr (std::is_same_v<Next, tcp::socket>) {
      read_upgrade();
    } else {
      ws_.next_layer().async_handshake(
          asio::ssl::stream_base::server, [self = self()](const boost::system::error_code& ec) {
            if (ec) return self->on_peer_closed("TLS handshake: " + ec.message());
            self->read_upgrade();
          });
    }
  }

  void write_packets(std::vector<std::string>& packets) override {
    next_write_ = 0;
    write_next(packets);
  }

  void resume_reading() override { read_message(); }

  void shutdown_transport(bool we_close) override {
    if (we_close && upgraded_ && !write_in_flight()) {
      // Say goodbye with a close frame (clients then see 1000, not 1006); give the peer 2 s to
      // answer before the socket goes.
      closing_timer_ = std::make_unique<asio::steady_timer>(context_, std::chrono::seconds(2));
      closing_timer_->async_wait([self = self()](const boost::system::error_code& ec) {
        if (!ec) self->close_socket();
      });
      ws_.async_close(websocket::close_code::normal,
                      [self = self()](const boost::system::error_code&) {
                        self->closing_timer_->cancel();
                        self->close_socket();
                      });
      return;
    }
    close_socket();
  }

  void close_socket() {
    boost::system::error_code ignored;
    auto& socket = beast::get_lowest_layer(ws_);
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }

 private:
  std::shared_ptr<WsConnection> self() {
    return std::static_pointer_cast<WsConnection>(shared_from_this());
  }

  void read_upgrade() {
    upgrade_.emplace();
    upgrade_->header_limit(8 * 1024);
    http::async_read(ws_.next_layer(), read_buffer_, *upgrade_,
                     [self = self()](const boost::system::error_code& ec, size_t) {
                       if (ec) return self->on_peer_closed("upgrade request: " + ec.message());
                       self->accept_upgrade();
                     });
  }

  void accept_upgrade() {
    const auto& req = upgrade_->get();
    if (!websocket::is_upgrade(req)) return close("not a WebSocket upgrade request");
    for (auto field : {"X-Forwarded-For", "X-Real-IP"}) {
      auto value = req[field];
      if (!value.empty()) {
        std::string ip(value.substr(0, value.find(',')));
        set_remote(ip);
        break;
      }
    }
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "jindou"); }));
    ws_.read_message_max(2 * proto::kMaxFrameSize);
    ws_.auto_fragment(false);
    ws_.binary(true);
    ws_.control_callback([this](websocket::frame_type, beast::string_view) { touch(); });
    ws_.async_accept(req, [self = self()](const boost::system::error_code& ec) {
      if (ec) return self->on_peer_closed("WebSocket handshake: " + ec.message());
      self->upgrade_.reset();
      self->upgraded_ = true;
      self->read_message();
    });
  }

  void read_message() {
    ws_.async_read(read_buffer_, [self = self()](const boost::system::error_code& ec, size_t) {
      if (ec) {
        return self->on_peer_closed(ec == websocket::error::closed ? "closed by the peer"
                                                                   : ec.message());
      }
      if (self->ws_.got_binary()) {
        const auto data = self->read_buffer_.cdata();
        self->on_bytes(static_cast<const char*>(data.data()), data.size());
      } else {
        self->touch();  // text messages are ignored, but they are activity
      }
      self->read_buffer_.consume(self->read_buffer_.size());
      if (self->read_buffer_.capacity() > 64 * 1024) self->read_buffer_.shrink_to_fit();
      if (!self->closed() && !self->pause_reading_if_busy()) self->read_message();
    });
  }

  void write_next(std::vector<std::string>& packets) {
    if (next_write_ == packets.size()) return on_written(true);
    const std::string& p = packets[next_write_++];
    ws_.async_write(asio::buffer(p),
                    [self = self(), &packets](const boost::system::error_code& ec, size_t) {
                      if (ec) return self->on_written(false);
                      self->write_next(packets);
                    });
  }

  websocket::stream<Next> ws_;
  beast::flat_buffer read_buffer_;
  std::optional<http::request_parser<http::empty_body>> upgrade_;
  size_t next_write_ = 0;
  bool upgraded_ = false;
  std::unique_ptr<asio::steady_timer> closing_timer_;  // only while closing
};

}  // namespace

std::shared_ptr<ClientConnection> make_ws_connection(const SessionContext& session,
                                                     asio::io_context& context, size_t executor,
                                                     uint64_t id, tcp::socket socket,
                                                     asio::ssl::context* tls) {
  std::string remote = peer_address(socket);
  if (tls != nullptr) {
    return std::make_shared<WsConnection<asio::ssl::stream<tcp::socket>>>(
        session, context, executor, id, "wss", std::move(remote), std::move(socket), *tls);
  }
  return std::make_shared<WsConnection<tcp::socket>>(session, context, executor, id, "ws",
                                                     std::move(remote), std::move(socket));
}

}  // namespace jindou::gateway
