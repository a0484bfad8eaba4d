#include "support/http_client.h"

#include <poll.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <strings.h>
#include <limits>
#include <optional>
#include <stdexcept>

namespace jindou::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string HttpResult::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
  }
  return {};
}

bool HttpResult::has_header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return true;
  }
  return false;
}

boost::json::value HttpResult::json() const {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (ec) {
    throw std::runtime_error("HTTP " + std::to_string(status) + " body is not JSON (" +
                             ec.message() + "): " + body.substr(0, 2000) + error);
  }
  return v;
}

struct HttpClient::Impl {
  Impl(std::string h, uint16_t p, std::chrono::milliseconds t)
      : host(std::move(h)), port(p), timeout(t) {}

  // Runs the io context until the operation just started has completed.
  void run() {
    ioc.restart();
    ioc.run();
  }

  beast::error_code connect() {
    close();
    stream.emplace(ioc);
    beast::error_code ec;
    tcp::endpoint endpoint(asio::ip::make_address(host), port);
    stream->expires_after(timeout);
    stream->async_connect(endpoint, [&ec](beast::error_code e) { ec = e; });
    run();
    if (ec) {
      stream.reset();
      return ec;
    }
    ++opened;
    beast::error_code ignored;
    stream->socket().set_option(tcp::no_delay(true), ignored);
    return ec;
  }

  // True when the server has closed the idle connection (readable with nothing to read).
  bool closed_by_peer() {
    if (buffer.size() > 0) return false;
    pollfd p{stream->socket().native_handle(), POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return false;
    if (p.revents & (POLLHUP | POLLERR)) return true;
    beast::error_code ec;
    return stream->socket().available(ec) == 0 || ec;
  }

  beast::error_code ensure_open() {
    if (stream && stream->socket().is_open() && !closed_by_peer()) return {};
    return connect();
  }

  void close() {
    if (!stream) return;
    beast::error_code ignored;
    stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream->socket().close(ignored);
    stream.reset();
    buffer.clear();
  }

  beast::error_code write_bytes(std::string_view bytes) {
    beast::error_code ec;
    stream->expires_after(timeout);
    asio::async_write(*stream, asio::buffer(bytes.data(), bytes.size()),
                      [&ec](beast::error_code e, size_t) { ec = e; });
    run();
    return ec;
  }

  HttpResult read() {
    HttpResult out;
    if (!stream) {
      out.error = "not connected";
      return out;
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(std::numeric_limits<uint64_t>::max());
    parser.header_limit(1 << 20);
    beast::error_code ec;
    stream->expires_after(timeout);
    http::async_read(*stream, buffer, parser, [&ec](beast::error_code e, size_t) { ec = e; });
    run();
    if (ec) {
      out.error = "reading the response failed: " + ec.message();
      close();
      return out;
    }
    auto& res = parser.get();
    out.status = static_cast<int>(res.result_int());
    for (const auto& field : res) {
      out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    out.body = std::move(res.body());
    if (!res.keep_alive()) close();
    return out;
  }

  std::string host;
  uint16_t port;
  std::chrono::milliseconds timeout;
  asio::io_context ioc;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  int opened = 0;
};

HttpClient::HttpClient(std::string host, uint16_t port, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>(std::move(host), port, timeout)) {}

HttpClient::~HttpClient() {
  impl_->close();
}

HttpResult HttpClient::get(std::string_view target, const Headers& headers) {
  return request("GET", target, {}, headers);
}

HttpResult HttpClient::post(std::string_view target, std::string_view body,
                            const Headers& headers) {
  return request("POST", target, body, headers);
}

HttpResult HttpClient::post(std::string_view target, const boost::json::object& body,
                            const Headers& headers) {
  return request("POST", target, boost::json::serialize(body), headers);
}

HttpResult HttpClient::post(std::string_view target, const boost::json::array& body,
                            const Headers& headers) {
  return request("POST", target, boost::json::serialize(body), headers);
}

HttpResult HttpClient::request(std::string_view method, std::string_view target,
                               std::string_view body, const Headers& headers) {
  HttpResult failed;
  if (auto ec = impl_->ensure_open()) {
    failed.error = "connecting to " + impl_->host + ":" + std::to_string(impl_->port) +
                   " failed: " + ec.message();
    return failed;
  }
  http::request<http::string_body> req;
  const http::verb verb = http::string_to_verb(method);
  if (verb == http::verb::unknown) {
    req.method_string(method);
  } else {
    req.method(verb);
  }
  req.target(target);
  req.version(11);
  req.set(http::field::host, impl_->host + ":" + std::to_string(impl_->port));
  req.set(http::field::user_agent, "jindou-blackbox-test");
  if (!body.empty() || method == "POST") {
    req.set(http::field::content_type, "application/json");
    req.body() = std::string(body);
  }
  for (const auto& [name, value] : headers) req.set(name, value);
  req.prepare_payload();
  req.keep_alive(true);

  beast::error_code ec;
  impl_->stream->expires_after(impl_->timeout);
  http::async_write(*impl_->stream, req, [&ec](beast::error_code e, size_t) { ec = e; });
  impl_->run();
  if (ec) {
    impl_->close();
    failed.error = "writing the request failed: " + ec.message();
    return failed;
  }
  return impl_->read();
}

bool HttpClient::send_raw(std::string_view bytes) {
  if (impl_->ensure_open()) return false;
  if (impl_->write_bytes(bytes)) {
    impl_->close();
    return false;
  }
  return true;
}

HttpResult HttpClient::read_response() {
  return impl_->read();
}

bool HttpClient::peer_closed(std::chrono::milliseconds timeout) {
  if (!impl_->stream) return true;
  if (impl_->buffer.size() > 0) return false;
  beast::error_code ec;
  size_t n = 0;
  impl_->stream->expires_after(timeout);
  impl_->stream->async_read_some(impl_->buffer.prepare(4096),
                                 [&ec, &n](beast::error_code e, size_t got) {
                                   ec = e;
                                   n = got;
                                 });
  impl_->run();
  impl_->buffer.commit(n);
  if (n > 0) return false;
  const bool closed = ec == beast::http::error::end_of_stream || ec == asio::error::eof ||
                      ec == asio::error::connection_reset;
  if (ec) impl_->close();
  return closed;
}

void HttpClient::close() {
  impl_->close();
}

int HttpClient::connections_opened() const {
  return impl_->opened;
}

}  // namespace jindou::testing
