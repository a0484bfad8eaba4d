// HttpClient: a blocking HTTP/1.1 client for black-box tests (Boost.Beast underneath).
//
// One client is one keep-alive connection, opened on first use and reopened when the server has
// closed it. Requests never throw: a transport failure comes back as status 0 with `error` set,
// so tests running requests on their own threads can count failures. Also sends raw bytes for
// malformed or pipelined requests. Thread: one thread per client.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jindou::testing {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpResult {
  int status = 0;     // HTTP status; 0 when the request failed on the wire
  std::string error;  // what failed on the wire, when status is 0
  Headers headers;
  std::string body;

  // The value of header `name` (any case); empty when absent.
  std::string header(std::string_view name) const;
  bool has_header(std::string_view name) const;
  // The body parsed as JSON; throws std::runtime_error (quoting the body) when it is not JSON.
  boost::json::value json() const;
};

class HttpClient {
 public:
  HttpClient(std::string host, uint16_t port,
             std::chrono::milliseconds timeout = std::chrono::seconds(60));
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpResult get(std::string_view target, const Headers& headers = {});
  HttpResult post(std::string_view target, std::string_view body, const Headers& headers = {});
  HttpResult post(std::string_view target, const boost::json::object& body,
                  const Headers& headers = {});
  HttpResult post(std::string_view target, const boost::json::array& body,
                  const Headers& headers = {});
  HttpResult request(std::string_view method, std::string_view target, std::string_view body,
                     const Headers& headers = {});

  // Writes `bytes` as they are on the connection (opening it when needed); false on failure.
  bool send_raw(std::string_view bytes);
  // Reads one response from the connection.
  HttpResult read_response();
  // True when the server closes the connection (EOF) within `timeout` without sending anything.
  bool peer_closed(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  void close();

  // How many TCP connections this client has opened so far.
  int connections_opened() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace jindou::testing
