#include "api/http_server.h"

#include <spdlog/spdlog.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <optional>
#include <unordered_set>

namespace jindou::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

class HttpSession;

// Connections of one io context, swept for idleness by a timer on that context.
struct ConnectionRegistry {
  explicit ConnectionRegistry(asio::io_context& ctx) : context(ctx), sweep(ctx) {}
  asio::io_context& context;
  asio::steady_timer sweep;
  std::unordered_set<std::shared_ptr<HttpSession>> sessions;
};

struct HttpServer::Impl {
  Impl(HttpServer& s, asio::io_context& first) : server(s), acceptor(first), retry(first) {}
  HttpServer& server;
  tcp::acceptor acceptor;
  asio::steady_timer retry;  // pause after a failed accept (e.g. out of file descriptors)
  std::vector<std::unique_ptr<ConnectionRegistry>> registries;
  size_t next = 0;
  std::atomic<bool> stopping{false};
  Clock::time_point last_refusal_warning{};

  const HttpServerOptions& options() const { return server.options_; }
  const Router& router() const { return server.router_; }
  void count_request() { server.requests_.fetch_add(1, std::memory_order_relaxed); }
  void count_open() { server.open_.fetch_add(1, std::memory_order_relaxed); }
  void count_close() { server.open_.fetch_sub(1, std::memory_order_relaxed); }
  // Takes `n` bytes of the pending-body budget; false when that would pass it.
  bool reserve_body(uint64_t n) {
    uint64_t held = pending_body_bytes.load(std::memory_order_relaxed);
    do {
      if (held + n > std::max(options().max_pending_body_bytes, options().max_body_bytes)) {
        return false;
      }
    } while (!pending_body_bytes.compare_exchange_weak(held, held + n, std::memory_order_relaxed));
    return true;
  }
  void release_body(uint64_t n) { pending_body_bytes.fetch_sub(n, std::memory_order_relaxed); }
  std::atomic<uint64_t> pending_body_bytes{0};

