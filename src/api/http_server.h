// HttpServer: the HTTP/1.1 listener of the API (Boost.Beast). Keep-alive, pipelining-safe (one
// request at a time per connection, in order), body size limit, 100-continue, idle sweeping.
//
// Threads: the acceptor lives on the first io context; each accepted connection is placed on the
// next context round-robin and stays there. Handlers may answer from any thread; the answer is
// written on the connection's own thread. Lifecycle: start() binds and accepts; stop() stops
// accepting, closes idle connections and lets in-flight requests finish.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "api/router.h"
#include "config/config_source.h"
#include "runtime/executor_group.h"

namespace jindou::api {

struct HttpServerOptions {
  std::string host = "0.0.0.0";
  uint16_t port = 5001;
  size_t max_body_bytes = 16u << 20;
  int idle_timeout_seconds = 75;   // keep-alive connections with no request for this long close
  int body_timeout_seconds = 30;   // a request body must arrive within this after its header
  int write_timeout_seconds = 30;  // a response must be taken by the client within this
  // Request bodies being received or handled, all connections together (a chunked body counts
  // as max_body_bytes); a request that would pass this is answered 503.
  uint64_t max_pending_body_bytes = 256u << 20;
  uint64_t max_connections = 10000;  // more are refused at accept

  // httpAddr, http.writeTimeout, http.maxPendingBodyBytes; the body limit follows
  // message.maxPayloadBytes (api_options.cpp).
  static HttpServerOptions from(config::ConfigSource& source);
};

class HttpServer {
 public:
  // `group`: the io threads' ExecutorGroup, through which answers go back to their connection's
  // thread batched with the other posts of a turn (null: one dispatch per answer).
  HttpServer(std::vector<boost::asio::io_context*> contexts, const Router& router,
             HttpServerOptions options, runtime::ExecutorGroup* group = nullptr);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting; throws std::system_error when the address is unusable.
  void start();
  void stop();
  // Closes every connection now, answered or not (the last step of a shutdown).
  void abort_all();
  uint16_t port() const { return bound_port_; }
  uint64_t connections_open() const { return open_.load(std::memory_order_relaxed); }
  uint64_t requests_served() const { return requests_.load(std::memory_order_relaxed); }

  struct Impl;

 private:
  std::vector<boost::asio::io_context*> contexts_;
  const Router& router_;
  HttpServerOptions options_;
  runtime::ExecutorGroup* group_;
  std::unique_ptr<Impl> impl_;
  uint16_t bound_port_ = 0;
  std::atomic<uint64_t> open_{0};
  std::atomic<uint64_t> requests_{0};
};

}  // namespace jindou::api
