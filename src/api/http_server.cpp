#include "api/http_server.h"

#include <spdlog/spdlog.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

#include "runtime/connection_sets.h"
#include "runtime/listener.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <optional>

namespace jindou::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

class HttpSession;

struct HttpServer::Impl {
  Impl(HttpServer& s);
  HttpServer& server;
  runtime::Listener listener;
  // Every 5 s each io thread closes its connections that are overdue (idle, slow body, stuck).
  runtime::ConnectionSets<HttpSession> sessions;
  std::atomic<bool> stopping{false};
  std::atomic<uint64_t> next_id{1};

  const HttpServerOptions& options() const { return server.options_; }
  const Router& router() const { return server.router_; }
  void count_request() { server.requests_.fetch_add(1, std::memory_order_relaxed); }
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
  // Runs `write` on io thread `thread`: batched with the other cross-thread posts of the
  // answering thread's turn when the server has the io threads' group.
  void answer_on(size_t thread, std::function<void()> write);
};

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket socket, HttpServer::Impl& server, size_t thread, uint64_t id)
      : socket_(std::move(socket)), server_(server), thread_(thread), id_(id) {}

  uint64_t id() const { return id_; }

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
      // Written on the connection's own thread.
      self->server_.answer_on(
          self->thread_, [self, r = std::make_shared<HttpResponse>(std::move(response))]() mutable {
            self->write(std::move(*r));
          });
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
    server_.sessions.remove(thread_, id_);
  }

  tcp::socket socket_;
  HttpServer::Impl& server_;
  const size_t thread_;  // the io thread it lives on
  const uint64_t id_;
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

HttpServer::Impl::Impl(HttpServer& s)
    : server(s),
      listener(s.contexts_, "http"),
      sessions(s.contexts_, std::chrono::seconds(5),
               [this](HttpSession& session, Clock::time_point now) {
                 if (session.overdue(now, std::chrono::seconds(options().idle_timeout_seconds))) {
                   session.abort();
                 }
               }) {}

void HttpServer::Impl::answer_on(size_t thread, std::function<void()> write) {
  if (server.group_ != nullptr) return server.group_->post(thread, std::move(write));
  asio::dispatch(*server.contexts_[thread], std::move(write));
}

HttpServer::HttpServer(std::vector<asio::io_context*> contexts, const Router& router,
                       HttpServerOptions options, runtime::ExecutorGroup* group)
    : contexts_(std::move(contexts)),
      router_(router),
      options_(std::move(options)),
      group_(group),
      impl_(std::make_unique<Impl>(*this)) {}

HttpServer::~HttpServer() = default;

void HttpServer::start() {
  impl_->listener.bind(options_.host, options_.port);
  bound_port_ = impl_->listener.port();
  impl_->listener.start(
      [this](size_t thread, tcp::socket socket) {
        auto session = std::make_shared<HttpSession>(std::move(socket), *impl_, thread,
                                                     impl_->next_id.fetch_add(1));
        impl_->sessions.add(thread, session);
        if (impl_->stopping) {
          session->close_when_idle();
        } else {
          session->start();
        }
      },
      [this] {
        // Counted here, at accept, so that a burst of accepts cannot pass the cap.
        if (open_.load(std::memory_order_relaxed) >= options_.max_connections) return false;
        open_.fetch_add(1, std::memory_order_relaxed);
        return true;
      });
  impl_->sessions.start();
}

void HttpServer::stop() {
  if (impl_->stopping.exchange(true)) return;
  impl_->listener.stop();
  impl_->sessions.stop();
  impl_->sessions.for_each([](HttpSession& s) { s.close_when_idle(); });
}

void HttpServer::abort_all() {
  stop();
  impl_->sessions.for_each([](HttpSession& s) { s.abort(); });
}

}  // namespace jindou::api
