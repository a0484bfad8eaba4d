#include "support/webhook_receiver.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <sys/socket.h>

#include <atomic>
#include <thread>

namespace jindou::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

void WebhookLog::record(WebhookCall call) {
  {
    std::lock_guard lock(mu_);
    calls_.push_back(std::move(call));
  }
  cv_.notify_all();
}

std::vector<WebhookCall> WebhookLog::calls() const {
  std::lock_guard lock(mu_);
  return calls_;
}

std::vector<WebhookCall> WebhookLog::accepted(const std::string& event) const {
  std::vector<WebhookCall> out;
  for (auto& c : calls()) {
    if (c.accepted && c.event == event) out.push_back(std::move(c));
  }
  return out;
}

bool WebhookLog::wait_until(const std::function<bool(const std::vector<WebhookCall>&)>& done,
                            std::chrono::milliseconds timeout) const {
  // `done` runs without the lock held, so it may read the log itself.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    size_t seen = 0;
    std::vector<WebhookCall> now;
    {
      std::lock_guard lock(mu_);
      now = calls_;
      seen = calls_.size();
    }
    if (done(now)) return true;
    std::unique_lock lock(mu_);
    if (!cv_.wait_until(lock, deadline, [&] { return calls_.size() != seen; })) return false;
  }
}

void WebhookLog::clear() {
  std::lock_guard lock(mu_);
  calls_.clear();
}

struct HttpWebhookReceiver::Impl {
  explicit Impl(HttpWebhookReceiver& owner) : receiver(owner) {}

  HttpWebhookReceiver& receiver;
  asio::io_context ioc;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::thread accept_thread;
  std::mutex mu;
  std::vector<std::shared_ptr<tcp::socket>> sockets;
  std::vector<std::thread> connection_threads;
  std::atomic<int> status{200};
  std::atomic<int64_t> delay_ms{0};

  void listen(uint16_t port) {
    acceptor = std::make_unique<tcp::acceptor>(ioc);
    const tcp::endpoint at(asio::ip::make_address("127.0.0.1"), port);
    acceptor->open(at.protocol());
    acceptor->set_option(asio::socket_base::reuse_address(true));
    acceptor->bind(at);
    acceptor->listen();
    accept_thread = std::thread([this] { accept_loop(); });
  }

  void accept_loop() {
    for (;;) {
      auto socket = std::make_shared<tcp::socket>(ioc);
      beast::error_code ec;
      acceptor->accept(*socket, ec);
      if (ec) return;  // closed by stop()
      std::lock_guard lock(mu);
      sockets.push_back(socket);
      connection_threads.emplace_back([this, socket] { serve(*socket); });
    }
  }

  void serve(tcp::socket& socket) {
    beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> request;
      beast::error_code ec;
      http::read(socket, buffer, request, ec);
      if (ec) return;
      WebhookCall call;
      const std::string target(request.target());
      if (auto at = target.find("event="); at != std::string::npos) {
        call.event = target.substr(at + 6, target.find('&', at) - at - 6);
      }
      for (const auto& field : request) {
        std::string name(field.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        call.headers[name] = std::string(field.value());
      }
      call.body = std::move(request.body());
      if (const int64_t d = delay_ms.load(); d > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(d));
      }
      const int answer = status.load();
      call.accepted = answer >= 200 && answer < 300;
      http::response<http::string_body> response{static_cast<http::status>(answer), 11};
      response.set(http::field::content_type, "application/json");
      response.body() = call.accepted ? R"({"status":200})" : R"({"status":500})";
      response.keep_alive(request.keep_alive());
      response.prepare_payload();
      // Recorded before the answer leaves, so a test that sees the server move on sees the call.
      receiver.record(std::move(call));
      http::write(socket, response, ec);
      if (ec || !response.keep_alive()) return;
    }
  }

  void close() {
    if (!acceptor) return;
    beast::error_code ignored;
    // A thread blocked in accept() wakes on shutdown(), not on close().
    ::shutdown(acceptor->native_handle(), SHUT_RDWR);
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mu);
      for (auto& s : sockets) {
        s->shutdown(tcp::socket::shutdown_both, ignored);
        s->close(ignored);
      }
    }
    if (accept_thread.joinable()) accept_thread.join();
    acceptor->close(ignored);
    {
      std::lock_guard lock(mu);
      threads = std::move(connection_threads);
      connection_threads.clear();
    }
    for (auto& t : threads) t.join();
    std::lock_guard lock(mu);
    sockets.clear();
    acceptor.reset();
  }
};

HttpWebhookReceiver::HttpWebhookReceiver() : impl_(std::make_unique<Impl>(*this)) {
  impl_->listen(0);
  port_ = impl_->acceptor->local_endpoint().port();
}

HttpWebhookReceiver::~HttpWebhookReceiver() {
  impl_->close();
}

std::string HttpWebhookReceiver::url() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/webhook";
}

void HttpWebhookReceiver::set_status(int status) {
  impl_->status = status;
}

void HttpWebhookReceiver::set_delay(std::chrono::milliseconds delay) {
  impl_->delay_ms = delay.count();
}

void HttpWebhookReceiver::stop() {
  impl_->close();
}

void HttpWebhookReceiver::start() {
  if (!impl_->acceptor) impl_->listen(port_);
}

}  // namespace jindou::testing
