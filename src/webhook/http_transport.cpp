#include "webhook/http_transport.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>

#include <optional>
#include <stdexcept>

#include "model/clock.h"
#include "webhook/signature.h"

namespace jindou::webhook {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

struct HttpTransport::Connection {
  std::string host;
  std::string port;
  std::string target;  // path and query, to which ?event= / &event= is added
  std::string host_header;
  bool tls = false;
  std::string secret;
  std::chrono::milliseconds timeout{};

  asio::io_context ioc;
  ssl::context tls_context{ssl::context::tls_client};
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*secure) : *plain; }

  void close() {
    beast::error_code ignored;
    if (plain) plain->socket().close(ignored);
    if (secure) beast::get_lowest_layer(*secure).socket().close(ignored);
    plain.reset();
    secure.reset();
    buffer.clear();
  }
  bool open() const { return plain.has_value() || secure.has_value(); }

  // Runs the io context until the operations just started have completed.
  void run() {
    ioc.restart();
    ioc.run();
  }

  beast::error_code connect() {
    close();
    beast::error_code ec;
    tcp::resolver resolver(ioc);
    tcp::resolver::results_type endpoints;
    resolver.async_resolve(host, port, [&](beast::error_code e, tcp::resolver::results_type r) {
      ec = e;
      endpoints = std::move(r);
    });
    run();
    if (ec) return ec;
    if (tls) {
      secure.emplace(ioc, tls_context);
      // SSL_set_tlsext_host_name is a macro with a C cast: call what it expands to.
      if (SSL_ctrl(secure->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                   const_cast<char*>(host.c_str())) != 1) {
        return beast::error_code(static_cast<int>(::ERR_get_error()),
                                 asio::error::get_ssl_category());
      }
      secure->set_verify_callback(ssl::host_name_verification(host));
    } else {
      plain.emplace(ioc);
    }
    lowest().expires_after(timeout);
    lowest().async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
    run();
    if (!ec && tls) {
      secure->async_handshake(ssl::stream_base::client, [&](beast::error_code e) { ec = e; });
      run();
    }
    if (ec) {
      close();
      return ec;
    }
    beast::error_code ignored;
    lowest().socket().set_option(tcp::no_delay(true), ignored);
    return ec;
  }

  template <class Stream>
  std::pair<beast::error_code, unsigned> exchange(Stream& stream,
                                                  http::request<http::string_body>& request) {
    beast::error_code ec;
    http::async_write(stream, request, [&](beast::error_code e, size_t) { ec = e; });
    run();
    if (ec) return {ec, 0};
    http::response_parser<http::string_body> parser;
    parser.body_limit(1u << 20);
    http::async_read(stream, buffer, parser, [&](beast::error_code e, size_t) { ec = e; });
    run();
    if (ec) return {ec, 0};
    if (!parser.get().keep_alive()) close();
    return {ec, parser.get().result_int()};
  }

  Status deliver(std::string_view event, const std::string& body) {
    http::request<http::string_body> request{http::verb::post, target_for(event), 11};
    request.set(http::field::host, host_header);
    request.set(http::field::user_agent, "jindou-webhook");
    request.set(http::field::content_type, "application/json");
    request.keep_alive(true);
    if (!secret.empty()) {
      const int64_t now = unix_seconds();
      request.set("X-WK-Timestamp", std::to_string(now));
      request.set("X-WK-Signature", signature(secret, now, body));
    }
    request.body() = body;
    request.prepare_payload();
    // A kept-alive connection the receiver closed meanwhile fails at once: retry that once on a
    // fresh connection before counting a failure.
    for (int attempt = 0; attempt < 2; ++attempt) {
      const bool reused = open();
      if (!reused) {
        if (auto ec = connect()) return Error::unavailable("cannot connect: " + ec.message());
      }
      lowest().expires_after(timeout);
      auto [ec, status] = tls ? exchange(*secure, request) : exchange(*plain, request);
      if (ec) {
        close();
        if (reused && ec != beast::error::timeout) continue;
        return Error::unavailable(ec == beast::error::timeout ? "no answer within the timeout"
                                                              : "request failed: " + ec.message());
      }
      if (status >= 200 && status < 300) return {};
      return Error::unavailable("the receiver answered HTTP " + std::to_string(status));
    }
    return Error::unavailable("request failed");
  }

  std::string target_for(std::string_view event) const {
    std::string t = target;
    t += t.find('?') == std::string::npos ? "?event=" : "&event=";
    t.append(event);
    return t;
  }
};

HttpTransport::HttpTransport(const std::string& url, std::string secret,
                             std::chrono::milliseconds timeout)
    : connection_(std::make_unique<Connection>()) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || (parsed->scheme() != "http" && parsed->scheme() != "https") ||
      parsed->host().empty()) {
    throw std::invalid_argument("webhook.httpAddr: expected an http:// or https:// URL, got '" +
                                url + "'");
  }
  Connection& c = *connection_;
  c.tls = parsed->scheme() == "https";
  c.host = parsed->host_address();
  c.port = parsed->has_port() ? std::string(parsed->port()) : (c.tls ? "443" : "80");
  c.host_header = parsed->has_port() ? std::string(parsed->encoded_host_and_port()) : c.host;
  c.target = parsed->encoded_path().empty() ? "/" : std::string(parsed->encoded_path());
  if (parsed->has_query()) c.target += "?" + std::string(parsed->encoded_query());
  c.secret = std::move(secret);
  c.timeout = timeout;
  c.tls_context.set_default_verify_paths();
  c.tls_context.set_verify_mode(ssl::verify_peer);
}

HttpTransport::~HttpTransport() = default;

Status HttpTransport::deliver(std::string_view event, const std::string& body) {
  return connection_->deliver(event, body);
}

}  // namespace jindou::webhook
