#include "client/client_transport.h"

#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <array>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace jindou::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;

namespace {

template <class Next>
constexpr bool kIsTls = !std::is_same_v<Next, asio::ip::tcp::socket>;

class TcpTransport final : public ClientTransport {
 protected:
  void async_open(const Tcp::endpoint& endpoint, std::string, Done done) override {
    socket_.async_connect(endpoint, [this, done = std::move(done)](const ErrorCode& ec) {
      ErrorCode ignored;
      if (!ec) socket_.set_option(Tcp::no_delay(true), ignored);
      done(ec);
    });
  }

  void async_read(ReadDone done) override {
    socket_.async_read_some(asio::buffer(buffer_),
                            [this, done = std::move(done)](const ErrorCode& ec, size_t n) {
                              done(ec, Chunk{std::string_view(buffer_.data(), n)});
                            });
  }

  void async_write(const std::string& bytes, Done done) override {
    asio::async_write(socket_, asio::buffer(bytes),
                      [done = std::move(done)](const ErrorCode& ec, size_t) { done(ec); });
  }

  void close_socket() override {
    ErrorCode ignored;
    socket_.shutdown(Tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

 private:
  Tcp::socket socket_{io_};
  std::array<char, 64 * 1024> buffer_{};
};

// Holds the TLS context of a WebSocket over TLS; a base, so it is built before the stream
// that refers to it. The certificate is not verified: tests run servers with self-signed ones.
struct TlsContextHolder {
  TlsContextHolder() : tls(ssl::context::tls_client) { tls.set_verify_mode(ssl::verify_none); }
  ssl::context tls;
};
struct NoTls {};

// WebSocket (RFC 6455, binary messages) over `Next`: a TCP socket, or a TLS stream over one.
template <class Next>
class WsTransport final : public ClientTransport,
                          private std::conditional_t<kIsTls<Next>, TlsContextHolder, NoTls> {
 public:
  explicit WsTransport(std::string path) : path_(std::move(path)), ws_(make_stream()) {}

 protected:
  void async_open(const Tcp::endpoint& endpoint, std::string host_header, Done done) override {
    auto& socket = beast::get_lowest_layer(ws_);
    socket.async_connect(endpoint, [this, host = std::move(host_header),
                                    done = std::move(done)](const ErrorCode& ec) mutable {
      if (ec) return done(ec);
      ErrorCode ignored;
      beast::get_lowest_layer(ws_).set_option(Tcp::no_delay(true), ignored);
      if constexpr (kIsTls<Next>) {
        ws_.next_layer().async_handshake(
            ssl::stream_base::client,
            [this, host = std::move(host), done = std::move(done)](const ErrorCode& e) mutable {
              if (e) return done(e);
              upgrade(std::move(host), std::move(done));
            });
      } else {
        upgrade(std::move(host), std::move(done));
      }
    });
  }

  void async_read(ReadDone done) override {
    ws_.async_read(buffer_, [this, done = std::move(done)](const ErrorCode& ec, size_t) {
      const auto data = buffer_.cdata();
      const Chunk chunk{std::string_view(static_cast<const char*>(data.data()), data.size()), true,
                        !ec && ws_.got_text()};
      done(ec, chunk);
      // The next read is posted by the caller, so the message is dropped before it starts.
      buffer_.consume(buffer_.size());
    });
  }

  void async_write(const std::string& bytes, Done done) override {
    ws_.async_write(asio::buffer(bytes),
                    [done = std::move(done)](const ErrorCode& ec, size_t) { done(ec); });
  }

  void close_socket() override {
    ErrorCode ignored;
    auto& socket = beast::get_lowest_layer(ws_);
    socket.shutdown(Tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }

  std::string describe_read_error(const ErrorCode& ec) const override {
    if (ec == websocket::error::closed) {
      return "closed by the server (WebSocket close frame, code " +
             std::to_string(ws_.reason().code) + ")";
    }
    // The TCP connection ended without a TLS close_notify.
    if (ec == ssl::error::stream_truncated) return "closed by the server (EOF inside TLS)";
    return ClientTransport::describe_read_error(ec);
  }

 private:
  websocket::stream<Next> make_stream() {
    if constexpr (kIsTls<Next>) {
      return websocket::stream<Next>(io_, this->tls);
    } else {
      return websocket::stream<Next>(io_);
    }
  }

  void upgrade(std::string host, Done done) {
    ws_.binary(true);
    ws_.auto_fragment(false);
    ws_.async_handshake(host, path_, [done = std::move(done)](const ErrorCode& e) { done(e); });
  }

  std::string path_;
  websocket::stream<Next> ws_;
  beast::flat_buffer buffer_;
};

}  // namespace

std::unique_ptr<ClientTransport> ClientTransport::create(Transport kind, std::string ws_path) {
  switch (kind) {
    case Transport::kWebSocket:
      return std::make_unique<WsTransport<Tcp::socket>>(std::move(ws_path));
    case Transport::kWebSocketTls:
      return std::make_unique<WsTransport<ssl::stream<Tcp::socket>>>(std::move(ws_path));
    case Transport::kTcp:
      break;
  }
  return std::make_unique<TcpTransport>();
}

ClientTransport::~ClientTransport() = default;

std::string ClientTransport::describe_read_error(const ErrorCode& ec) const {
  if (ec == asio::error::eof) return "closed by the server (EOF)";
  if (ec == asio::error::connection_reset) return "connection reset by the server";
  return "read failed: " + ec.message();
}

void ClientTransport::connect(const std::string& host, uint16_t port, Clock::time_point deadline) {
  const std::string where = host + ":" + std::to_string(port);
  Tcp::resolver resolver(io_);
  ErrorCode ec;
  const auto endpoints = resolver.resolve(host, std::to_string(port), ec);
  if (ec || endpoints.empty()) {
    throw std::runtime_error("cannot resolve " + where + ": " + ec.message());
  }
  // Shared with the handler, which may run after this function has thrown.
  struct Outcome {
    bool done = false;
    ErrorCode ec;
  };
  auto outcome = std::make_shared<Outcome>();
  async_open(endpoints.begin()->endpoint(), where, [outcome](const ErrorCode& e) {
    outcome->done = true;
    outcome->ec = e;
  });
  if (!run_until(deadline, [&] { return outcome->done; })) {
    close("connect timed out");
    throw std::runtime_error("cannot connect to " + where + ": no answer in time");
  }
  if (outcome->ec) {
    close("connect failed");
    throw std::runtime_error("cannot connect to " + where + ": " + outcome->ec.message());
  }
  read_next();
}

void ClientTransport::write(std::string bytes) {
  if (closed_) return;
  out_.push_back(std::move(bytes));
  if (!write_in_flight_) write_next();
}

void ClientTransport::write_next() {
  if (closed_ || out_.empty()) return;
  write_in_flight_ = true;
  async_write(out_.front(), [this](const ErrorCode& ec) {
    write_in_flight_ = false;
    if (closed_) {
      out_.clear();
      return;
    }
    if (ec) {
      mark_closed("write failed: " + ec.message());
      close_socket();
      return;
    }
    out_.pop_front();
    write_next();
  });
}

void ClientTransport::flush(Clock::time_point deadline) {
  if (run_until(deadline, [this] { return closed_ || (!write_in_flight_ && out_.empty()); })) {
    return;
  }
  close("a write did not finish in time");
  throw std::runtime_error("a write did not finish in time: the server is not reading");
}

bool ClientTransport::run_until(Clock::time_point deadline, const std::function<bool()>& ready) {
  for (;;) {
    if (io_.stopped()) io_.restart();
    io_.poll();
    if (ready()) return true;
    // Stopped after poll() means no operation is pending: nothing can change any more.
    if (io_.stopped() || Clock::now() >= deadline) return false;
    io_.run_one_until(deadline);
  }
}

void ClientTransport::close(const std::string& reason) {
  if (!closed_) mark_closed(reason);
  close_socket();
}

void ClientTransport::mark_closed(std::string reason) {
  closed_ = true;
  close_reason_ = std::move(reason);
  // A write in flight still owns out_.front(); its handler clears the queue.
  if (!write_in_flight_) out_.clear();
}

void ClientTransport::read_next() {
  if (closed_ || reading_stopped_) return;
  async_read([this](const ErrorCode& ec, const Chunk& chunk) {
    if (closed_) return;
    if (ec) {
      mark_closed(describe_read_error(ec));
      close_socket();
      return;
    }
    if (on_chunk_) on_chunk_(chunk);
    // Posted, so the transport is done with this chunk's buffer before the next read starts.
    if (!closed_) asio::post(io_, [this] { read_next(); });
  });
}

}  // namespace jindou::client
