#include "runtime/listener.h"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include <future>
#include <memory>

namespace jindou::runtime {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Listener::Listener(std::vector<asio::io_context*> contexts, std::string name)
    : contexts_(std::move(contexts)),
      name_(std::move(name)),
      acceptor_(*contexts_.front()),
      retry_(*contexts_.front()) {}

void Listener::bind(const std::string& host, uint16_t port) {
  tcp::endpoint endpoint(asio::ip::make_address(host), port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();
}

void Listener::start(Accepted accepted, Admit admit) {
  accepted_ = std::move(accepted);
  admit_ = std::move(admit);
  asio::post(acceptor_.get_executor(), [this] { accept(); });
}

void Listener::stop() {
  if (stopping_.exchange(true)) return;
  auto closed = std::make_shared<std::promise<void>>();
  std::future<void> done = closed->get_future();
  asio::post(acceptor_.get_executor(), [this, closed] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    retry_.cancel();
    closed->set_value();
  });
  // The close runs on the acceptor's io thread; waiting for it here means the listener may be
  // destroyed as soon as stop() returns. (Not when called on that thread, or when its io
  // context no longer runs: then the destructor closes.)
  if (!contexts_.front()->get_executor().running_in_this_thread()) {
    done.wait_for(std::chrono::seconds(2));
  }
}

bool Listener::log_due(std::chrono::steady_clock::time_point& last) {
  const auto now = std::chrono::steady_clock::now();
  if (now - last < std::chrono::minutes(1)) return false;
  last = now;
  return true;
}

void Listener::refuse(tcp::socket& socket) {
  if (log_due(last_refusal_log_)) spdlog::warn("{}: at its connection limit, refusing more", name_);
  boost::system::error_code ignored;
  socket.close(ignored);
}

void Listener::accept() {
  const size_t thread = next_++ % contexts_.size();
  acceptor_.async_accept(
      *contexts_[thread], [this, thread](const boost::system::error_code& ec, tcp::socket socket) {
        if (stopping_ || ec == asio::error::operation_aborted) return;
        if (!ec) {
          if (admit_ && !admit_()) {
            refuse(socket);
          } else {
            boost::system::error_code ignored;
            socket.set_option(tcp::no_delay(true), ignored);  // no Nagle delay on any protocol
            asio::post(*contexts_[thread], [this, thread, s = std::move(socket)]() mutable {
              accepted_(thread, std::move(s));
            });
          }
          return accept();
        }
        if (log_due(last_error_log_)) {
          spdlog::warn("{}: cannot accept a connection: {}", name_, ec.message());
        }
        retry_.expires_after(std::chrono::milliseconds(100));
        retry_.async_wait([this](const boost::system::error_code& wec) {
          if (!wec && !stopping_) accept();
        });
      });
}

}  // namespace jindou::runtime
