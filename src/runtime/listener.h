// Listener: one listening TCP address of the server. Accepts on the first io thread, places
// each accepted socket on the next io thread round-robin (the connection then lives there), and
// after a failed accept (out of file descriptors, say) logs at most once a minute, pauses 100 ms
// and keeps accepting.
//
// Threads: the acceptor lives on the first io context; `accepted` runs on the io thread the
// socket was placed on; `admit` (optional) on the first. Lifecycle: bind() (throws
// boost::system::system_error), start(), stop() (closes the acceptor on its thread).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace jindou::runtime {

class Listener {
 public:
  // Runs on io thread `thread` with a socket placed there (TCP_NODELAY already set).
  using Accepted = std::function<void(size_t thread, boost::asio::ip::tcp::socket socket)>;
  // Runs at accept, on the acceptor's thread: false refuses (closes) the connection.
  using Admit = std::function<bool()>;

  // `name` names the listener in the log ("http", "tcp", ...).
  Listener(std::vector<boost::asio::io_context*> contexts, std::string name);
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  void bind(const std::string& host, uint16_t port);
  void start(Accepted accepted, Admit admit = {});
  void stop();
  uint16_t port() const { return port_; }

 private:
  void accept();
  void refuse(boost::asio::ip::tcp::socket& socket);
  bool log_due(std::chrono::steady_clock::time_point& last);

  std::vector<boost::asio::io_context*> contexts_;
  std::string name_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_;
  Accepted accepted_;
  Admit admit_;
  size_t next_ = 0;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::chrono::steady_clock::time_point last_error_log_{};
  std::chrono::steady_clock::time_point last_refusal_log_{};
};

}  // namespace jindou::runtime
