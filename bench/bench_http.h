// The load generators' HTTP client: one blocking keep-alive connection (Boost.Beast).
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <cstdint>
#include <string>
#include <utility>

namespace jindou::bench {

class HttpConnection {
 public:
  // `token`: the managerToken, sent as a bearer token when not empty.
  HttpConnection(std::string host, uint16_t port, std::string token = {})
      : host_(std::move(host)), token_(std::move(token)), socket_(ctx_) {
    using boost::asio::ip::tcp;
    socket_.connect(tcp::endpoint(boost::asio::ip::make_address(host_), port));
    socket_.set_option(tcp::no_delay(true));
  }
  // POSTs `body` (JSON); the answer's status and body.
  std::pair<int, std::string> post(const std::string& target, std::string body) {
    namespace http = boost::beast::http;
    http::request<http::string_body> req{http::verb::post, target, 11};
    req.set(http::field::host, host_);
    req.set(http::field::content_type, "application/json");
    if (!token_.empty()) req.set(http::field::authorization, "Bearer " + token_);
    req.keep_alive(true);
    req.body() = std::move(body);
    req.prepare_payload();
    http::write(socket_, req);
    http::response<http::string_body> res;
    http::read(socket_, buffer_, res);
    return {res.result_int(), std::move(res.body())};
  }

 private:
  std::string host_;
  std::string token_;
  boost::asio::io_context ctx_;
  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
};

}  // namespace jindou::bench