  void accept();
  void arm_sweep(ConnectionRegistry& r);
};

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket socket, HttpServer::Impl& server, ConnectionRegistry& registry)
      : socket_(std::move(socket)), server_(server), registry_(registry) {}

  void start() { read_header(); }

  // Closes the connection if it is waiting for a request; otherwise after the current answer.
  void close_when_idle() {
    closing_ = true;
    if (!busy_ || lingering_) shutdown();
  }

  void abort() {
    closing_ = true;
    shutdown();
  }

  // Idle longer than `idle` between requests, still sending a body past its deadline, or not
  // taking a response by its deadline.
  bool overdue(Clock::time_point now, Clock::duration idle) const {
    if (reading_body_) return now > body_deadline_;
    if (writing_) return now > write_deadline_;
    if (lingering_) return now > linger_deadline_;
    return !busy_ && now - last_ > idle;
  }

 private:
  void read_header() {
    busy_ = false;
    request_.body = {};  // the previous request is answered: its body goes
    release_body();
    if (closing_) {
      shutdown();
      return;
    }
    last_ = Clock::now();
    parser_.emplace();
    parser_->body_limit(server_.options().max_body_bytes);
    parser_->header_limit(16 * 1024);
    http::async_read_header(
        socket_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (ec) return on_read_error(ec);
    busy_ = true;
    auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    request_ = HttpRequest{};
    request_.method = std::string(req.method_string());
    const std::string_view target(req.target().data(), req.target().size());
    auto url = boost::urls::parse_origin_form(target);
    if (!url) {
      keep_alive_ = false;
      unread_input_ = true;
      return write(HttpResponse::error(Error::bad_request("malformed request target")));
    }
    request_.path = std::string(url->encoded_path());
    for (auto param : url->params()) request_.query.emplace_back(param.key, param.value);
    request_.authorization = std::string(req[http::field::authorization]);
    request_.token = std::string(req["token"]);
    // Unknown routes and missing tokens are answered before the body is read: nobody gets to
    // make the server hold a large body it will refuse.
    auto resolved = server_.router().resolve(request_);
    if (resolved.refusal) {
      constexpr uint64_t kSmallBody = 64 * 1024;
      const auto length = parser_->content_length();
      if (parser_->is_done() || !length || *length > kSmallBody) {
        // A large (or unknown-length) body is not read: answer and close the connection.
        if (!parser_->is_done()) keep_alive_ = false;
        unread_input_ = !parser_->is_done();
        return write(std::move(*resolved.refusal));
      }
      // A small body is read and dropped so the connection (and any pipelined requests) lives.
      refusal_ = std::move(resolved.refusal);
      handler_ = nullptr;
    } else {
      handler_ = resolved.handler;
    }
    // The body's memory comes out of a budget shared by all connections.
    const uint64_t body_bytes =
        parser_->is_done() ? 0
                           : parser_->content_length().value_or(server_.options().max_body_bytes);
    if (!server_.reserve_body(body_bytes)) {
      keep_alive_ = false;
      unread_input_ = true;
      refusal_.reset();
      return write(HttpResponse::error(
          Error::unavailable("too many request bodies are being received; retry later")));
    }
    reserved_body_ = body_bytes;
    reading_body_ = true;
    body_deadline_ = Clock::now() + std::chrono::seconds(server_.options().body_timeout_seconds);
    if (req[http::field::expect] == "100-continue") {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_,
                                                                     req.version());
      http::async_write(socket_, *cont,
                        [self = shared_from_this(), cont](beast::error_code wec, size_t) {
                          if (wec) return self->shutdown();
                          self->read_body();
                        });
      return;
    }
    read_body();
  }

  void read_body() {
    http::async_read(socket_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->reading_body_ = false;
                       if (ec) return self->on_read_error(ec);
                       self->handle();
                     });
  }

  void on_read_error(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      busy_ = true;
      keep_alive_ = false;
      unread_input_ = true;
      return write(HttpResponse::error(
          Error::too_large("the request body is larger than " +
                           std::to_string(server_.options().max_body_bytes) + " bytes")));
    }
    if (ec == http::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset) {
      return shutdown();
    }
    if (ec.category() == http::make_error_code(http::error::bad_target).category()) {
      busy_ = true;
      keep_alive_ = false;
      unread_input_ = true;
      return write(
          HttpResponse::error(Error::bad_request("malformed HTTP request: " + ec.message())));
    }
    shutdown();
  }

  void handle() {
    if (refusal_) {
      auto refusal = std::move(*refusal_);
      refusal_.reset();
      return write(std::move(refusal));
    }
    request_.body = std::move(parser_->get().body());
    server_.count_request();
    auto respond = [self = shared_from_this()](HttpResponse response) {
      // Answer on the connection's own thread (inline when already there).
      asio::dispatch(
          self->socket_.get_executor(),
          [self, response = std::move(response)]() mutable { self->write(std::move(response)); });
    };
    try {
      (*handler_)(request_, respond);
    } catch (const std::exception& e) {
      // Nothing a client sends should get here; answer and keep serving.
      spdlog::error("{} {}: {}", request_.method, request_.path, e.what());
      respond(HttpResponse::error(Error::internal("internal error")));
    }
  }

  // The response head is written directly (status line, a few fixed headers, the body's
  // length): cheaper than a general serializer, and every response here has that shape.
  void write(HttpResponse response) {
    const bool keep_alive = keep_alive_ && !closing_;
    out_.clear();
    out_.append(version_ == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
    out_.append(std::to_string(response.status)).push_back(' ');
    const auto reason = http::obsolete_reason(static_cast<http::status>(response.status));
    out_.append(reason.data(), reason.size());
    out_.append("\r\nServer: jindou\r\nContent-Type: ").append(response.content_type);
    out_.append("\r\nContent-Length: ").append(std::to_string(response.body.size()));
    for (const auto& [name, value] : response.headers) {
      out_.append("\r\n").append(name).append(": ").append(value);
    }
    if (!keep_alive) {
      out_.append("\r\nConnection: close");
    } else if (version_ == 10) {
      out_.append("\r\nConnection: keep-alive");
    }
    out_.append("\r\n\r\n");
    body_ = std::move(response.body);
    const std::array<asio::const_buffer, 2> buffers{asio::buffer(out_), asio::buffer(body_)};
    writing_ = true;
    write_deadline_ = Clock::now() + std::chrono::seconds(server_.options().write_timeout_seconds);
    asio::async_write(socket_, buffers,
                      [self = shared_from_this(), keep_alive](beast::error_code ec, size_t) {
                        self->writing_ = false;
                        if (!ec && !keep_alive && self->unread_input_) return self->linger();
                        if (ec || !keep_alive) return self->shutdown();
                        self->read_header();
                      });
  }

  // The answer went out while the client may still be sending its request: closing now would
  // reset the connection and could destroy the answer before the client reads it. Instead the
  // server ends its side and reads and drops what still comes, for a while, then closes.
  void linger() {
    lingering_ = true;
    linger_deadline_ = Clock::now() + std::chrono::seconds(5);
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    buffer_.clear();
    drop_input();
  }

  void drop_input() {
    socket_.async_read_some(buffer_.prepare(16 * 1024), [self = shared_from_this()](
                                                            beast::error_code ec, size_t n) {
      self->lingered_bytes_ += n;
      if (ec || self->closing_ || self->lingered_bytes_ > self->server_.options().max_body_bytes) {
        return self->shutdown();
      }
      self->drop_input();
    });
  }

  void release_body() {
    if (reserved_body_ == 0) return;
    server_.release_body(reserved_body_);
    reserved_body_ = 0;
  }

  void shutdown() {
    if (done_) return;
    done_ = true;
    release_body();
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    socket_.close(ignored);
    server_.count_close();
    registry_.sessions.erase(shared_from_this());
  }

  tcp::socket socket_;
  HttpServer::Impl& server_;
  ConnectionRegistry& registry_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Clock::time_point last_ = Clock::now();
  unsigned version_ = 11;
  HttpRequest request_;
  const Handler* handler_ = nullptr;
  std::optional<HttpResponse> refusal_;  // answer once the (small) body is read
  bool reading_body_ = false;
  Clock::time_point body_deadline_{};
  bool writing_ = false;
  Clock::time_point write_deadline_{};
  bool unread_input_ = false;   // answered before the whole request was read
  uint64_t reserved_body_ = 0;  // of the server's pending-body budget
  bool lingering_ = false;
  Clock::time_point linger_deadline_{};
  size_t lingered_bytes_ = 0;
  std::string out_;   // response head being written
  std::string body_;  // response body being written
  bool keep_alive_ = true;
  bool busy_ = false;
  bool closing_ = false;
  bool done_ = false;
};

void HttpServer::Impl::accept() {
  asio::io_context& ctx = *server.contexts_[next++ % server.contexts_.size()];
  ConnectionRegistry& registry = *registries[(next - 1) % registries.size()];
  acceptor.async_accept(ctx, [this, &registry](beast::error_code ec, tcp::socket socket) {
    if (stopping) return;
    if (!ec && server.open_.load(std::memory_order_relaxed) >= options().max_connections) {
      // Over the cap: refuse this one (say so once a minute) and keep accepting.
      const auto now = Clock::now();
      if (now - last_refusal_warning > std::chrono::minutes(1)) {
        last_refusal_warning = now;
        spdlog::warn("http: {} connections open, refusing more", options().max_connections);
      }
      beast::error_code ignored;
      socket.close(ignored);
      return accept();
    }
    if (!ec) {
      socket.set_option(tcp::no_delay(true), ec);
      count_open();  // here, so that a burst of accepts cannot pass the cap
      // The session belongs to its io context: register and start it there.
      asio::post(registry.context, [this, &registry, socket = std::move(socket)]() mutable {
        auto session = std::make_shared<HttpSession>(std::move(socket), *this, registry);
        registry.sessions.insert(session);
        if (stopping) {
          session->close_when_idle();
        } else {
          session->start();
        }
      });
      return accept();
    }
    if (ec == asio::error::operation_aborted) return;
    spdlog::warn("http: cannot accept a connection: {}", ec.message());
    retry.expires_after(std::chrono::milliseconds(100));
    retry.async_wait([this](beast::error_code wec) {
      if (!wec && !stopping) accept();
    });
  });
}

void HttpServer::Impl::arm_sweep(ConnectionRegistry& r) {
  r.sweep.expires_after(std::chrono::seconds(5));
  r.sweep.async_wait([this, &r](beast::error_code ec) {
    if (ec || stopping) return;
    const auto limit = std::chrono::seconds(options().idle_timeout_seconds);
    const auto now = Clock::now();
    std::vector<std::shared_ptr<HttpSession>> overdue;
    for (const auto& s : r.sessions) {
      if (s->overdue(now, limit)) overdue.push_back(s);
    }
    for (auto& s : overdue) s->abort();
    arm_sweep(r);
  });
}

HttpServer::HttpServer(std::vector<asio::io_context*> contexts, const Router& router,
                       HttpServerOptions options)
    : contexts_(std::move(contexts)), router_(router), options_(std::move(options)) {
  impl_ = std::make_unique<Impl>(*this, *contexts_.front());
  for (auto* ctx : contexts_)
    impl_->registries.push_back(std::make_unique<ConnectionRegistry>(*ctx));
}

HttpServer::~HttpServer() = default;

void HttpServer::start() {
  tcp::endpoint endpoint(asio::ip::make_address(options_.host), options_.port);
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
  bound_port_ = acceptor.local_endpoint().port();
  asio::post(acceptor.get_executor(), [this] { impl_->accept(); });
  for (auto& r : impl_->registries) {
    asio::post(r->context, [this, reg = r.get()] { impl_->arm_sweep(*reg); });
  }
}

void HttpServer::stop() {
  if (impl_->stopping.exchange(true)) return;
  asio::post(impl_->acceptor.get_executor(), [this] {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
    impl_->retry.cancel();
  });
  for (auto& r : impl_->registries) {
    asio::post(r->context, [reg = r.get()] {
      reg->sweep.cancel();
      std::vector<std::shared_ptr<HttpSession>> all(reg->sessions.begin(), reg->sessions.end());
      for (auto& s : all) s->close_when_idle();
    });
  }
}

void HttpServer::abort_all() {
  stop();
  for (auto& r : impl_->registries) {
    asio::post(r->context, [reg = r.get()] {
      std::vector<std::shared_ptr<HttpSession>> all(reg->sessions.begin(), reg->sessions.end());
      for (auto& s : all) s->abort();
    });
  }
}

}  // namespace jindou::api
